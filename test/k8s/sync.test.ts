/**
 * Issue 20 on a real API server (test/k8s-harness, with the CRDs of crds/, the Sync one included): `winha sync
 * --once --store kubernetes://` applies a commit, and a broken commit is refused with the Sync's status (a CRD
 * status subresource) saying why while the groups stay as they were.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXAMPLES_DIR } from '../support/paths.js';
import { harnessSkipReason } from '../k8s-harness/harness.js';
import { harnessPerSuite, runWinha } from '../k8s-harness/suite.js';
import { makeRepo } from '../sync/fixture.js';

const skip = harnessSkipReason();

describe('winha sync on a real API server', { skip: skip ?? false }, () => {
  const h = harnessPerSuite('winha-k8s-sync-');
  const winha = (args: string[]) =>
    runWinha([...args, '--store', 'kubernetes://harness?namespace=default'], h.kube.kubeconfig, h.dir, 120_000);

  it('a commit is applied; a broken one is refused, the groups unchanged, the Sync status says why', () => {
    const repo = makeRepo(h.dir);
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
