/**
 * Issue 20, as an operator runs it: `winha sync` processes against a git repository the test creates (git init,
 * commits, a bare origin reached by a file:// URL), on the file store and on a real etcd: a commit adds a group →
 * applied; an invalid commit → refused, the store unchanged, the problems in status, `winha status` and an event;
 * a removal with --prune → pruned; an out-of-band edit → drift reported and corrected; two syncers at once → one
 * works, the other takes over after the first is killed; kill -9 mid-apply → the next pass completes the revision.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha, type RunningWinha } from '../support/cli.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import type { SyncStatus } from '../../src/api/types.js';
import { etcdUnavailableReason } from '../support/etcd-cluster.js';
import { sharedEtcd, stopSharedEtcd } from '../store/etcd-harness.js';
import { CLUSTER, groupYaml, makeRepo } from './fixture.js';

type Repo = ReturnType<typeof makeRepo>;

function files(groups: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {
    'clusters/prod/cluster.yaml': CLUSTER,
    'clusters/staging/README.md': 'another cluster\n',
    ...extra,
  };
  for (const [g, addr] of Object.entries(groups)) out[`clusters/prod/${g}.yaml`] = groupYaml(g, addr);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function groups(store: Store): Promise<string[]> {
  return (await store.objects.list('FailoverGroup')).items.map((o) => o.metadata.name).sort();
}

async function syncStatus(store: Store): Promise<SyncStatus> {
  return (await store.objects.get('Sync', 'default', 'default')).status ?? {};
}

function once(repo: Repo, storeUrl: string, cwd: string, ...more: string[]) {
  return runWinha(['sync', '--from', repo.url, '--path', 'clusters/prod', '--once', '--lease-duration', '3', ...more], {
    store: storeUrl,
    cwd,
    timeout: 60_000,
  });
}

function startSync(repo: Repo, storeUrl: string, cwd: string, identity: string): RunningWinha {
  return startWinha(
    ['sync', '--from', repo.url, '--path', 'clusters/prod', '--interval', '5s', '--lease-duration', '3', '--prune', '--identity', identity],
    { store: storeUrl, cwd },
  );
}

/** Every scenario on one backend: the file store, then a real etcd. */
function backend(name: string, skip: string | undefined, open: (dir: string) => Promise<string>, close: () => Promise<void>): void {
  describe(`winha sync on ${name}`, { ...(skip ? { skip } : {}) }, () => {
    let dir: string;
    let repo: Repo;
    let storeUrl: string;
    let store: Store;
    const procs: RunningWinha[] = [];
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'winha-sync-cli-'));
      repo = makeRepo(dir);
      storeUrl = await open(dir);
      store = await openStore(storeUrl);
    });
    after(async () => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await store?.close();
      await close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('commits are applied, an invalid one is refused with its problems, prune removes, drift is corrected', async () => {
      const c1 = repo.commit(files({ web: '10.0.0.50' }), 'web');
      let r = once(repo, storeUrl, dir);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, new RegExp(`revision ${c1.slice(0, 12)} synced: 3 object\\(s\\): 3 applied`));
      assert.deepEqual(await groups(store), ['web']);

      // A commit adds a group.
      const c2 = repo.commit(files({ web: '10.0.0.50', ftp: '10.0.0.60' }), 'add ftp');
      r = once(repo, storeUrl, dir, '--prune');
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(await groups(store), ['ftp', 'web']);
      assert.equal((await syncStatus(store)).lastAppliedRevision, c2);
      assert.equal((await syncStatus(store)).subject, 'add ftp');

      // An invalid commit: refused (exit 1), nothing written, the problem with its place on stdout, in status and an event.
      const c3 = repo.commit(files({ web: '10.0.0.50', ftp: '10.0.0.60', mail: '10.0.0.60' }), 'mail on the ftp address');
      const versions = async () =>
        (await store.objects.list('FailoverGroup')).items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`);
      const before = await versions();
      r = once(repo, storeUrl, dir, '--prune');
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, new RegExp(`revision ${c3.slice(0, 12)} refused, nothing applied`));
      assert.match(r.out, /clusters\/prod\/mail\.yaml:\d+:\d+: duplicate-virtual-ip: /);
      assert.deepEqual(await groups(store), ['ftp', 'web']);
      assert.deepEqual(await versions(), before, 'not one write to the groups');
      const refused = await syncStatus(store);
      assert.equal(refused.phase, 'Refused');
      assert.equal(refused.lastAppliedRevision, c2);
      assert.ok(refused.problems?.some((p) => p.file === 'clusters/prod/mail.yaml' && p.code === 'duplicate-virtual-ip'));
      const status = runWinha(['status'], { store: storeUrl, cwd: dir });
      assert.match(status.out, new RegExp(`Sync default   Refused   revision ${c2.slice(0, 12)}`));
      assert.match(status.out, new RegExp(`  pending:   ${c3.slice(0, 12)} refused`));
      assert.match(
        status.out,
        new RegExp(
          `PROBLEMS: .*sync default: revision ${c3.slice(0, 12)} refused \\(2 problem\\(s\\)\\); the store keeps ${c2.slice(0, 12)}`,
        ),
      );
      const events = runWinha(['events'], { store: storeUrl, cwd: dir });
      assert.match(events.out, /SyncRefused/);

      // Fixed, and ftp removed from the repository: with --prune it goes.
      const c4 = repo.commit(files({ web: '10.0.0.50', mail: '10.0.0.70' }), 'drop ftp, mail on its own address');
      r = once(repo, storeUrl, dir, '--prune');
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /failovergroup\/ftp \(default\) pruned/);
      assert.deepEqual(await groups(store), ['mail', 'web']);
      assert.deepEqual((await store.objects.list('VirtualIP')).items.map((o) => o.metadata.name).sort(), ['mail-vip', 'web-vip']);

      // Someone edits a group in the store (a laptop `winha apply`, an editor): drift, shown as a diff and written back.
      const web = await store.objects.get('FailoverGroup', 'default', 'web');
      await store.objects.update({ ...web, spec: { ...(web.spec as object), switchback: 'Automatic' } });
      r = once(repo, storeUrl, dir, '--prune');
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /drift: failovergroup\/web \(default\) modified in the store, corrected/);
      const st = await syncStatus(store);
      assert.equal(st.drift?.[0]?.name, 'web');
      assert.match(st.drift?.[0]?.diff ?? '', /switchback: Automatic/);
      assert.notEqual(
        ((await store.objects.get('FailoverGroup', 'default', 'web')).spec as { switchback?: string }).switchback,
        'Automatic',
      );
      assert.equal(st.lastAppliedRevision, c4);
      assert.match(runWinha(['events'], { store: storeUrl, cwd: dir }).out, /DriftCorrected/);
    });

    test('two syncers at once: one works, the other stands by and takes over when the first is killed', async () => {
      const c1 = repo.commit(files({ web: '10.0.0.50' }), 'web alone');
      const a = startSync(repo, storeUrl, dir, 'syncer-a');
      const b = startSync(repo, storeUrl, dir, 'syncer-b');
      procs.push(a, b);
      await until('the revision applied by one of them', async () =>
        (await syncStatus(store)).lastAppliedRevision === c1 ? true : undefined,
      );
      assert.deepEqual(await groups(store), ['web'], 'pruned to the revision');
      const leader = (await syncStatus(store)).syncer;
      assert.ok(leader === 'syncer-a' || leader === 'syncer-b');
      const [first, second] = leader === 'syncer-a' ? [a, b] : [b, a];
      assert.match(second.out(), /standing by: another syncer holds the sync lease/);
      assert.doesNotMatch(second.out(), /synced/, 'the standby did not apply anything');

      first.child.kill('SIGKILL');
      await first.exited;
      const c2 = repo.commit(files({ web: '10.0.0.50', ftp: '10.0.0.60' }), 'add ftp');
      await until(
        'the standby applies the next commit',
        async () => ((await syncStatus(store)).lastAppliedRevision === c2 ? true : undefined),
        40_000,
      );
      assert.deepEqual(await groups(store), ['ftp', 'web']);
      assert.equal((await syncStatus(store)).syncer, leader === 'syncer-a' ? 'syncer-b' : 'syncer-a');
      assert.equal(second.child.exitCode, null, 'the other syncer survived the crash');
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    });

    test('kill -9 mid-apply: the next pass completes the revision', async () => {
      // A large revision, so that the write takes a while after the syncer says "Applying".
      const many: Record<string, string> = {};
      for (let i = 0; i < 150; i++) many[`g${i}`] = `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`;
      const c3 = repo.commit(files({ web: '10.0.0.50', ...many }), '150 more groups');
      const s = startSync(repo, storeUrl, dir, 'syncer-c');
      procs.push(s);
      const seen = await until(
        'the syncer applying the large revision',
        async () => {
          const st = await syncStatus(store);
          if (st.phase === 'Applying' && st.revision === c3) return 'applying';
          if (st.lastAppliedRevision === c3) return 'done';
          return undefined;
        },
        60_000,
      );
      s.child.kill('SIGKILL');
      await s.exited;
      // 300 writes exceed one etcd transaction (128 operations): the set may be half written, and then the Sync must
      // not say Synced (it still says Applying that revision) until a pass completes it.
      const partial = (await groups(store)).length;
      const left = await syncStatus(store);
      if (partial !== 151)
        assert.deepEqual([left.phase, left.revision], ['Applying', c3], `${partial} groups after the kill (saw ${seen})`);
      const r = once(repo, storeUrl, dir, '--prune');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal((await groups(store)).length, 151);
      const st = await syncStatus(store);
      assert.equal(st.phase, 'Synced');
      assert.equal(st.lastAppliedRevision, c3);
    });
  });
}

backend(
  'the file store',
  undefined,
  (dir) => Promise.resolve(`file://${join(dir, 'store')}`),
  () => Promise.resolve(),
);
backend('etcd', etcdUnavailableReason(), async () => (await sharedEtcd()).url(`/sync-${process.pid}`), stopSharedEtcd);
