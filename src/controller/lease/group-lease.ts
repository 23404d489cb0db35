/**
 * One group's lease as its agent holds it (design §4; client-go's renew half of the elector plus fencing): the
 * one owner of the held epoch, the renewDeadline count, late answers, background renewal while actions run, the
 * self-fencing watchdog and the standby's expiry wake. Its timers only call `wake()` (the group is queued); the
 * fence itself is decided by the next reconcile.
 */
import type { CallOptions } from '../../drivers/types.js';
import type { Clock, Timer } from '../../lib/clock.js';
import { isStoreError } from '../../store/errors.js';
import type { LeaseRecord, LeaseStore } from '../../store/types.js';
import type { AgentLogger } from '../logger.js';
import { leaseSeconds, type Timing } from '../timing.js';

/** Agent-wide: the latest lease call (node or group) failed or did not answer in time. Groups share one queue. */
export interface StoreHealth {
  failing: boolean;
}

/** A store call cut short at renewDeadline (beforeDeadline). */
export class RenewDeadlinePassed extends Error {}

export interface GroupLeaseDeps {
  leases: LeaseStore;
  node: string;
  clock: Clock;
  log: AgentLogger;
  health: StoreHealth;
  /** Queue the group for a reconcile (timers and late answers). */
  wake: () => void;
  /** False once the agent stopped: no more background renewals. */
  running: () => boolean;
  /** A standby's read, shared by every group of the agent (one list per half retryPeriod); absent: get() each. */
  sharedRead?: { get(name: string, maxAgeMs: number, after: number): Promise<LeaseRecord | null>; readonly seq: number };
}

/** What the cycle's lease call found: the lease (null when the store did not answer), and whether it answered. */
export interface LeaseReading {
  lease: LeaseRecord | null;
  storeOk: boolean;
}

export type ActivationVerdict = { ok: true } | { ok: false; why: 'staleEpoch' | 'renewDeadlinePassed' };

type Answer = { lease: LeaseRecord | null; renewed: boolean };

export class GroupLease {
  private held: number | undefined;
  private lastRenewOk: number | undefined;
  /** The record as this node last wrote it (a renewal or its taking), while it holds it. */
  private lastWritten: LeaseRecord | undefined;
  /** Lease calls begun, and the latest whose answer was applied (a late answer never overrides a newer one). */
  private calls = 0;
  private settled = 0;
  /** Lease calls (the cycle's or the background renewer's) begun and not answered yet. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private watchdog: Timer | undefined;
  private expiryWake: Timer | undefined;
  private expiryWakeAt: number | undefined;
  private renewer: { stop(): Promise<unknown> } | undefined;
  /** The shared list count when this group last called the store itself: its next shared read comes from a later list. */
  private sharedAfter = 0;
  /** An epoch given up without a release (abandon): never renewed again, though the record still names this node. */
  private abandoned: number | undefined;
  /** A release or abandon has begun: no batched renewal may begin (one answered after it would hold the lease again). */
  private ending = false;
  /** When the latest lease call began (monotonic). */
  private lastBegun = -Infinity;
  private t: Timing;

  constructor(
    private readonly d: GroupLeaseDeps,
    readonly name: string,
    t: Timing,
  ) {
    this.t = t;
  }

  /** The epoch this node holds, undefined when it holds none. */
  get epoch(): number | undefined {
    return this.held;
  }

  get holds(): boolean {
    return this.held !== undefined;
  }

  /** The Cluster's timing may change between cycles. */
  setTiming(t: Timing): void {
    this.t = t;
  }

  /**
   * The cycle's read (and renewal when ours). A holder must fence on time even when the store does not answer (a
   * cut network answers nothing until the store client's deadline): the call may take only what is left of
   * renewDeadline, as client-go renews under a renewDeadline context. An answer that comes later still counts. A
   * lease this node gave up reads as free (decide as a standby would).
   */
  async read(shared = false): Promise<LeaseReading> {
    // Renewed less than half a retryPeriod ago: the record is still ours as written (no one may take a lease before
    // watching it unchanged for a whole leaseDuration). A group that comes back often (waiting for an address, a
    // burst of watch events) then costs the store nothing, instead of a read and a write each time.
    const recent = this.recentlyWritten();
    if (recent) return { lease: recent, storeOk: true };
    const { seq, startedAt, call } = this.begin(shared);
    // Past the deadline already: a store that just failed us gets no more time (fence now; its answer may still
    // come); one that answered last time was merely not asked for a while (a long activation, a status write),
    // so it gets half a retryPeriod, which a healthy store needs only a fraction of.
    let budget =
      this.held !== undefined && this.lastRenewOk !== undefined ? this.lastRenewOk + this.t.renewDeadlineMs + 1 - startedAt : undefined;
    if (budget !== undefined && !this.d.health.failing) budget = Math.max(budget, this.t.retryMs / 2);
    const answer =
      budget === undefined
        ? await call.then(
            (r) => r,
            (err: unknown) => ({ err }),
          )
        : await this.within(call, budget);
    this.d.health.failing = answer === 'late' || 'err' in answer;
    if (answer === 'late') {
      this.d.log.warn(
        { lease: this.name, renewDeadlineMs: this.t.renewDeadlineMs },
        'the store did not answer the lease renewal within renewDeadline',
      );
      void call.then(
        (r) => this.settle(seq, startedAt, r, true),
        () => undefined,
      );
      return { lease: null, storeOk: false };
    }
    if ('err' in answer) {
      this.d.log.warn({ lease: this.name, err: String(answer.err) }, 'cannot read or renew the group lease');
      return { lease: null, storeOk: false };
    }
    return { lease: this.asSeen(this.settle(seq, startedAt, answer, false)), storeOk: true };
  }

  /** Take the lease at `expectedEpoch`; false when another node won the race (or the epoch moved on). */
  async acquire(expectedEpoch: number): Promise<{ won: boolean; lease: LeaseRecord }> {
    const r = await this.direct(() => this.d.leases.acquire(this.name, this.d.node, leaseSeconds(this.t)));
    if (!r.acquired || r.lease.epoch !== expectedEpoch) return { won: false, lease: r.lease };
    this.abandoned = undefined;
    this.ending = false;
    this.held = r.lease.epoch;
    this.lastRenewOk = this.d.clock.monotonic();
    this.lastWritten = r.lease;
    this.armWatchdog(this.lastRenewOk);
    return { won: true, lease: r.lease };
  }

  /** Give the lease up. No renewal may race the release: one answered after it would take the freed lease again. */
  async release(): Promise<void> {
    this.ending = true;
    await this.renewer?.stop();
    await Promise.all(this.inFlight);
    if (this.held !== undefined) await this.direct(() => this.d.leases.release(this.name, this.d.node, this.held!));
    this.held = undefined;
  }

  /** A call of this group's own to the store: what it learns is newer than any shared list begun before it. */
  private direct<T>(call: () => Promise<T>): Promise<T> {
    this.sharedAfter = this.d.sharedRead?.seq ?? 0;
    return call();
  }

  /**
   * Stop renewing without releasing: the lease runs out, so whoever takes it next first runs the safety check (a
   * host its own agent cannot see may still serve; a release would tell the others it stopped).
   */
  async abandon(): Promise<void> {
    this.ending = true;
    await this.renewer?.stop();
    this.watchdog?.cancel();
    this.abandoned = this.held;
    this.held = undefined;
    this.sharedAfter = this.d.sharedRead?.seq ?? 0;
  }

  /** A lease this node gave up (abandon) still names it on the record but is no longer its licence: seen as free. */
  private asSeen(l: LeaseRecord | null): LeaseRecord | null {
    return l !== null && l.holder === this.d.node && l.epoch === this.abandoned ? { ...l, holder: '' } : l;
  }

  /**
   * Run `work` while the lease is renewed every retryPeriod (client-go renews in its own loop, whatever the leader
   * is doing): one host call can block for long (DataKeeper's switchover with the old source unreachable takes
   * 30–40 s) and must not let the lease run out under a holder that goes on activating. A host call cannot be
   * aborted: if renewals fail until renewDeadline, the watchdog wakes the group and mayActivate refuses the rest.
   */
  async whileRenewing<T>(work: () => Promise<T>): Promise<T> {
    let stopped = false;
    const tick = () => {
      if (stopped || !this.d.running()) return;
      if (this.held !== undefined && this.inFlight.size === 0) {
        const { seq, startedAt, call } = this.begin();
        call.then(
          (r) => {
            this.d.health.failing = false;
            // An answer after the work ended has no cycle waiting for it: wake the group, like any late answer.
            this.settle(seq, startedAt, r, stopped);
          },
          (err: unknown) => {
            this.d.health.failing = true;
            this.d.log.warn({ lease: this.name, err: String(err) }, 'cannot renew the group lease (background renewal during actions)');
          },
        );
      }
      timer = this.d.clock.setTimer(this.t.retryMs, tick);
    };
    let timer = this.d.clock.setTimer(this.t.retryMs, tick);
    const renewer = {
      stop: () => {
        stopped = true;
        timer.cancel();
        return Promise.all(this.inFlight);
      },
    };
    this.renewer = renewer;
    try {
      return await work();
    } finally {
      if (this.renewer === renewer) this.renewer = undefined;
      void renewer.stop(); // the cycle renews again; a renewal still in flight is settled by its sequence number
    }
  }

  /**
   * The record the agent's batched renewal should renew now, with the lease's duration: held as this node wrote it,
   * no recent call of this lease in flight, no release begun, and last renewed at least half a retryPeriod ago.
   */
  renewalDue(): { record: LeaseRecord; seconds: number } | undefined {
    const w = this.lastWritten;
    if (this.held === undefined || this.ending || !w || w.epoch !== this.held || w.holder !== this.d.node) return undefined;
    // A call begun under a retryPeriod ago may still answer; an older one the store never answered blocks nothing.
    if (this.inFlight.size > 0 && this.d.clock.monotonic() - this.lastBegun < this.t.retryMs) return undefined;
    if (this.lastRenewOk !== undefined && this.d.clock.monotonic() - this.lastRenewOk < this.t.retryMs / 2) return undefined;
    return { record: w, seconds: leaseSeconds(this.t) };
  }

  /**
   * The batched renewal of renewalDue()'s record, settled as the cycle's own renewal would be. A record that changed
   * since this node wrote it is not guessed at: the group is woken and its cycle reads the record itself.
   */
  renewedBy(renewal: Promise<LeaseRecord | null>): void {
    const { seq, startedAt, call } = this.track(renewal.then((lease) => ({ lease, renewed: lease !== null })));
    call.then(
      (r) => {
        if (this.ending) return; // given up meanwhile: a renewal that landed keeps nothing alive here
        if (r.renewed) return void this.settle(seq, startedAt, r, false);
        if (seq > this.settled) this.lastWritten = undefined;
        this.d.wake();
      },
      () => undefined, // the batch's failure is the agent's to report (store health), once for all groups
    );
  }

  /** No successful renewal for longer than renewDeadline (the holder must fence). */
  renewDeadlinePassed(): boolean {
    return this.lastRenewOk === undefined || this.d.clock.monotonic() - this.lastRenewOk > this.t.renewDeadlineMs;
  }

  /** E6: activation only under the epoch held now, and never past renewDeadline without a renewal. */
  mayActivate(epoch: number): ActivationVerdict {
    if (this.held === undefined || this.held !== epoch) return { ok: false, why: 'staleEpoch' };
    if (this.renewDeadlinePassed()) return { ok: false, why: 'renewDeadlinePassed' };
    return { ok: true };
  }

  /** The one epoch every host call carries: an action's own, else the held one, else the lease as last observed. */
  callOptions(epoch: number | undefined, observedEpoch = 0, timeoutMs = 120_000): CallOptions {
    return { epoch: epoch ?? this.held ?? observedEpoch, timeoutMs };
  }

  /**
   * A store call made while this node holds the lease waits at most until renewDeadline after the last successful
   * renewal (client-go cancels its renewal at RenewDeadline), then fails with RenewDeadlinePassed: a holder whose
   * connection went silent fences at the deadline, not when the store client gives up (the call's answer is
   * dropped). A call begun after the deadline waits `graceMs` if given, else as long as the store takes; with
   * `graceMs` 0 (status and event writes, which can wait for a later cycle) it is not begun at all.
   */
  beforeDeadline<T>(call: () => Promise<T>, graceMs?: number): Promise<T> {
    const passed = () =>
      new RenewDeadlinePassed(`no answer from the store within renewDeadline (${this.t.renewDeadlineMs} ms after the last renewal)`);
    const holds = this.held !== undefined;
    let left = holds && this.lastRenewOk !== undefined ? this.lastRenewOk + this.t.renewDeadlineMs - this.d.clock.monotonic() : 0;
    if (left <= 0 && holds && graceMs === 0) return Promise.reject(passed());
    const p = call();
    if (left <= 0 && holds) left = graceMs ?? 0;
    if (left <= 0) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = this.d.clock.setTimer(left + 1, () => {
        p.catch(() => undefined);
        reject(passed());
      });
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  /** Standby side: reconcile the moment the holder's leases would expire, not at the next beat (E5: lease + 1 s). */
  armExpiryWake(inMs: number): void {
    const at = this.d.clock.monotonic() + inMs + 1;
    if (this.expiryWakeAt !== undefined && Math.abs(this.expiryWakeAt - at) < 50) return;
    this.expiryWake?.cancel();
    this.expiryWakeAt = at;
    this.expiryWake = this.d.clock.setTimer(inMs + 1, () => {
      this.expiryWakeAt = undefined;
      this.d.wake();
    });
  }

  /** The agent stopped: no timer of this lease fires any more (nothing is released: a crash looks the same). */
  stop(): void {
    this.watchdog?.cancel();
    this.expiryWake?.cancel();
    void this.renewer?.stop();
  }

  private recentlyWritten(): LeaseRecord | undefined {
    const w = this.lastWritten;
    if (this.held === undefined || !w || w.epoch !== this.held || w.holder !== this.d.node || this.d.health.failing) return undefined;
    // Where the agent renews held leases in batches every retryPeriod (held-renewals.ts), the cycle uses the record
    // last renewed while it is under 1.5 retryPeriods old instead of renewing it itself.
    const window = this.d.leases.renewMany ? this.t.retryMs * 1.5 : this.t.retryMs / 2;
    if (this.lastRenewOk === undefined || this.d.clock.monotonic() - this.lastRenewOk >= window) return undefined;
    return w;
  }

  /** Self-fencing must not wait for the next beat: wake exactly when renewDeadline passes without a renewal. */
  private armWatchdog(from: number): void {
    this.watchdog?.cancel();
    this.watchdog = this.d.clock.setTimer(from + this.t.renewDeadlineMs + 1 - this.d.clock.monotonic(), () => this.d.wake());
  }

  /** Begin a lease call (read, and renew when ours), numbered for settle and counted while in flight. */
  private begin(shared = false): { seq: number; startedAt: number; call: Promise<Answer> } {
    return this.track(this.readAndRenew(shared));
  }

  private track(call: Promise<Answer>): { seq: number; startedAt: number; call: Promise<Answer> } {
    const seq = ++this.calls;
    const startedAt = this.d.clock.monotonic();
    this.lastBegun = startedAt;
    const done: Promise<unknown> = call.then(
      () => this.inFlight.delete(done),
      () => this.inFlight.delete(done),
    );
    this.inFlight.add(done);
    return { seq, startedAt, call };
  }

  /** `shared`: a standby may answer from the agent's shared list (a periodic look, not one something woke). */
  private async readAndRenew(shared = false): Promise<Answer> {
    // A holder renews the record it last wrote by compare-and-swap on its revision: one request, not a read and a
    // write. Anything written since (only possible once the lease ran out) fails the swap; then read it as below.
    const known = this.lastWritten;
    if (this.held !== undefined && known && known.epoch === this.held && known.holder === this.d.node) {
      try {
        const r = await this.d.leases.acquire(this.name, this.d.node, leaseSeconds(this.t), undefined, known);
        if (r.acquired && r.lease.epoch === known.epoch) return { lease: r.lease, renewed: true };
      } catch (err) {
        if (!isStoreError(err, 'Conflict')) throw err;
      }
    }
    // Not holding: the shared list will do (see shared-lease-reads.ts); a holder whose swap failed reads its own.
    const lease =
      shared && this.held === undefined && this.d.sharedRead
        ? await this.d.sharedRead.get(this.name, this.t.retryMs / 2, this.sharedAfter)
        : await this.direct(() => this.d.leases.get(this.name));
    if (lease && lease.holder === this.d.node && lease.epoch !== this.abandoned) {
      // The record just read is the one to renew: no second read.
      const r = await this.d.leases.acquire(this.name, this.d.node, leaseSeconds(this.t), undefined, lease);
      if (r.acquired && r.lease.epoch === lease.epoch) return { lease: r.lease, renewed: true };
    }
    return { lease, renewed: false };
  }

  /**
   * What an answer means: a renewal restarts the renewDeadline count from when the call began (the write landed
   * after that, so the others' count started later still); another holder ends ours. An answer older than one
   * already settled is ignored; a late one (after the cycle stopped waiting) wakes the group.
   */
  private settle(seq: number, startedAt: number, r: Answer, late: boolean): LeaseRecord | null {
    if (seq <= this.settled) return r.lease;
    this.settled = seq;
    if (r.renewed && r.lease) {
      this.held = r.lease.epoch;
      this.lastWritten = r.lease;
      this.lastRenewOk = Math.max(this.lastRenewOk ?? startedAt, startedAt);
      this.armWatchdog(this.lastRenewOk);
    } else if (this.held !== undefined && (!r.lease || r.lease.holder !== this.d.node)) {
      this.held = undefined; // someone else has it now
    }
    if (late) this.d.wake();
    return r.lease;
  }

  /** `p`'s outcome if it settles within `ms` (at once when ms ≤ 0), else 'late'. */
  private within<T>(p: Promise<T>, ms: number): Promise<T | { err: unknown } | 'late'> {
    if (ms <= 0) return Promise.resolve('late');
    return new Promise((resolve) => {
      const timer = this.d.clock.setTimer(ms, () => resolve('late'));
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (err: unknown) => {
          timer.cancel();
          resolve({ err });
        },
      );
    });
  }
}

export function groupLeaseName(ns: string, name: string): string {
  return `group.${ns}.${name}`;
}
