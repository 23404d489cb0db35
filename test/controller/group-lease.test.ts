/**
 * GroupLease on virtual time: the renew budget against a silent store, a late answer after a newer one, the
 * fencing watchdog at renewDeadline, renewal while a 35 s host call runs, and the activation gate (E6).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { GroupLease, type GroupLeaseDeps } from '../../src/controller/lease/group-lease.js';
import { silentLogger } from '../../src/controller/logger.js';
import type { AcquireResult, LeaseRecord, LeaseStore } from '../../src/store/types.js';
import { settle } from '../helpers/virtual-time.js';
import { HeldRenewals } from '../../src/controller/lease/held-renewals.js';
import { drainMicrotasks } from '../../src/lib/clock.js';

const T = { leaseMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000 };
const NAME = 'group.default.web';

/** A lease store whose answers a test delays or silences; it counts every call. */
class ScriptedLeases implements LeaseStore {
  holder = '';
  epoch = 0;
  /** Virtual ms before each answer; Infinity: never answers. */
  delayMs = 0;
  calls: string[] = [];
  constructor(private readonly clock: VirtualClock) {}
  private record(): LeaseRecord {
    return {
      name: NAME,
      holder: this.holder,
      epoch: this.epoch,
      acquireTime: '',
      renewTime: '',
      leaseDurationSeconds: 15,
      revision: String(this.calls.length),
    };
  }
  private answer<T>(f: () => T): Promise<T> {
    if (this.delayMs === Infinity) return new Promise<T>(() => undefined);
    if (this.delayMs === 0) return Promise.resolve(f());
    return new Promise<T>((resolve) => this.clock.setTimer(this.delayMs, () => resolve(f())));
  }
  get(): Promise<LeaseRecord | null> {
    this.calls.push('get');
    return this.answer(() => (this.epoch === 0 ? null : this.record()));
  }
  acquire(_name: string, holder: string): Promise<AcquireResult> {
    this.calls.push('acquire');
    return this.answer((): AcquireResult => {
      if (this.holder !== '' && this.holder !== holder) return { acquired: false, lease: this.record(), retryAfterMs: 1000 };
      if (this.holder !== holder) this.epoch++;
      this.holder = holder;
      return { acquired: true, lease: this.record() };
    });
  }
  /** Batched renewals (held-renewals.ts): null for a record whose holder or epoch changed, or all of them when `conflict`. */
  conflict = false;
  /** Set by setup(true): a store that renews in batches (GroupLease then answers its cycle from the batch's record). */
  renewMany?: (records: LeaseRecord[]) => Promise<(LeaseRecord | null)[]>;
  renewInBatches(records: LeaseRecord[]): Promise<(LeaseRecord | null)[]> {
    this.calls.push('renewMany');
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('store unreachable'));
    }
    return this.answer(() =>
      records.map((r) => (this.conflict || r.holder !== this.holder || r.epoch !== this.epoch ? null : this.record())),
    );
  }
  /** The next round's answer fails (an unreachable store). */
  failNext = false;
  renew(): Promise<LeaseRecord> {
    throw new Error('not used');
  }
  release(_name: string, holder: string): Promise<LeaseRecord> {
    this.calls.push('release');
    return this.answer(() => {
      if (this.holder === holder) this.holder = '';
      return this.record();
    });
  }
  remainingMs(): number {
    return 15_000;
  }
}

function setup(batched = false) {
  const clock = new VirtualClock();
  const leases = new ScriptedLeases(clock);
  if (batched) leases.renewMany = (records) => leases.renewInBatches(records);
  const wakes: number[] = [];
  const health = { failing: false };
  const deps: GroupLeaseDeps = {
    leases,
    node: 'node1',
    clock,
    log: silentLogger,
    health,
    wake: () => wakes.push(clock.monotonic()),
    running: () => true,
  };
  const lease = new GroupLease(deps, NAME, T);
  const renewals = new HeldRenewals(leases, health, silentLogger);
  return { clock, leases, wakes, health, lease, renewals };
}

describe('GroupLease', () => {
  it('acquire holds the epoch; the watchdog wakes the group exactly when renewDeadline passes without a renewal', async () => {
    const { clock, lease, wakes } = setup();
    const start = clock.monotonic();
    assert.deepEqual((await lease.acquire(1)).won, true);
    assert.equal(lease.epoch, 1);
    await clock.advance(T.renewDeadlineMs);
    assert.deepEqual(wakes, [], 'nothing before the deadline');
    assert.equal(lease.renewDeadlinePassed(), false);
    await clock.advance(5);
    assert.deepEqual(wakes, [start + T.renewDeadlineMs + 1]);
    assert.equal(lease.renewDeadlinePassed(), true);
  });

  it('a renewal restarts the deadline: the watchdog moves with it', async () => {
    const { clock, lease, wakes } = setup();
    await lease.acquire(1);
    await clock.advance(6_000);
    const renewedAt = clock.monotonic();
    assert.equal((await lease.read()).storeOk, true);
    await clock.advance(T.renewDeadlineMs + 5);
    assert.deepEqual(wakes, [renewedAt + T.renewDeadlineMs + 1]);
  });

  it('loses the race when another node took the lease first, or the epoch moved on', async () => {
    const { lease, leases } = setup();
    leases.holder = 'node2';
    leases.epoch = 3;
    const r = await lease.acquire(3);
    assert.equal(r.won, false);
    assert.equal(r.lease.holder, 'node2');
    assert.equal(lease.holds, false);
  });

  it("a silent store: the holder's read gives up at renewDeadline (not the store client's timeout) and the late answer still counts", async () => {
    const { clock, lease, leases, health, wakes } = setup();
    await lease.acquire(1);
    await clock.advance(4_000);
    leases.delayMs = 20_000; // the store answers, but long after the deadline
    const began = clock.monotonic();
    const reading = await settle(clock, lease.read(), 10);
    const waited = clock.monotonic() - began;
    assert.equal(reading.storeOk, false);
    assert.ok(waited <= T.renewDeadlineMs - 4_000 + 20, `waited ${waited} ms, past renewDeadline`);
    assert.equal(health.failing, true);
    assert.equal(lease.renewDeadlinePassed(), true, 'the cycle now fences');
    // The answer arrives later: the renewal it carries counts (still ours), and the group is woken to act on it.
    const wakesBefore = wakes.length;
    await clock.advance(45_000); // its read and its renewal each take 20 s
    assert.ok(wakes.length > wakesBefore, 'a late answer wakes the group');
    assert.equal(lease.epoch, 1);
  });

  it('a late answer older than one already settled is ignored', async () => {
    const { clock, lease, leases } = setup();
    await lease.acquire(1);
    leases.delayMs = 5_000;
    const first = lease.read(); // answered at +5 s
    await clock.advance(1_000);
    leases.delayMs = 1_000;
    // Meanwhile node2 takes the lease: the second, newer read sees it and ends our hold.
    leases.holder = 'node2';
    leases.epoch = 2;
    const second = lease.read(); // answered at +2 s, before the first
    await settle(clock, second, 10);
    assert.equal(lease.holds, false);
    leases.holder = 'node1'; // what the first (older) call would report if it were believed
    leases.epoch = 1;
    await settle(clock, first, 10);
    assert.equal(lease.holds, false, 'the older answer must not bring back a hold the newer one ended');
  });

  it('keeps the lease renewed while a 35 s host call runs, and one renewal at a time against a slow store', async () => {
    const { clock, lease, leases } = setup();
    await lease.acquire(1);
    const work = lease.whileRenewing(() => clock.sleep(35_000).then(() => 'done'));
    assert.equal(await settle(clock, work, 100), 'done');
    assert.equal(lease.renewDeadlinePassed(), false, 'renewed in the background, so no fence after the call');
    assert.deepEqual(lease.mayActivate(1), { ok: true });
    const renewals = leases.calls.filter((c) => c === 'acquire').length - 1;
    assert.ok(renewals >= Math.floor(35_000 / T.retryMs) - 1, `only ${renewals} renewals in 35 s`);
    // A store that answers after 5 s is asked once, not once a retryPeriod, while its answer is pending.
    leases.calls = [];
    leases.delayMs = 5_000;
    await settle(
      clock,
      lease.whileRenewing(() => clock.sleep(5_500)),
      100,
    );
    // A holder renews by compare-and-swap on the record it wrote: one acquire per renewal, no read first.
    assert.deepEqual(leases.calls, ['acquire']);
  });

  it('a holder answers a read soon after its renewal from the record it wrote, and renews by swapping that record; a lease taken meanwhile is seen', async () => {
    const { clock, lease, leases } = setup();
    await lease.acquire(1);
    leases.calls = [];
    assert.equal((await lease.read()).lease?.holder, 'node1');
    assert.deepEqual(leases.calls, [], 'renewed under half a retryPeriod ago: nothing asked of the store');
    await clock.advance(T.retryMs);
    assert.equal((await lease.read()).lease?.epoch, 1);
    assert.deepEqual(leases.calls, ['acquire'], 'a renewal is one swap, no read first');
    await clock.advance(T.retryMs);
    leases.holder = 'node2'; // someone else holds it now (only possible once ours ran out)
    leases.epoch = 2;
    leases.calls = [];
    const r = await lease.read();
    assert.deepEqual([r.lease?.holder, lease.holds], ['node2', false]);
    assert.deepEqual(leases.calls, ['acquire', 'get']);
  });

  it('without renewals during a long call, the deadline passes and activations are refused (E6)', async () => {
    const { clock, lease, leases } = setup();
    await lease.acquire(1);
    leases.delayMs = Infinity; // the store went silent
    await settle(
      clock,
      lease.whileRenewing(() => clock.sleep(35_000)),
      100,
    );
    assert.deepEqual(lease.mayActivate(1), { ok: false, why: 'renewDeadlinePassed' });
  });

  it('mayActivate refuses an epoch it does not hold (E6), and everything when it holds none', async () => {
    const { lease } = setup();
    assert.deepEqual(lease.mayActivate(1), { ok: false, why: 'staleEpoch' });
    await lease.acquire(1);
    assert.deepEqual(lease.mayActivate(1), { ok: true });
    assert.deepEqual(lease.mayActivate(0), { ok: false, why: 'staleEpoch' });
    await lease.release();
    assert.deepEqual(lease.mayActivate(1), { ok: false, why: 'staleEpoch' });
  });

  it('beforeDeadline: cut at the deadline; a status write (grace 0) is not even begun past it', async () => {
    const { clock, lease } = setup();
    const start = clock.monotonic();
    await lease.acquire(1);
    await clock.advance(9_000);
    let settledAt = 0;
    const slow = lease
      .beforeDeadline(() => clock.sleep(30_000))
      .catch((e: unknown) => {
        settledAt = clock.monotonic() - start;
        return e;
      });
    const err = await settle(clock, slow, 10);
    assert.match(String(err), /renewDeadline/);
    assert.ok(settledAt <= T.renewDeadlineMs + 20, `cut at ${settledAt}`);
    let begun = false;
    await assert.rejects(
      lease.beforeDeadline(async () => {
        begun = true;
      }, 0),
      /renewDeadline/,
    );
    assert.equal(begun, false);
  });

  it("the callOptions epoch: an action's own, else the held one, else the lease as observed", async () => {
    const { lease } = setup();
    assert.equal(lease.callOptions(undefined, 7).epoch, 7);
    await lease.acquire(1);
    assert.equal(lease.callOptions(undefined, 7).epoch, 1);
    assert.equal(lease.callOptions(4).epoch, 4);
  });

  it('batched: the agent round renews a held lease, and the cycle answers from it for 1.5 retryPeriods without asking the store', async () => {
    const { clock, lease, leases, renewals, wakes } = setup(true);
    await lease.acquire(1);
    renewals.renew([lease]);
    assert.deepEqual(leases.calls, ['acquire'], 'renewed under half a retryPeriod ago: not due');
    await clock.advance(T.retryMs);
    renewals.renew([lease]);
    await drainMicrotasks();
    const renewedAt = clock.monotonic();
    assert.deepEqual(leases.calls, ['acquire', 'renewMany']);
    await clock.advance(T.retryMs);
    assert.equal((await lease.read()).lease?.holder, 'node1');
    assert.deepEqual(leases.calls, ['acquire', 'renewMany'], 'the cycle used the batch’s record');
    await clock.advance(T.renewDeadlineMs - T.retryMs + 5);
    assert.deepEqual(wakes, [renewedAt + T.renewDeadlineMs + 1], 'the watchdog counts from the batched renewal');
  });

  it('batched: a record changed since it was written comes back null: the group is woken and reads the store itself', async () => {
    const { clock, lease, leases, renewals, wakes } = setup(true);
    await lease.acquire(1);
    await clock.advance(T.retryMs);
    leases.conflict = true;
    renewals.renew([lease]);
    await drainMicrotasks();
    assert.deepEqual(wakes, [clock.monotonic()], 'woken at once');
    leases.conflict = false;
    leases.calls = [];
    const r = await lease.read();
    assert.deepEqual(leases.calls, ['get', 'acquire'], 'nothing guessed: read, then renewed as read');
    assert.equal(r.lease?.holder, 'node1');
    assert.equal(lease.holds, true);
  });

  it('batched: a renewal answered after the lease was abandoned keeps nothing; release waits for one in flight', async () => {
    const { clock, lease, leases, renewals } = setup(true);
    await lease.acquire(1);
    await clock.advance(T.retryMs);
    leases.delayMs = 1000;
    renewals.renew([lease]);
    await lease.abandon();
    await clock.advance(1000);
    await drainMicrotasks();
    assert.equal(lease.holds, false, 'the late renewal did not make it the holder again');
    leases.delayMs = 0;
    assert.equal((await lease.read()).lease?.holder, '', 'seen as free, as any abandoned lease');

    const b = setup(true);
    b.leases.delayMs = 0;
    await b.lease.acquire(1);
    await b.clock.advance(T.retryMs);
    b.leases.delayMs = 1000;
    b.renewals.renew([b.lease]);
    let released = false;
    const rel = b.lease.release().then(() => (released = true));
    await drainMicrotasks();
    assert.deepEqual(b.leases.calls, ['acquire', 'renewMany'], 'the release waits for the renewal in flight');
    assert.equal(released, false);
    b.renewals.renew([b.lease]);
    assert.deepEqual(b.leases.calls, ['acquire', 'renewMany'], 'and no new round begins on a lease being released');
    await b.clock.advance(2000);
    await rel;
    assert.deepEqual(b.leases.calls, ['acquire', 'renewMany', 'release']);
    assert.equal(b.lease.holds, false);
  });

  it('batched: a failed round marks the store failing, so the cycle reads for itself; the watchdog still fences on time', async () => {
    const { clock, lease, leases, renewals, health, wakes } = setup(true);
    await lease.acquire(1);
    await clock.advance(T.retryMs);
    const readAt = clock.monotonic();
    leases.failNext = true;
    renewals.renew([lease]);
    await drainMicrotasks();
    assert.equal(health.failing, true);
    leases.calls = [];
    await lease.read();
    assert.deepEqual(leases.calls, ['acquire'], 'no record reused while the store fails');
    assert.equal(health.failing, false, 'the store answered the cycle');
    leases.delayMs = Infinity; // then nothing answers: no round, no cycle renews
    renewals.renew([lease]);
    await clock.advance(T.renewDeadlineMs + 5);
    assert.deepEqual(wakes, [readAt + T.renewDeadlineMs + 1], 'woken to fence exactly at renewDeadline');
    assert.equal(lease.renewDeadlinePassed(), true);
  });

  it('batched: a round the store never answers does not stop the next one a retryPeriod later', async () => {
    const { clock, lease, leases, renewals } = setup(true);
    await lease.acquire(1);
    await clock.advance(T.retryMs);
    leases.delayMs = Infinity;
    renewals.renew([lease]);
    await clock.advance(T.retryMs - 1);
    renewals.renew([lease]);
    assert.deepEqual(leases.calls, ['acquire', 'renewMany'], 'one renewal per lease per retryPeriod');
    leases.delayMs = 0;
    await clock.advance(1);
    const renewedAt = clock.monotonic();
    renewals.renew([lease]);
    await drainMicrotasks();
    assert.deepEqual(leases.calls, ['acquire', 'renewMany', 'renewMany']);
    assert.equal(lease.holds, true);
    await clock.advance(T.renewDeadlineMs);
    assert.equal(lease.renewDeadlinePassed(), false, `renewed at ${renewedAt}: the deadline counts from there`);
  });
});
