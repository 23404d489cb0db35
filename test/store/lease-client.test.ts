/**
 * LeaseClient's expiry rule across an outage: a read that fails forgets every
 * observation, so once the store is back a candidate watches a held lease for
 * a full duration again (the holder renews at once and keeps it).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { LeaseClient, type LeaseBackend } from '../../src/store/lease-client.js';
import { ConflictError, UnavailableError } from '../../src/store/errors.js';
import type { LeaseRecord } from '../../src/store/types.js';

it('a failed read restarts the count: after an outage longer than the lease the candidate still waits a full duration', async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  let rec: LeaseRecord | null = null;
  let rev = 0;
  let down = false;
  const backend: LeaseBackend = {
    readLease: async () => {
      if (down) throw new UnavailableError('etcd unreachable');
      return rec;
    },
    writeLease: async (next) => (rec = { ...next, revision: String(++rev) }),
  };
  const holder = new LeaseClient(backend, clock);
  const candidate = new LeaseClient(backend, clock);
  assert.ok((await holder.acquire('g', 'node1', 4)).acquired);
  assert.equal((await candidate.acquire('g', 'node2', 4)).acquired, false); // first sight: the count starts
  down = true;
  await clock.advance(10_000);
  await assert.rejects(candidate.get('g'));
  down = false;
  const r = await candidate.acquire('g', 'node2', 4);
  assert.equal(r.acquired, false, 'the lease stayed unrenewed only while nobody could see the store');
  assert.equal(r.retryAfterMs, 4000);
  await clock.advance(4000);
  assert.ok((await candidate.acquire('g', 'node2', 4)).acquired, 'unchanged for a full duration since the store came back');
});

it('a backend with no multi-object write renews lease by lease: a failed request is one lease not renewed, all failed is a failure', async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const recs = new Map<string, LeaseRecord>();
  let rev = 0;
  const failing = new Set<string>();
  let inFlight = 0;
  let most = 0;
  const backend: LeaseBackend = {
    parallelWrites: 3,
    readLease: async (name) => recs.get(name) ?? null,
    writeLease: async (next, expected) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await clock.sleep(10);
      inFlight--;
      if (failing.has(next.name)) throw new UnavailableError(`lease ${next.name}: connection reset`);
      if ((recs.get(next.name)?.revision ?? null) !== expected) throw new ConflictError(`lease ${next.name}: changed`);
      const r = { ...next, revision: String(++rev) };
      recs.set(next.name, r);
      return r;
    },
  };
  const holder = new LeaseClient(backend, clock);
  const held: LeaseRecord[] = [];
  for (const n of ['a', 'b', 'c', 'd', 'e']) {
    const p = holder.acquire(n, 'node1', 15);
    await clock.advance(10);
    held.push((await p).lease);
  }
  failing.add('b');
  recs.set('d', { ...recs.get('d')!, holder: '', revision: String(++rev) }); // released behind the holder's back
  const round = holder.renewMany!(held, 20);
  await clock.advance(100);
  const renewed = await round;
  assert.deepEqual(
    renewed.map((r) => r?.leaseDurationSeconds ?? null),
    [20, null, 20, null, 20],
  );
  assert.equal(most, 3, 'at most parallelWrites requests at once');
  failing.add('a').add('c').add('e');
  const down = holder.renewMany!([renewed[0]!, renewed[2]!, renewed[4]!], 20);
  const rejected = assert.rejects(down, /connection reset/);
  await clock.advance(100);
  await rejected;
});
