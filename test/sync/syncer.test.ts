/**
 * Issue 20: one pass of `winha sync` against a store — what an operator sees in the store, in the Sync object's
 * status and in events when a revision adds, breaks, drops or fights with what the store holds.
 * The repository is a directory the test writes (the git source has its own tests: source.test.ts).
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore } from '../../src/store/memory.js';
import type { Store, StoredObject } from '../../src/store/types.js';
import { SystemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/controller/logger.js';
import { EventRecorder } from '../../src/controller/event-recorder.js';
import { Syncer, type SyncerConfig } from '../../src/sync/syncer.js';
import type { Revision, Source } from '../../src/sync/source.js';
import type { SyncStatus } from '../../src/api/types.js';
import { CLUSTER, groupYaml, writeTree } from './fixture.js';

class DirSource implements Source {
  readonly kind = 'directory' as const;
  revision = 'r1';
  constructor(readonly root: string) {}
  fetch(): Promise<Revision> {
    return Promise.resolve({ revision: this.revision, root: this.root, dir: join(this.root, 'clusters', 'prod') });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let n = 0;
let root: string;
let store: Store;
let source: DirSource;

function syncer(over: Partial<SyncerConfig['spec']> = {}, identity = 'syncer-a', s: Store = store): Syncer {
  const clock = new SystemClock();
  const events = new EventRecorder(s.objects, identity, clock);
  const cfg: SyncerConfig = {
    name: 'prod',
    namespace: 'default',
    identity,
    spec: { source: root, path: 'clusters/prod', intervalSeconds: 60, prune: true, correctDrift: true, ...over },
    leaseSeconds: 15,
  };
  return new Syncer(cfg, { store: s, clock, source, log: silentLogger, event: (e) => events.record(e) });
}

/** The repository's revision `rev`: the cluster plus these groups (name → VIP address). */
function revision(rev: string, groups: Record<string, string>, extra: Record<string, string> = {}): void {
  const files: Record<string, string> = { 'clusters/prod/cluster.yaml': CLUSTER, ...extra };
  for (const [g, addr] of Object.entries(groups)) files[`clusters/prod/${g}.yaml`] = groupYaml(g, addr);
  writeTree(root, files);
  source.revision = rev;
}

async function names(kind: string): Promise<string[]> {
  return (await store.objects.list(kind)).items.map((o) => o.metadata.name).sort();
}

async function syncStatus(): Promise<SyncStatus> {
  return (await store.objects.get('Sync', 'default', 'prod')).status ?? {};
}

async function events(reason: string): Promise<StoredObject[]> {
  return (await store.objects.list('Event')).items.filter((e) => (e as unknown as { reason: string }).reason === reason);
}

async function synced(s: Syncer): Promise<void> {
  assert.ok(await s.tryLead(), 'the only syncer leads');
  const a = await s.pass();
  assert.ok(a.kind === 'pass' && a.result.outcome === 'Synced', JSON.stringify(a));
}

describe('winha sync: one pass', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'winha-sync-'));
    store = openMemoryStore(`sync-${n++}`);
    source = new DirSource(root);
  });
  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a revision that adds a group is applied; status says Synced with its revision and counts; SyncSucceeded', async () => {
    const s = syncer();
    revision('r1', { web: '10.0.0.50' });
    await synced(s);
    assert.deepEqual(await names('FailoverGroup'), ['web']);
    revision('r2', { web: '10.0.0.50', ftp: '10.0.0.60' });
    await synced(s);
    assert.deepEqual(await names('FailoverGroup'), ['ftp', 'web']);
    const st = await syncStatus();
    assert.equal(st.phase, 'Synced');
    assert.equal(st.lastAppliedRevision, 'r2');
    assert.equal(st.applied, 2, 'the ftp group and its VIP');
    assert.equal(st.unchanged, 3);
    assert.equal(st.syncer, 'syncer-a');
    assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(st.inventory?.length, 5);
    const ok = await events('SyncSucceeded');
    assert.ok(
      ok.some((e) =>
        /revision r2: 5 object\(s\): 2 applied, 3 unchanged, 0 pruned/.test(String((e as unknown as { message: string }).message)),
      ),
    );
    // A pass over an unchanged repository writes nothing and records no new event.
    const before = (await store.objects.get('FailoverGroup', 'default', 'ftp')).metadata.resourceVersion;
    const count = (await events('SyncSucceeded')).length;
    await synced(s);
    assert.equal((await store.objects.get('FailoverGroup', 'default', 'ftp')).metadata.resourceVersion, before);
    assert.equal((await events('SyncSucceeded')).length, count);
  });

  test('an invalid revision is refused: nothing applied, the last good revision stays, problems with file:line:column in status and event', async () => {
    const s = syncer();
    revision('r1', { web: '10.0.0.50' });
    await synced(s);
    // r2 adds a valid group and breaks another: the whole revision is refused, the valid part included.
    revision('r2', { web: '10.0.0.50', ftp: '10.0.0.60' }, { 'clusters/prod/bad.yaml': groupYaml('bad', '10.0.0.999') });
    assert.ok(await s.tryLead());
    const a = await s.pass();
    assert.ok(a.kind === 'pass' && a.result.outcome === 'Refused');
    assert.deepEqual(await names('FailoverGroup'), ['web'], 'ftp (valid) was not applied either');
    const st = await syncStatus();
    assert.equal(st.phase, 'Refused');
    assert.equal(st.revision, 'r2');
    assert.equal(st.lastAppliedRevision, 'r1', 'the store still equals r1');
    assert.equal(st.consecutiveFailures, 1);
    const p = st.problems?.find((x) => x.file === 'clusters/prod/bad.yaml');
    assert.ok(p, JSON.stringify(st.problems));
    assert.ok(p.line! > 1 && p.column! >= 1 && p.code.length > 0);
    const refusedEvents = await events('SyncRefused');
    assert.equal(refusedEvents.length, 1);
    assert.match(
      String((refusedEvents[0] as unknown as { message: string }).message),
      /revision r2 refused, nothing applied \(the store keeps r1\): clusters\/prod\/bad\.yaml:\d+:\d+: /,
    );
    assert.equal((refusedEvents[0] as unknown as { type: string }).type, 'Warning');
    // Fixed in r3: applied, the problems leave the status.
    revision('r3', { web: '10.0.0.50', ftp: '10.0.0.60', bad: '10.0.0.70' });
    await synced(s);
    assert.deepEqual(await names('FailoverGroup'), ['bad', 'ftp', 'web']);
    const fixed = await syncStatus();
    assert.equal(fixed.problems, undefined);
    assert.equal(fixed.consecutiveFailures, 0);
  });

  test('prune deletes what an earlier pass applied and the repository dropped; without prune it stays', async () => {
    const keep = syncer({ prune: false });
    revision('r1', { web: '10.0.0.50', ftp: '10.0.0.60' });
    await synced(keep);
    revision('r2', { web: '10.0.0.50' });
    await synced(keep);
    assert.deepEqual(await names('FailoverGroup'), ['ftp', 'web'], 'no --prune: ftp stays');
    await keep.stop();
    // An object someone created by hand is never pruned: only what the sync applied.
    const s = syncer({ prune: true });
    revision('r3', { web: '10.0.0.50', ftp: '10.0.0.60' });
    await synced(s);
    revision('r4', { web: '10.0.0.50' });
    await synced(s);
    assert.deepEqual(await names('FailoverGroup'), ['web']);
    assert.deepEqual(await names('VirtualIP'), ['web-vip']);
    assert.equal((await syncStatus()).pruned, 2);
  });

  test('a group renamed in git keeps its address: with prune the old one goes and the new one is not a conflict', async () => {
    const s = syncer({ prune: true });
    revision('r1', { web: '10.0.0.50' });
    await synced(s);
    revision('r2', { www: '10.0.0.50' });
    await synced(s);
    assert.deepEqual(await names('FailoverGroup'), ['www']);
  });

  test('drift: an object edited or deleted in the store is reported and written back; DriftCorrected on the object', async () => {
    const s = syncer();
    revision('r1', { web: '10.0.0.50', ftp: '10.0.0.60' });
    await synced(s);
    const web = await store.objects.get('FailoverGroup', 'default', 'web');
    const spec = web.spec as { nodes: { name: string; priority: number }[] };
    await store.objects.update({ ...web, spec: { ...spec, nodes: [spec.nodes[0]!, { name: 'node2', priority: 99 }] } });
    await store.objects.delete('VirtualIP', 'default', 'ftp-vip');
    await synced(s);
    const st = await syncStatus();
    const drift = st.drift ?? [];
    assert.deepEqual(drift.map((d) => [d.kind, d.name, d.change, d.corrected]).sort(), [
      ['FailoverGroup', 'web', 'Modified', true],
      ['VirtualIP', 'ftp-vip', 'Deleted', true],
    ]);
    assert.match(drift.find((d) => d.name === 'web')?.diff ?? '', /-\s+priority: 99\n\+\s+priority: 10/);
    const after = await store.objects.get('FailoverGroup', 'default', 'web');
    assert.equal((after.spec as typeof spec).nodes[1]!.priority, 10, 'written back');
    await store.objects.get('VirtualIP', 'default', 'ftp-vip');
    const corrected = await events('DriftCorrected');
    assert.deepEqual(corrected.map((e) => (e as unknown as { involvedObject: { name: string } }).involvedObject.name).sort(), [
      'ftp-vip',
      'web',
    ]);
  });

  test('drift with correctDrift off: reported (DriftFound) and left as it is, while git changes still apply', async () => {
    const s = syncer({ correctDrift: false });
    revision('r1', { web: '10.0.0.50', ftp: '10.0.0.60' });
    await synced(s);
    const web = await store.objects.get('FailoverGroup', 'default', 'web');
    const spec = web.spec as { nodes: { name: string; priority: number }[] };
    await store.objects.update({ ...web, spec: { ...spec, nodes: [spec.nodes[0]!, { name: 'node2', priority: 99 }] } });
    revision('r2', { web: '10.0.0.50', ftp: '10.0.0.60', mail: '10.0.0.70' });
    await synced(s);
    assert.equal(((await store.objects.get('FailoverGroup', 'default', 'web')).spec as typeof spec).nodes[1]!.priority, 99);
    assert.deepEqual(await names('FailoverGroup'), ['ftp', 'mail', 'web']);
    const st = await syncStatus();
    assert.deepEqual(
      st.drift?.map((d) => [d.name, d.corrected]),
      [['web', false]],
    );
    assert.equal((await events('DriftFound')).length, 1);
    // Reported again on the next pass, until someone acts (it is still not what git says).
    await synced(s);
    assert.equal((await syncStatus()).drift?.length, 1);
  });

  test('a change made in git is an update, not drift, even when the store was edited too', async () => {
    const s = syncer();
    revision('r1', { web: '10.0.0.50' });
    await synced(s);
    const web = await store.objects.get('FailoverGroup', 'default', 'web');
    await store.objects.update({ ...web, metadata: { ...web.metadata, labels: { tier: 'gold' } } });
    writeTree(root, { 'clusters/prod/cluster.yaml': CLUSTER, 'clusters/prod/web.yaml': groupYaml('web', '10.0.0.50', 20) });
    source.revision = 'r2';
    await synced(s);
    assert.deepEqual((await syncStatus()).drift, []);
  });

  test('a revision with no WinHA objects (a wrong --path) is refused and prunes nothing', async () => {
    const s = syncer({ prune: true });
    revision('r1', { web: '10.0.0.50' });
    await synced(s);
    writeTree(root, { 'clusters/prod/README.md': 'moved\n' });
    source.revision = 'r2';
    assert.ok(await s.tryLead());
    const a = await s.pass();
    assert.ok(a.kind === 'pass' && a.result.outcome === 'Refused');
    assert.deepEqual(await names('FailoverGroup'), ['web']);
    assert.equal((await syncStatus()).problems?.[0]?.code, 'empty-revision');
  });

  test('a Sync manifest in the repository is refused (the syncer writes its own)', async () => {
    const s = syncer();
    revision(
      'r1',
      { web: '10.0.0.50' },
      { 'clusters/prod/sync.yaml': 'apiVersion: winha.io/v1alpha1\nkind: Sync\nmetadata: {name: x}\nspec: {source: /tmp}\n' },
    );
    assert.ok(await s.tryLead());
    const a = await s.pass();
    assert.ok(a.kind === 'pass' && a.result.outcome === 'Refused');
    assert.equal((await syncStatus()).problems?.[0]?.code, 'not-applyable');
  });

  test('two syncers: one leads, the other stands by; when the leader stops the other takes over at once', async () => {
    revision('r1', { web: '10.0.0.50' });
    const a = syncer({}, 'syncer-a');
    const b = syncer({}, 'syncer-b');
    assert.equal(await a.tryLead(), true);
    assert.equal(await b.tryLead(), false);
    await a.stop();
    assert.equal(await b.tryLead(), true);
    await synced(b);
    assert.equal((await syncStatus()).syncer, 'syncer-b');
  });
});
