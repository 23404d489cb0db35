/**
 * The store contract: every backend (memory, file, later etcd and Kubernetes)
 * runs this suite unchanged through its own BackendFactory.
 *
 * Time moves only through harness.advance(), so lease expiry is tested on the
 * injected clock, never by waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectInput, Store, Watch, WatchEvent } from '../../src/store/index.js';
import { isStoreError } from '../../src/store/index.js';
import { SystemClock } from '../../src/lib/clock.js';

const wall = new SystemClock();

export interface Harness {
  /** A new connection to the one backend under test (another node, or a restarted process). */
  connect(): Promise<Store>;
  /** Move the connections' clock forward. */
  advance(ms: number): Promise<void>;
  /** Close every connection and remove what the backend left behind. */
  cleanup(): Promise<void>;
}

export interface BackendFactory {
  name: string;
  /** historyLimit: how many recent revisions the backend must keep for watch resume (small in the Gone test). */
  create(options: { historyLimit: number }): Promise<Harness>;
}

const API = 'winha.io/v1alpha1';
const T = { timeout: 30_000 };

function group(
  name: string,
  spec: Record<string, unknown> = { nodes: [{ name: 'node1', priority: 1 }] },
  labels?: Record<string, string>,
): ObjectInput {
  return { apiVersion: API, kind: 'FailoverGroup', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

/** Reads a watch event by event. */
class Reader {
  private it: AsyncIterator<WatchEvent>;
  constructor(readonly watch: Watch) {
    this.it = watch[Symbol.asyncIterator]();
  }
  async next(): Promise<WatchEvent> {
    const r = await this.it.next();
    if (r.done) throw new Error('watch ended');
    return r.value;
  }
  /** The next n events that are not bookmarks. */
  async take(n: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    while (out.length < n) {
      const ev = await this.next();
      if (ev.type !== 'BOOKMARK') out.push(ev);
    }
    return out;
  }
}

function summary(evs: WatchEvent[]): string[] {
  return evs.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK` : `${e.type} ${e.object.metadata.name}`));
}

async function rejectsWith(p: Promise<unknown>, code: string, mentions?: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(isStoreError(e, code as never), `expected ${code}, got ${String(e)}`);
    if (mentions) assert.match((e as Error).message, new RegExp(mentions.replace(/[/.*]/g, '\\$&')));
    assert.ok(!(e as Error).message.includes('\n'), 'messages are one line');
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

export function storeContract(factory: BackendFactory): void {
  describe(`store contract: ${factory.name}`, () => {
    const withStore = async (fn: (s: Store, h: Harness) => Promise<void>, historyLimit = 1000): Promise<void> => {
      const h = await factory.create({ historyLimit });
      try {
        await fn(await h.connect(), h);
      } finally {
        await h.cleanup();
      }
    };

    describe('objects', () => {
      it('create fills server metadata, defaults the namespace and drops status', T, () =>
        withStore(async (s) => {
          const input = { ...group('web'), status: { phase: 'ignored' } };
          const o = await s.objects.create(input);
          assert.equal(o.metadata.namespace, 'default');
          assert.equal(o.metadata.generation, 1);
          assert.match(o.metadata.uid, /^[0-9a-f-]{36}$/);
          assert.match(o.metadata.resourceVersion, /^\d+$/);
          assert.match(o.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
          assert.equal(o.status, undefined);
          assert.deepEqual(o.spec, input.spec);
          assert.deepEqual(await s.objects.get('FailoverGroup', 'default', 'web'), o);
          assert.equal(input.metadata.uid, undefined, 'the input is not modified');
        }),
      );

      it('create of an existing name is AlreadyExists; get of a missing one is NotFound', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('web'));
          await rejectsWith(s.objects.create(group('web')), 'AlreadyExists', 'FailoverGroup default/web');
          await rejectsWith(s.objects.get('FailoverGroup', 'default', 'nope'), 'NotFound', 'FailoverGroup default/nope');
          await rejectsWith(s.objects.create({ apiVersion: API, kind: 'FailoverGroup', metadata: { name: '' } }), 'Invalid');
          await rejectsWith(s.objects.create({ ...group('x'), metadata: { name: 'x', resourceVersion: '5' } }), 'Invalid');
        }),
      );

      it('kinds and namespaces are separate key spaces', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('web'));
          await s.objects.create({ ...group('web'), metadata: { name: 'web', namespace: 'prod' } });
          await s.objects.create({ apiVersion: API, kind: 'VirtualIP', metadata: { name: 'web' }, spec: { address: '10.0.0.10' } });
          assert.equal((await s.objects.list('FailoverGroup')).items.length, 2);
          assert.equal((await s.objects.list('FailoverGroup', { namespace: 'prod' })).items.length, 1);
          assert.equal((await s.objects.list('VirtualIP')).items.length, 1);
          assert.equal((await s.objects.list('Mirror')).items.length, 0);
        }),
      );

      it('update is a compare-and-swap on resourceVersion', T, () =>
        withStore(async (s) => {
          const o = await s.objects.create(group('web'));
          const u = await s.objects.update({ ...o, spec: { nodes: [] } });
          assert.ok(Number(u.metadata.resourceVersion) > Number(o.metadata.resourceVersion));
          await rejectsWith(s.objects.update({ ...o, spec: { nodes: [{ name: 'x' }] } }), 'Conflict', 'FailoverGroup default/web');
          await rejectsWith(s.objects.update(group('absent')), 'NotFound', 'FailoverGroup default/absent');
          // Without a resourceVersion an update is unconditional (as for Kubernetes custom resources).
          const w = await s.objects.update(group('web', { nodes: [{ name: 'y' }] }));
          assert.deepEqual(w.spec, { nodes: [{ name: 'y' }] });
        }),
      );

      it('exactly one of two concurrent updates from the same resourceVersion wins', T, () =>
        withStore(async (s, h) => {
          const other = await h.connect();
          for (let round = 0; round < 5; round++) {
            const o = await s.objects.get('FailoverGroup', 'default', 'web').catch(() => s.objects.create(group('web')));
            const results = await Promise.allSettled([
              s.objects.update({ ...o, spec: { by: 'a', round } }),
              other.objects.update({ ...o, spec: { by: 'b', round } }),
            ]);
            const won = results.filter((r) => r.status === 'fulfilled');
            const lost = results.filter((r) => r.status === 'rejected');
            assert.equal(won.length, 1, `round ${round}: one winner`);
            assert.ok(isStoreError((lost[0] as PromiseRejectedResult).reason, 'Conflict'));
            const stored = await other.objects.get('FailoverGroup', 'default', 'web');
            assert.deepEqual(stored, (won[0] as PromiseFulfilledResult<unknown>).value);
          }
        }),
      );

      it('generation counts spec changes only; an unchanged update is a no-op', T, () =>
        withStore(async (s) => {
          const o = await s.objects.create(group('web'));
          const same = await s.objects.update(o);
          assert.equal(same.metadata.resourceVersion, o.metadata.resourceVersion, 'no-op keeps the resourceVersion');
          const labelled = await s.objects.update({ ...o, metadata: { ...o.metadata, labels: { tier: 'web' } } });
          assert.equal(labelled.metadata.generation, 1, 'labels are not spec');
          assert.notEqual(labelled.metadata.resourceVersion, o.metadata.resourceVersion);
          const respec = await s.objects.update({ ...labelled, spec: { nodes: [] } });
          assert.equal(respec.metadata.generation, 2);
          assert.equal(respec.metadata.uid, o.metadata.uid);
          assert.equal(respec.metadata.creationTimestamp, o.metadata.creationTimestamp);
          // Server-managed fields in the input are ignored.
          const forged = await s.objects.update({
            ...respec,
            metadata: { ...respec.metadata, generation: 99, creationTimestamp: '1999-01-01T00:00:00Z' },
            spec: { nodes: [{ name: 'n' }] },
          });
          assert.equal(forged.metadata.generation, 3);
          assert.equal(forged.metadata.creationTimestamp, o.metadata.creationTimestamp);
        }),
      );

      it('objects without a spec keep their top-level fields (Event)', T, () =>
        withStore(async (s) => {
          const ev = await s.objects.create({
            apiVersion: API,
            kind: 'Event',
            metadata: { name: 'web.1' },
            reason: 'Failover',
            code: 9704,
            count: 1,
          });
          assert.equal(ev['reason'], 'Failover');
          const bumped = await s.objects.update({ ...ev, count: 2 });
          assert.equal(bumped['count'], 2);
          assert.equal(bumped.metadata.generation, 2);
        }),
      );

      it('status is a subresource: updateStatus changes only status, update never does', T, () =>
        withStore(async (s) => {
          const o = await s.objects.create(group('web'));
          const st = await s.objects.updateStatus({ ...o, spec: { nodes: ['ignored'] }, status: { activeNode: 'node1' } });
          assert.deepEqual(st.status, { activeNode: 'node1' });
          assert.deepEqual(st.spec, o.spec);
          assert.equal(st.metadata.generation, 1);
          assert.notEqual(st.metadata.resourceVersion, o.metadata.resourceVersion);
          await rejectsWith(s.objects.updateStatus({ ...o, status: { activeNode: 'node2' } }), 'Conflict');
          const up = await s.objects.update({ ...st, spec: { nodes: [] }, status: { activeNode: 'forged' } });
          assert.deepEqual(up.status, { activeNode: 'node1' });
          assert.equal(up.metadata.generation, 2);
          const same = await s.objects.updateStatus(up);
          assert.equal(same.metadata.resourceVersion, up.metadata.resourceVersion);
        }),
      );

      it('delete honours resourceVersion and uid preconditions', T, () =>
        withStore(async (s) => {
          const o = await s.objects.create(group('web'));
          const u = await s.objects.update({ ...o, spec: { nodes: [] } });
          await rejectsWith(
            s.objects.delete('FailoverGroup', 'default', 'web', { preconditions: { resourceVersion: o.metadata.resourceVersion } }),
            'Conflict',
            'FailoverGroup default/web',
          );
          await rejectsWith(s.objects.delete('FailoverGroup', 'default', 'web', { preconditions: { uid: 'other' } }), 'Conflict');
          const gone = await s.objects.delete('FailoverGroup', 'default', 'web', {
            preconditions: { resourceVersion: u.metadata.resourceVersion, uid: u.metadata.uid },
          });
          assert.deepEqual(gone.spec, u.spec);
          await rejectsWith(s.objects.get('FailoverGroup', 'default', 'web'), 'NotFound');
          await rejectsWith(s.objects.delete('FailoverGroup', 'default', 'web'), 'NotFound', 'FailoverGroup default/web');
          const again = await s.objects.create(group('web'));
          assert.notEqual(again.metadata.uid, o.metadata.uid, 're-created objects get a new uid');
          await rejectsWith(s.objects.update({ ...again, metadata: { ...again.metadata, uid: o.metadata.uid } }), 'Conflict');
        }),
      );

      it('list filters by label selector and returns a collection resourceVersion', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('a', {}, { app: 'web', tier: 'front' }));
          await s.objects.create(group('b', {}, { app: 'web', tier: 'back' }));
          const c = await s.objects.create(group('c', {}, { app: 'ftp' }));
          const names = async (sel: string | Record<string, string>) =>
            (await s.objects.list('FailoverGroup', { labelSelector: sel })).items.map((o) => o.metadata.name).sort();
          assert.deepEqual(await names('app=web'), ['a', 'b']);
          assert.deepEqual(await names('app=web,tier!=back'), ['a']);
          assert.deepEqual(await names('tier in (front, back)'), ['a', 'b']);
          assert.deepEqual(await names('!tier'), ['c']);
          assert.deepEqual(await names('tier'), ['a', 'b']);
          assert.deepEqual(await names({ app: 'ftp' }), ['c']);
          const l = await s.objects.list('FailoverGroup');
          assert.ok(Number(l.resourceVersion) >= Number(c.metadata.resourceVersion));
          await rejectsWith(s.objects.list('FailoverGroup', { labelSelector: 'a in (' }), 'Invalid');
        }),
      );

      it('batch applies operations in order, each on its own, with consecutive revisions', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('taken'));
          const r = await s.objects.batch([
            { op: 'create', object: group('x') },
            { op: 'create', object: group('taken') },
            { op: 'create', object: group('y') },
            { op: 'update', object: group('x', { nodes: [] }) },
            { op: 'delete', kind: 'FailoverGroup', namespace: 'default', name: 'y' },
          ]);
          assert.deepEqual(
            r.map((x) => x.ok),
            [true, false, true, true, true],
          );
          assert.ok(!r[1]!.ok && isStoreError(r[1]!.error, 'AlreadyExists'));
          const rvs = r.filter((x) => x.ok).map((x) => (x.ok ? Number(x.object.metadata.resourceVersion) : 0));
          assert.deepEqual(rvs, [rvs[0]!, rvs[0]! + 1, rvs[0]! + 2, rvs[0]! + 3]);
          const x = await s.objects.get('FailoverGroup', 'default', 'x');
          assert.equal(x.metadata.generation, 2);
          await rejectsWith(s.objects.get('FailoverGroup', 'default', 'y'), 'NotFound');
        }),
      );
    });

    describe('watch', () => {
      it('list then watch from its resourceVersion delivers every later change once, in order', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('before'));
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion }));
          const a = await s.objects.create(group('a'));
          await s.objects.create({ apiVersion: API, kind: 'VirtualIP', metadata: { name: 'vip' }, spec: {} });
          const a2 = await s.objects.update({ ...a, spec: { nodes: [] } });
          await s.objects.delete('FailoverGroup', 'default', 'before');
          const evs = await r.take(3);
          assert.deepEqual(summary(evs), ['ADDED a', 'MODIFIED a', 'DELETED before']);
          assert.deepEqual(evs[1]!.type !== 'BOOKMARK' && evs[1]!.object, a2);
          const rvs = evs.map((e) => Number(e.resourceVersion));
          assert.deepEqual(
            [...rvs].sort((x, y) => x - y),
            rvs,
          );
          const del = evs[2]!;
          assert.ok(del.type === 'DELETED' && del.object.metadata.resourceVersion === del.resourceVersion);
          r.watch.close();
        }),
      );

      it('watch without a resourceVersion starts with the current objects', T, () =>
        withStore(async (s) => {
          await s.objects.create(group('a'));
          await s.objects.create({ ...group('b'), metadata: { name: 'b', namespace: 'other' } });
          const r = new Reader(s.objects.watch('FailoverGroup', { namespace: 'default' }));
          const [first] = await r.take(1);
          assert.deepEqual(summary([first!]), ['ADDED a']);
          await s.objects.create(group('c'));
          await s.objects.create({ ...group('d'), metadata: { name: 'd', namespace: 'other' } });
          await s.objects.create(group('e'));
          assert.deepEqual(summary(await r.take(2)), ['ADDED c', 'ADDED e']);
          r.watch.close();
        }),
      );

      it('resumes from any resourceVersion without gaps or duplicates', T, () =>
        withStore(async (s) => {
          const rvs: string[] = [];
          for (const n of ['a', 'b', 'c', 'd']) rvs.push((await s.objects.create(group(n))).metadata.resourceVersion);
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: rvs[1]! }));
          assert.deepEqual(summary(await r.take(2)), ['ADDED c', 'ADDED d']);
          await s.objects.create(group('e'));
          assert.deepEqual(summary(await r.take(1)), ['ADDED e']);
          r.watch.close();
        }),
      );

      it('label-selected watches see objects enter and leave the selection', T, () =>
        withStore(async (s) => {
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion, labelSelector: 'app=web' }));
          const o = await s.objects.create(group('x', {}, { app: 'other' }));
          const in1 = await s.objects.update({ ...o, metadata: { ...o.metadata, labels: { app: 'web' } } });
          const mod = await s.objects.update({ ...in1, spec: { nodes: [] } });
          await s.objects.update({ ...mod, metadata: { ...mod.metadata, labels: { app: 'other' } } });
          await s.objects.create(group('y', {}, { app: 'web' }));
          assert.deepEqual(summary(await r.take(4)), ['ADDED x', 'MODIFIED x', 'DELETED x', 'ADDED y']);
          r.watch.close();
        }),
      );

      it('a too-old resourceVersion fails with Gone, and relisting recovers', T, () =>
        withStore(async (s) => {
          const first = await s.objects.create(group('a'));
          for (let i = 0; i < 40; i++) await s.objects.update({ ...group('a', { i }) });
          const stale = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: first.metadata.resourceVersion }));
          await assert.rejects(stale.next(), (e: unknown) => isStoreError(e, 'Gone') && /relist|list again/.test((e as Error).message));
          const l = await s.objects.list('FailoverGroup');
          const fresh = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion }));
          await s.objects.update(group('a', { i: 'last' }));
          assert.deepEqual(summary(await fresh.take(1)), ['MODIFIED a']);
          fresh.watch.close();
        }, 4),
      );

      it('sends BOOKMARKs carrying the latest revision when asked', T, () =>
        withStore(async (s, h) => {
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(
            s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion, bookmarks: true, bookmarkIntervalMs: 1000 }),
          );
          const vip = await s.objects.create({ apiVersion: API, kind: 'VirtualIP', metadata: { name: 'v' }, spec: {} });
          // The period counts from when the watch is established (a network round trip on a busy machine may end
          // after a single advance): advance period by period until the bookmark comes, at most 30 periods.
          const first = r.next();
          let ev: WatchEvent | undefined;
          void first.then((e) => (ev = e));
          for (let i = 0; i < 30 && !ev; i++) {
            await h.advance(1000);
            await Promise.race([first, wall.sleep(200)]);
          }
          ev ??= await first;
          assert.equal(ev.type, 'BOOKMARK');
          assert.ok(Number(ev.resourceVersion) >= Number(vip.metadata.resourceVersion));
          // Resuming from a bookmark misses nothing.
          const resumed = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: ev.resourceVersion }));
          await s.objects.create(group('after'));
          assert.deepEqual(summary(await resumed.take(1)), ['ADDED after']);
          r.watch.close();
          resumed.watch.close();
        }),
      );

      it("one connection's watch sees another connection's writes", T, () =>
        withStore(async (s, h) => {
          const other = await h.connect();
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion }));
          const o = await other.objects.create(group('remote'));
          await other.objects.update({ ...o, spec: { nodes: [] } });
          assert.deepEqual(summary(await r.take(2)), ['ADDED remote', 'MODIFIED remote']);
          r.watch.close();
        }),
      );

      it('a watch resumes after a restart from the last resourceVersion it saw', T, () =>
        withStore(async (s, h) => {
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion }));
          await s.objects.create(group('a'));
          const [seen] = await r.take(1);
          await s.close(); // the process stops
          const writer = await h.connect();
          await writer.objects.create(group('b'));
          await writer.objects.delete('FailoverGroup', 'default', 'a');
          const restarted = await h.connect(); // the process starts again
          const r2 = new Reader(restarted.objects.watch('FailoverGroup', { resourceVersion: seen!.resourceVersion }));
          assert.deepEqual(summary(await r2.take(2)), ['ADDED b', 'DELETED a']);
          r2.watch.close();
        }),
      );

      it('close() ends the iteration', T, () =>
        withStore(async (s) => {
          const w = s.objects.watch('FailoverGroup', { resourceVersion: (await s.objects.list('FailoverGroup')).resourceVersion });
          const it = w[Symbol.asyncIterator]();
          const pending = it.next();
          w.close();
          assert.deepEqual(await pending, { done: true, value: undefined });
        }),
      );
    });

    describe('leases', () => {
      it('acquire, renew, expire on the candidate’s own clock, then steal with a new epoch', T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          const a = await s.leases.acquire('group-web', 'node1', 15);
          assert.ok(a.acquired);
          assert.equal(a.lease.epoch, 1);
          assert.equal(a.lease.holder, 'node1');
          assert.equal(a.lease.leaseDurationSeconds, 15);

          const b1 = await node2.leases.acquire('group-web', 'node2', 15);
          assert.ok(!b1.acquired);
          assert.equal(b1.lease.holder, 'node1');
          assert.equal(b1.retryAfterMs, 15_000, 'a first sighting must wait a whole lease duration');

          await h.advance(10_000);
          const renewed = await s.leases.renew('group-web', 'node1', 1);
          assert.notEqual(renewed.revision, a.lease.revision);
          assert.equal(renewed.epoch, 1);

          await h.advance(10_000); // 20 s since node2 first looked, but only 10 s since the renewal
          const b2 = await node2.leases.acquire('group-web', 'node2', 15);
          assert.ok(!b2.acquired, 'a renewal restarts the observation');
          assert.equal(b2.retryAfterMs, 15_000);

          await h.advance(14_999);
          assert.ok(!(await node2.leases.acquire('group-web', 'node2', 15)).acquired);
          await h.advance(1);
          const b3 = await node2.leases.acquire('group-web', 'node2', 15);
          assert.ok(b3.acquired, 'unchanged for a full duration: expired');
          assert.equal(b3.lease.holder, 'node2');
          assert.equal(b3.lease.epoch, 2);

          await rejectsWith(s.leases.renew('group-web', 'node1', 1), 'Conflict', 'group-web');
          const back = await s.leases.acquire('group-web', 'node1', 15);
          assert.ok(!back.acquired, 'the old holder must wait like anyone else');
        }),
      );

      it('the wall-clock renewTime is never used to judge expiry', T, () =>
        withStore(async (s, h) => {
          await s.leases.acquire('l', 'node1', 15);
          await h.advance(60_000); // node1 stops renewing; renewTime is now a minute old
          const fresh = await h.connect(); // a candidate that has not watched the lease yet
          const r = await fresh.leases.acquire('l', 'node2', 15);
          assert.ok(!r.acquired, 'an old renewTime proves nothing to a new observer');
          await h.advance(15_000);
          assert.ok((await fresh.leases.acquire('l', 'node2', 15)).acquired);
        }),
      );

      it("remainingMs reports this client's own observation of a record (node liveness)", T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          await s.leases.acquire('node-node1', 'node1', 15);
          const seen = (await node2.leases.get('node-node1'))!;
          assert.equal(node2.leases.remainingMs(seen), 15_000);
          await h.advance(10_000);
          assert.equal(node2.leases.remainingMs((await node2.leases.get('node-node1'))!), 5_000);
          await h.advance(5_000);
          assert.equal(node2.leases.remainingMs((await node2.leases.get('node-node1'))!), 0);
          const renewed = await s.leases.renew('node-node1', 'node1', 1);
          assert.equal(node2.leases.remainingMs((await node2.leases.get('node-node1'))!), 15_000, 'a renewal restarts the count');
          const released = await s.leases.release('node-node1', 'node1', renewed.epoch);
          assert.equal(node2.leases.remainingMs(released), 0, 'a released lease is free at once');
        }),
      );

      it('list: every record under a prefix in one request, each observed as get() would (or no list at all)', T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          if (!node2.leases.list) return; // a backend that cannot list: the agents read each lease on their own
          await s.leases.acquire('group.default.web', 'node1', 15);
          await s.leases.acquire('group.default.ftp', 'node1', 15);
          await s.leases.acquire('node.default.prod.node1', 'node1', 15);
          const listed = await node2.leases.list('group.');
          assert.deepEqual(listed.map((l) => [l.name, l.holder, l.epoch]).sort(), [
            ['group.default.ftp', 'node1', 1],
            ['group.default.web', 'node1', 1],
          ]);
          assert.equal(node2.leases.remainingMs(listed[0]!), 15_000, 'the list starts the observation');
          await h.advance(15_000);
          const again = await node2.leases.list('group.');
          assert.equal(node2.leases.remainingMs(again[0]!), 0, 'unchanged for a whole duration: expired, as by get()');
          assert.ok((await node2.leases.acquire('group.default.web', 'node2', 15)).acquired);
          assert.deepEqual(await node2.leases.list('nothing.'), []);
        }),
      );

      it('renewMany: a holder renews many records at once; one changed since comes back null, the others renewed', T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          if (!s.leases.renewMany) return; // a backend that cannot: each group renews its own lease
          const names = Array.from({ length: 130 }, (_, i) => `group.default.g${i}`); // more than one batch
          const held = [];
          for (const n of names) held.push((await s.leases.acquire(n, 'node1', 15)).lease);
          for (const n of names.slice(0, 3)) await node2.leases.get(n); // node2 starts watching them
          // g1 is released behind the holder's back (its record changed since node1 wrote it)
          await node2.leases.release(names[1]!, 'node1', 1);
          await h.advance(10_000);
          const renewed = await s.leases.renewMany(held, 20);
          assert.equal(renewed.length, 130);
          assert.equal(renewed[1], null, 'the record changed since: not renewed, not guessed');
          for (const [i, r] of renewed.entries()) {
            if (i === 1) continue;
            assert.ok(r, `g${i} renewed`);
            assert.equal(r.holder, 'node1');
            assert.equal(r.epoch, 1);
            assert.equal(r.leaseDurationSeconds, 20);
            assert.notEqual(r.revision, held[i]!.revision);
          }
          const seen = (await node2.leases.get(names[0]!))!;
          assert.equal(seen.revision, renewed[0]!.revision);
          assert.equal(node2.leases.remainingMs(seen), 20_000, 'a batched renewal restarts every observer’s count');
          assert.equal((await node2.leases.get(names[1]!))!.holder, '', 'the release stands');
          // Renewed again from what the batch wrote: the holder's own records are current
          const again = await s.leases.renewMany(
            renewed.flatMap((r) => (r ? [r] : [])),
            15,
          );
          assert.ok(again.every((r) => r !== null));
        }),
      );

      it('re-acquiring a held lease renews it; release lets another take it at once', T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          const a = await s.leases.acquire('l', 'node1', 15);
          assert.ok(a.acquired);
          const again = await s.leases.acquire('l', 'node1', 15);
          assert.ok(again.acquired);
          assert.equal(again.lease.epoch, 1);
          assert.notEqual(again.lease.revision, a.lease.revision);
          await rejectsWith(s.leases.release('l', 'node2', 1), 'Conflict', 'lease l');
          await rejectsWith(s.leases.release('l', 'node1', 7), 'Conflict');
          const rel = await s.leases.release('l', 'node1', 1);
          assert.equal(rel.holder, '');
          assert.equal(rel.epoch, 1);
          const b = await node2.leases.acquire('l', 'node2', 15);
          assert.ok(b.acquired);
          assert.equal(b.lease.epoch, 2);
          assert.equal(await s.leases.get('missing'), null);
          await rejectsWith(s.leases.renew('missing', 'node1', 1), 'NotFound', 'lease missing');
        }),
      );

      it('exactly one of two simultaneous candidates takes a free lease', T, () =>
        withStore(async (s, h) => {
          const node2 = await h.connect();
          const [x, y] = await Promise.all([s.leases.acquire('free', 'node1', 15), node2.leases.acquire('free', 'node2', 15)]);
          assert.equal([x, y].filter((r) => r.acquired).length, 1);
          const stored = await s.leases.get('free');
          assert.equal(stored!.epoch, 1);
        }),
      );

      it('lease writes do not appear in object watches', T, () =>
        withStore(async (s) => {
          const l = await s.objects.list('FailoverGroup');
          const r = new Reader(s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion }));
          await s.leases.acquire('l', 'node1', 15);
          await s.objects.create(group('after'));
          assert.deepEqual(summary(await r.take(1)), ['ADDED after']);
          r.watch.close();
        }),
      );
    });
  });
}
