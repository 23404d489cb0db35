/**
 * Issue 19: a standby's periodic look at its group leases comes from one list shared by all its groups, at most half
 * a retryPeriod old; a group that called the store itself (a lost takeover race, a release) gets a list begun after
 * that call, and a failed list is not handed to the next caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { SharedLeaseReads } from '../../src/controller/lease/shared-lease-reads.js';
import type { LeaseRecord, LeaseStore } from '../../src/store/types.js';

function record(name: string, holder: string, revision: string): LeaseRecord {
  return { name, holder, epoch: 1, acquireTime: 't', renewTime: 't', leaseDurationSeconds: 15, revision };
}

function store(): { leases: LeaseStore; lists: string[]; holder: { web: string }; fail: { next: boolean } } {
  const lists: string[] = [];
  const holder = { web: 'node1' };
  const fail = { next: false };
  let rev = 0;
  const leases = {
    list: (prefix: string) => {
      lists.push(prefix);
      if (fail.next) {
        fail.next = false;
        return Promise.reject(new Error('store away'));
      }
      rev++;
      return Promise.resolve([record('group.default.web', holder.web, String(rev)), record('group.default.ftp', 'node1', String(rev))]);
    },
  } as unknown as LeaseStore;
  return { leases, lists, holder, fail };
}

test('one list serves every group while it is young; an older one is read again', async () => {
  const clock = new VirtualClock();
  const s = store();
  const r = new SharedLeaseReads(s.leases, clock);
  assert.equal((await r.get('group.default.web', 1000))?.holder, 'node1');
  assert.equal((await r.get('group.default.ftp', 1000))?.holder, 'node1');
  assert.equal(await r.get('group.default.mail', 1000), null, 'a lease not in the store reads as none');
  assert.equal(s.lists.length, 1, 'three groups, one request');
  await clock.advance(1001);
  s.holder.web = 'node2';
  assert.equal((await r.get('group.default.web', 1000))?.holder, 'node2');
  assert.equal(s.lists.length, 2);
});

test('after a call of its own a group reads a list begun after it, not the one that made it act', async () => {
  const clock = new VirtualClock();
  const s = store();
  const r = new SharedLeaseReads(s.leases, clock);
  await r.get('group.default.web', 1000);
  const after = r.seq; // the group lost a takeover race here: the store said node2 holds it now
  s.holder.web = 'node2';
  assert.equal((await r.get('group.default.web', 1000, after))?.holder, 'node2', 'same instant, but a new list');
  assert.equal(s.lists.length, 2);
  assert.equal((await r.get('group.default.ftp', 1000))?.holder, 'node1');
  assert.equal(s.lists.length, 2, 'the others share the new one');
});

test('a failed list fails its callers and is not shared on', async () => {
  const clock = new VirtualClock();
  const s = store();
  const r = new SharedLeaseReads(s.leases, clock);
  s.fail.next = true;
  await assert.rejects(r.get('group.default.web', 1000), /store away/);
  assert.equal((await r.get('group.default.web', 1000))?.holder, 'node1', 'the next caller asks again');
  assert.equal(s.lists.length, 2);
});
