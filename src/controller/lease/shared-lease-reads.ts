/**
 * Lease reads shared by the groups an agent reconciles together. A read is shared while young (in flight or
 * finished, begun at most maxAgeMs ago); a failed one is not handed on. A read that old is what a slow answer
 * would give: a takeover still reads the record again and writes it by compare-and-swap, so a renewal a shared
 * read missed fails the take.
 *
 * SharedLeaseReads: the standby's group leases, one list of every group lease per half retryPeriod instead of one
 * read per group per retryPeriod (at 500 groups, 250 store requests a second down to 2). NodeLiveness shares its
 * peers' node lease reads through the same YoungReads.
 */
import type { Clock } from '../../lib/clock.js';
import type { LeaseRecord, LeaseStore } from '../../store/types.js';

export const GROUP_LEASE_PREFIX = 'group.';

interface Entry<T> {
  at: number;
  seq: number;
  value: Promise<T>;
}

/** Reads by key, each shared while young; numbered, so a caller can ask for one begun after a given read. */
export class YoungReads<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private started = 0;

  constructor(private readonly clock: Clock) {}

  /** How many reads were begun. */
  get seq(): number {
    return this.started;
  }

  /** The young read of `key` begun after read number `after`, else a new one (`read()`). */
  get(key: string, maxAgeMs: number, read: () => Promise<T>, after = 0): Promise<T> {
    const now = this.clock.monotonic();
    const cur = this.entries.get(key);
    if (cur && cur.seq > after && now - cur.at <= maxAgeMs) return cur.value;
    const entry: Entry<T> = { at: now, seq: ++this.started, value: read() };
    // A failed read is not shared on: the next caller asks again.
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    return entry.value;
  }
}

export class SharedLeaseReads {
  private readonly lists: YoungReads<Map<string, LeaseRecord>>;

  constructor(
    private readonly leases: LeaseStore,
    clock: Clock,
    private readonly prefix = GROUP_LEASE_PREFIX,
  ) {
    this.lists = new YoungReads(clock);
  }

  /** Whether the store can list leases (else each group reads its own). */
  get available(): boolean {
    return typeof this.leases.list === 'function';
  }

  /** How many lists were begun: a caller that wrote or read a lease itself asks for a list begun after that. */
  get seq(): number {
    return this.lists.seq;
  }

  /**
   * The record named `name` (null when none), from a list at most maxAgeMs old and begun after list number `after`
   * (one in flight is shared while young). Without `after`, a group that just lost a takeover race would read the
   * very list that made it try, again and again.
   */
  async get(name: string, maxAgeMs: number, after = 0): Promise<LeaseRecord | null> {
    return (await this.all(maxAgeMs, after)).get(name) ?? null;
  }

  /** Every group lease by name, from the same shared list. */
  all(maxAgeMs: number, after = 0): Promise<Map<string, LeaseRecord>> {
    const list = () => this.leases.list!(this.prefix).then((recs) => new Map(recs.map((r) => [r.name, r])));
    return this.lists.get(this.prefix, maxAgeMs, list, after);
  }
}
