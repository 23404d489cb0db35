/**
 * The holder's renewals, apart from its reconciles (client-go renews in its own loop): every retryPeriod the agent
 * renews all the group leases it holds with one LeaseStore.renewMany, a compare-and-swap on each record as this node
 * last wrote it: one request per 100 leases on etcd (5 per retryPeriod for 500 groups, not 500), one per lease, 8 at
 * once, on Kubernetes. Either way a quiet group need not be reconciled to keep its lease (group-rest.ts).
 */
import type { LeaseRecord, LeaseStore } from '../../store/types.js';
import type { AgentLogger } from '../logger.js';
import type { GroupLease, StoreHealth } from './group-lease.js';

export class HeldRenewals {
  constructor(
    private readonly leases: LeaseStore,
    private readonly health: StoreHealth,
    private readonly log: AgentLogger,
  ) {}

  /** Whether the store renews many leases together (else each group's reconcile renews its own, as before). */
  get available(): boolean {
    return this.leases.renewMany !== undefined;
  }

  /** Renew every lease in `held` that is due (GroupLease.renewalDue); answers are settled by each lease. */
  renew(held: Iterable<GroupLease>): void {
    const renewMany = this.leases.renewMany?.bind(this.leases);
    if (!renewMany) return;
    const bySeconds = new Map<number, { lease: GroupLease; record: LeaseRecord }[]>();
    for (const lease of held) {
      const due = lease.renewalDue();
      if (!due) continue;
      const list = bySeconds.get(due.seconds) ?? [];
      list.push({ lease, record: due.record });
      bySeconds.set(due.seconds, list);
    }
    if (bySeconds.size === 0) return;
    const calls: Promise<unknown>[] = [];
    for (const [seconds, items] of bySeconds) {
      const call = renewMany(
        items.map((c) => c.record),
        seconds,
      );
      items.forEach((c, j) => c.lease.renewedBy(call.then((r) => r[j] ?? null)));
      calls.push(call);
    }
    // A round the store does not answer does not hold up the next: a lease's own call in flight for under a
    // retryPeriod does (renewalDue), so a slow store sees at most one renewal per lease per retryPeriod.
    void Promise.allSettled(calls).then((outcomes) => {
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      this.health.failing = failed !== undefined;
      if (failed) this.log.warn({ err: String(failed.reason) }, 'cannot renew the group leases this node holds');
    });
  }
}
