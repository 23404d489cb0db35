/**
 * The standby's reads of group leases, shared: one list of every group lease per half retryPeriod for all the
 * groups this agent watches, instead of one read per group per retryPeriod (at 500 groups, 250 store requests a
 * second down to 2). A read up to half a retryPeriod old is what a slow answer would give: a takeover still reads
 * the record again and writes it by compare-and-swap, so a renewal the shared read missed fails the take.
 */
import type { Clock } from '../../lib/clock.js';
import type { LeaseRecord, LeaseStore } from '../../store/types.js';

export const GROUP_LEASE_PREFIX = 'group.';

interface Listing {
  at: number;
  seq: number;
  value: Promise<Map<string, LeaseRecord>>;
}

export class SharedLeaseReads {
  private current: Listing | undefined;
  private started = 0;

  constructor(
    private readonly leases: LeaseStore,
    private readonly clock: Clock,
    private readonly prefix = GROUP_LEASE_PREFIX,
  ) {}

  /** Whether the store can list leases (else each group reads its own). */
  get available(): boolean {
    return typeof this.leases.list === 'function';
  }

  /** How many lists were begun: a caller that wrote or read a lease itself asks for a list begun after that. */
  get seq(): number {
    return this.started;
  }

  /**
   * The record named `name` (null when none), from a list at most maxAgeMs old and begun after list number `after`
   * (one in flight is shared while young). Without `after`, a group that just lost a takeover race would read the
   * very list that made it try, again and again.
   */
  async get(name: string, maxAgeMs: number, after = 0): Promise<LeaseRecord | null> {
    const now = this.clock.monotonic();
    const cur = this.current;
    const fresh = cur && cur.seq > after && now - cur.at <= maxAgeMs ? cur : undefined;
    const entry = fresh ?? this.start(now);
    return (await entry.value).get(name) ?? null;
  }

  private start(now: number): Listing {
    const entry: Listing = {
      at: now,
      seq: ++this.started,
      value: this.leases.list!(this.prefix).then((recs) => new Map(recs.map((r) => [r.name, r]))),
    };
    // A failed list is not shared on: the next caller asks again.
    entry.value.catch(() => {
      if (this.current === entry) this.current = undefined;
    });
    this.current = entry;
    return entry;
  }
}
