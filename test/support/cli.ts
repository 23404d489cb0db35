/** Run the winha CLI as a user would (a child process, colour off, no WINHA_STORE from the environment). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, EXAMPLES_DIR } from './paths.js';
import type { Store } from '../../src/store/index.js';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  signal: NodeJS.Signals | null;
}

export interface CliOptions {
  cwd?: string;
  input?: string;
  /** Appended as `--store URL`. */
  store?: string;
  timeout?: number;
}

export function runWinha(args: string[], o: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args, ...(o.store !== undefined ? ['--store', o.store] : [])], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout, killSignal: 'SIGKILL' as const } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

export interface RunningWinha {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  out: () => string;
  exited: Promise<number | null>;
}

/** Start a long-running winha command (e.g. `agent`); with `fdLimit`, under `ulimit -n` through sh. */
export function startWinha(args: string[], o: CliOptions & { fdLimit?: number } = {}): RunningWinha {
  const argv = [BIN, ...args, ...(o.store !== undefined ? ['--store', o.store] : [])];
  const opts = {
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
  const child =
    o.fdLimit === undefined
      ? spawn(process.execPath, argv, opts)
      : spawn('sh', ['-c', `ulimit -n ${o.fdLimit} && exec "$0" "$@"`, process.execPath, ...argv], opts);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

/** A new temporary directory (named `prefix`…) whose file store holds the example manifests, applied as a user would. */
export function exampleFileStore(prefix: string): { dir: string; storeUrl: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const storeUrl = `file://${join(dir, 'store')}`;
  const applied = runWinha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')], { store: storeUrl, cwd: dir });
  assert.equal(applied.code, 0, applied.err);
  return { dir, storeUrl };
}

/** Replace the status of default/`name`, as its agents would. */
export async function setStatus(store: Store, kind: string, name: string, status: unknown): Promise<void> {
  const o = await store.objects.get(kind, 'default', name);
  await store.objects.updateStatus({ ...o, status });
}

/** Poll f every 100 ms until it gives a value (at most `tries` times); else fail with the command's last output. */
export async function untilOutput<T>(
  what: string,
  r: RunningWinha,
  f: () => Promise<T | undefined> | T | undefined,
  tries = 600,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${what} not reached; output:\n${r.out().slice(-3000)}`);
}
