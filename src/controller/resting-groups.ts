/**
 * The agent's quiet groups between their looks (issue 19; when a group may rest: group-rest.ts). At each beat, one
 * shared list of the group leases answers for every resting standby, and one shared host observation for every
 * resting group's part of the host; a group whose lease or part changed is woken and queued.
 */
import type { CallOptions } from '../drivers/types.js';
import type { Clock } from '../lib/clock.js';
import type { LeaseRecord, LeaseStore } from '../store/types.js';
import type { HostReport } from './status/writer.js';
import type { HostObservation } from './host-observation.js';
import { HostParts, type HostPart } from './host-part.js';
import type { GroupLease } from './lease/group-lease.js';
import type { SharedLeaseReads } from './lease/shared-lease-reads.js';

export interface RestingDeps {
  clock: Clock;
  leases: LeaseStore;
  host: HostObservation;
  sharedReads: SharedLeaseReads;
  leaseOf: (key: string) => GroupLease | undefined;
  /** Wake the group and queue it now. */
  wake: (key: string) => void;
}

export class RestingGroups {
  /** Until when (monotonic) each quiet group may skip the beat. */
  private readonly until = new Map<string, number>();
  /** The group lease's holder and epoch as each group's last look saw them (a resting standby wakes on a change). */
  private readonly leaseSeen = new Map<string, string>();
  /** Resting groups whose part of the host the beat watches, as their last full look saw it. */
  private readonly parts = new Map<string, HostPart>();
  private readonly describe = new HostParts();

  constructor(private readonly d: RestingDeps) {}

  /** Whether the beat may skip this group. */
  resting(key: string): boolean {
    const until = this.until.get(key);
    return until !== undefined && this.d.clock.monotonic() < until;
  }

  rest(key: string, ms: number): void {
    this.until.set(key, this.d.clock.monotonic() + ms);
  }

  /** The group is being looked at: it rests no more. */
  stopResting(key: string): void {
    this.until.delete(key);
  }

  /** Something changed for the group: it rests no more and its next look is a full one. */
  forget(key: string): void {
    this.until.delete(key);
    this.parts.delete(key);
  }

  /** The lease as this look saw it. */
  sawLease(key: string, l: LeaseRecord | null): void {
    this.leaseSeen.set(key, seenOf(l));
  }

  /** The part of the host the group's last full look saw (undefined: none watched since something changed). */
  part(key: string): HostPart | undefined {
    return this.parts.get(key);
  }

  /** Watch the group's sites and addresses as `report` shows them (a full look at `fullAt`). */
  watch(key: string, what: Pick<HostPart, 'sites' | 'addresses' | 'quickMs'>, report: HostReport, fullAt: number): void {
    this.parts.set(key, { ...what, seen: this.describe.seen(what, report.sites, report.addrs), fullAt });
  }

  /** A full look begins: what the last one saw of the host is history. */
  unwatch(key: string): void {
    this.parts.delete(key);
  }

  /** Whether the host observation (at most `maxAgeMs` old) still shows the part as its full look saw it; throws what the host threw. */
  async unchanged(part: HostPart, o: CallOptions, maxAgeMs: number): Promise<boolean> {
    const [sites, addrs] = await this.observe(o, maxAgeMs);
    return this.describe.same(part, sites, addrs);
  }

  /** The shared observation's sites and addresses (the same view when the driver observes both in one request). */
  private observe(o: CallOptions, maxAgeMs: number) {
    return Promise.all([this.d.host.sites(o, maxAgeMs), this.d.host.addresses(o, maxAgeMs)]);
  }

  /**
   * The beat, for resting standbys: one shared list of the group leases, which also goes on observing each lease
   * on this node's clock (the expiry rule); a group whose lease changed holder or epoch, or ran out, or that the
   * list cannot answer for, is woken and queued.
   */
  lookAtLeases(maxAgeMs: number): void {
    const resting = [...this.until.keys()].filter((k) => this.d.leaseOf(k)?.holds === false);
    if (resting.length === 0 || !this.d.sharedReads.available) return;
    this.d.sharedReads.all(maxAgeMs).then(
      (leases) => {
        for (const key of resting) {
          const lease = this.d.leaseOf(key);
          const l = lease ? leases.get(lease.name) : undefined;
          const left = l ? this.d.leases.remainingMs(l) : 0;
          if (!l || seenOf(l) !== this.leaseSeen.get(key) || left <= 0) this.d.wake(key);
          // renewed meanwhile: the standby's expiry wake moves with it (else it fires, for nothing, once a lease)
          else if (l.holder !== '') lease?.armExpiryWake(left);
        }
      },
      () => resting.forEach((key) => this.d.wake(key)),
    );
  }

  /**
   * The beat, for resting groups: the shared host observation against what each one's last full look saw of its
   * sites and addresses. A group whose part changed (a site started or stopped by hand, an address added or
   * removed: C5, C6), or that the host cannot answer for, is woken and queued. The observation may be half the
   * shortest quick-check interval old (`retryMs`/2 at least): drift then shows within that and a beat, inside one
   * check interval, and a standby lists its host every few beats, not at each.
   */
  lookAtHost(retryMs: number, timeoutMs: number): void {
    const watched = [...this.parts].filter(([k]) => this.until.has(k));
    if (watched.length === 0) return;
    const maxAgeMs = Math.max(retryMs / 2, Math.min(...watched.map(([, p]) => p.quickMs)) / 2);
    const o = { epoch: 0, timeoutMs };
    const still = (key: string, part: HostPart) => this.parts.get(key) === part;
    this.observe(o, maxAgeMs).then(
      ([sites, addrs]) => {
        for (const [key, part] of watched) if (still(key, part) && !this.describe.same(part, sites, addrs)) this.d.wake(key);
      },
      () => watched.forEach(([key, part]) => still(key, part) && this.d.wake(key)),
    );
  }
}

/** A lease's holder and epoch, as a resting standby compares them. */
function seenOf(l: { holder: string; epoch: number } | null): string {
  return l ? `${l.holder}/${l.epoch}` : '';
}
