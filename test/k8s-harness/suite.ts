/**
 * What the CLI tests against the API server harness share: one harness and one scratch directory per describe
 * block, and `winha` run against them as an operator would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { BIN } from '../support/paths.js';
import { startHarness, type KubeHarness } from './harness.js';

/** Started before the block's tests (the harness, then a directory named `prefix`…), stopped and removed after. */
export function harnessPerSuite(prefix: string): { readonly kube: KubeHarness; readonly dir: string } {
  const s = {} as { kube: KubeHarness; dir: string };
  before(async () => {
    s.kube = await startHarness();
    s.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(async () => {
    await s.kube?.stop();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}

/** `winha ARGS` in `cwd` with `kubeconfig`, no colours and no WINHA_STORE from the environment running the tests. */
export function runWinha(
  args: string[],
  kubeconfig: string,
  cwd: string,
  timeoutMs?: number,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', KUBECONFIG: kubeconfig },
    cwd,
    ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
