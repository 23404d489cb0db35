/**
 * LeaseClient's expiry rule across an outage: a read that fails forgets every
 * observation, so once the store is back a candidate watches a held lease for
 * a full duration again (the holder renews at once and keeps it).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { LeaseClient, type LeaseBackend } from '../../src/store/lease-client.js';
import { UnavailableError } from '../../src/store/errors.js';
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
