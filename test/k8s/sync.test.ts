/**
 * Issue 20 on a real API server (test/k8s-harness, with the CRDs of crds/, the Sync one included): `winha sync
 * --once --store kubernetes://` applies a commit, and a broken commit is refused with the Sync's status (a CRD
 * status subresource) saying why while the groups stay as they were.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';
import { harnessSkipReason, startHarness, type KubeHarness } from '../k8s-harness/harness.js';
import { makeRepo } from '../sync/fixture.js';

const skip = harnessSkipReason();

describe('winha sync on a real API server', { skip: skip ?? false }, () => {
  let kube: KubeHarness;
  let dir: string;
  before(async () => {
    kube = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'winha-k8s-sync-'));
  });
  after(async () => {
    await kube?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const winha = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--store', 'kubernetes://harness?namespace=default'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', KUBECONFIG: kube.kubeconfig },
      cwd: dir,
      timeout: 120_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('a commit is applied; a broken one is refused, the groups unchanged, the Sync status says why', () => {
    const repo = makeRepo(dir);
    const example = readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8').replace(/^kind: Namespace[\s\S]*?^---\n/m, '');
    const good = repo.commit({ 'prod/all.yaml': example }, 'web and ftp');
    const sync = ['sync', '--from', repo.url, '--path', 'prod', '--once', '--lease-duration', '3', '--prune'];
    let r = winha(sync);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, new RegExp(`revision ${good.slice(0, 12)} synced`));
    const groups = () =>
      (JSON.parse(winha(['get', 'groups', '-o', 'json']).out) as { items: { metadata: { name: string } }[] }).items
        .map((o) => o.metadata.name)
        .sort();
    assert.deepEqual(groups(), ['ftp', 'web']);

    repo.commit({ 'prod/all.yaml': example.replace('priority: 10', 'priority: 1') }, 'two nodes of one priority');
    r = winha(sync);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /refused, nothing applied/);
    assert.deepEqual(groups(), ['ftp', 'web']);
    const s = JSON.parse(winha(['get', 'sync', 'default', '-o', 'json']).out) as {
      status: { phase: string; lastAppliedRevision: string; problems: { file: string }[] };
    };
    assert.equal(s.status.phase, 'Refused');
    assert.equal(s.status.lastAppliedRevision, good);
    assert.ok(s.status.problems.some((p) => p.file === 'prod/all.yaml'));
  });
});
