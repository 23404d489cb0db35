/**
 * LeaseStore on top of any backend that can read a lease record and
 * compare-and-swap it on its revision.
 *
 * EXPIRY RULE (client-go's leaderelection, docs/spec/anchors-k8s.md §1.1; Patroni does the same):
 * a candidate may take a lease held by someone else only when it has itself
 * observed the record unchanged (same revision) for at least the record's
 * leaseDurationSeconds, measured on ITS OWN monotonic clock. It never compares
 * the holder's renewTime (another machine's wall clock) with its own wall
 * clock: clocks skew, jump and get corrected, and a skewed standby would steal
 * a live lease. Consequences:
 *  - a candidate that first sees a held lease must wait a full duration, even
 *    if the holder died long ago (that is the price of skew-safety);
 *  - every renewal changes the revision and restarts every observer's count;
 *  - a released lease (empty holder) may be taken at once;
 *  - observations live in this client object: a restarted agent starts counting
 *    again from zero, and so does one whose read failed (store unreachable).
 * The epoch is incremented each time a holder takes the lease (a fencing token
 * for the executor); renewals and release keep it.
 */
import type { Clock } from '../lib/clock.js';
import { ConflictError, NotFoundError } from './errors.js';
import { timestamp } from './objects.js';
import type { AcquireResult, LeaseRecord, LeaseStore } from './types.js';

/** What a backend must offer for leases. */
export interface LeaseBackend {
  readLease(name: string): Promise<LeaseRecord | null>;
  /** Write `next` if the stored revision is still `expectedRevision` (null: must not exist); else ConflictError. */
  writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord>;
  /** Every record whose name starts with prefix, at one revision (optional: one request instead of one per lease). */
  listLeases?(prefix: string): Promise<LeaseRecord[]>;
  /**
   * Write every `next` in one request, each only if its stored revision is still `expectedRevision`: all or none
   * (null when any revision moved on). Optional: holders then renew lease by lease.
   */
  writeLeases?(writes: LeaseWrite[]): Promise<LeaseRecord[] | null>;
  /**
   * A backend with no multi-object write (Kubernetes) may still let a holder renew its leases together, each with a
   * request of its own (a compare-and-swap each), this many at once.
   */
  readonly parallelWrites?: number;
}

export interface LeaseWrite {
  next: Omit<LeaseRecord, 'revision'>;
  expectedRevision: string;
}

/** Renewals in one backend request at most: etcd bounds a transaction's compares and puts at 128 each. */
const RENEW_BATCH = 100;

/** `r` renewed for `durationSeconds` at `renewTime`, written only if it is still the revision this holder wrote. */
function renewal(r: LeaseRecord, renewTime: string, durationSeconds: number): LeaseWrite {
  return { next: { ...withoutRevision(r), renewTime, leaseDurationSeconds: durationSeconds }, expectedRevision: r.revision };
}

interface Observation {
  revision: string;
  /** clock.monotonic() when we first saw this revision. */
  since: number;
}

export class LeaseClient implements LeaseStore {
  private observed = new Map<string, Observation>();

  readonly list?: (prefix: string) => Promise<LeaseRecord[]>;
  readonly renewMany?: LeaseStore['renewMany'];

  constructor(
    private readonly backend: LeaseBackend,
    private readonly clock: Clock,
  ) {
    const listLeases = backend.listLeases?.bind(backend);
    if (listLeases)
      this.list = async (prefix) => {
        let recs: LeaseRecord[];
        try {
          recs = await listLeases(prefix);
        } catch (e) {
          this.observed.clear(); // as get(): nothing was watched while the store was away
          throw e;
        }
        return recs.map((r) => this.observe(r.name, r)!);
      };
    const writeLeases = backend.writeLeases?.bind(backend);
    if (writeLeases) this.renewMany = (records, durationSeconds) => this.renewBatched(writeLeases, records, durationSeconds);
    else if (backend.parallelWrites)
      this.renewMany = (records, durationSeconds) => this.renewEach(records, durationSeconds, backend.parallelWrites!);
  }

  /**
   * Renew records this holder last wrote, one request each, `concurrency` at once. A record that changed since, or
   * whose request failed, comes back null (its group then reads the store itself); only a round in which every
   * request failed is a failure.
   */
  private async renewEach(records: LeaseRecord[], durationSeconds: number, concurrency: number): Promise<(LeaseRecord | null)[]> {
    const renewTime = timestamp(this.clock.now());
    const out: (LeaseRecord | null)[] = records.map(() => null);
    const failures: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < records.length; i = next++) {
        try {
          out[i] = await this.renewed(renewal(records[i]!, renewTime, durationSeconds));
        } catch (e) {
          failures.push(e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
    if (records.length > 0 && failures.length === records.length) throw failures[0];
    return out;
  }

  /**
   * Renew records this holder last wrote, RENEW_BATCH per request. A batch whose revisions all still match is one
   * write; one where any moved on is renewed record by record, so only the records that changed come back null.
   */
  private async renewBatched(
    writeLeases: NonNullable<LeaseBackend['writeLeases']>,
    records: LeaseRecord[],
    durationSeconds: number,
  ): Promise<(LeaseRecord | null)[]> {
    const out: (LeaseRecord | null)[] = [];
    for (let i = 0; i < records.length; i += RENEW_BATCH) {
      const chunk = records.slice(i, i + RENEW_BATCH);
      const renewTime = timestamp(this.clock.now());
      const writes = chunk.map((r) => renewal(r, renewTime, durationSeconds));
      const written = await writeLeases(writes);
      if (written) {
        out.push(...written.map((w) => this.observe(w.name, w)));
        continue;
      }
      for (const w of writes) out.push(await this.renewed(w));
    }
    return out;
  }

  /** One renewal on its own: the renewed record, or null when the record changed since (any other error is thrown). */
  private async renewed(w: LeaseWrite): Promise<LeaseRecord | null> {
    try {
      return await this.write(w.next, w.expectedRevision);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      return null;
    }
  }

  async get(name: string): Promise<LeaseRecord | null> {
    let rec: LeaseRecord | null;
    try {
      rec = await this.backend.readLease(name);
    } catch (e) {
      // While we cannot see the store we cannot watch anything: when it comes back every held lease must be
      // watched for a full duration again, so the holder (which renews at once) keeps it instead of losing a race
      // to a candidate whose count ran on through the outage.
      this.observed.clear();
      throw e;
    }
    return this.observe(name, rec);
  }

  async acquire(
    name: string,
    holder: string,
    durationSeconds: number,
    holderVersion?: string,
    current?: LeaseRecord | null,
  ): Promise<AcquireResult> {
    const version = holderVersion ? { holderVersion } : {};
    if (!holder) throw new ConflictError(`lease ${name}: a holder identity is required`);
    const cur = current !== undefined ? current : await this.get(name);
    const now = timestamp(this.clock.now());
    const take = async (expected: string | null, epoch: number): Promise<AcquireResult> => {
      try {
        const lease = await this.write(
          { name, holder, epoch, acquireTime: now, renewTime: now, leaseDurationSeconds: durationSeconds, ...version },
          expected,
        );
        return { acquired: true, lease };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        // Someone else wrote first: we lost this round.
        const again = await this.get(name);
        if (!again) throw e;
        return { acquired: false, lease: again, retryAfterMs: this.remainingMs(again) };
      }
    };
    if (!cur) return take(null, 1);
    if (cur.holder === holder) {
      const next = { ...withoutRevision(cur), renewTime: now, leaseDurationSeconds: durationSeconds, ...version };
      const lease = await this.write(next, cur.revision);
      return { acquired: true, lease };
    }
    if (cur.holder === '' || this.remainingMs(cur) <= 0) return take(cur.revision, cur.epoch + 1);
    return { acquired: false, lease: cur, retryAfterMs: this.remainingMs(cur) };
  }

  async renew(name: string, holder: string, epoch: number): Promise<LeaseRecord> {
    const cur = await this.mine(name, holder, epoch, 'renew');
    return this.write({ ...withoutRevision(cur), renewTime: timestamp(this.clock.now()) }, cur.revision);
  }

  async release(name: string, holder: string, epoch: number): Promise<LeaseRecord> {
    const cur = await this.mine(name, holder, epoch, 'release');
    return this.write({ ...withoutRevision(cur), holder: '', renewTime: timestamp(this.clock.now()) }, cur.revision);
  }

  private async mine(name: string, holder: string, epoch: number, verb: string): Promise<LeaseRecord> {
    const cur = await this.get(name);
    if (!cur) throw new NotFoundError(`lease ${name} not found; cannot ${verb} it`);
    if (cur.holder !== holder || cur.epoch !== epoch) {
      const by = cur.holder ? `held by ${cur.holder} (epoch ${cur.epoch})` : `released (epoch ${cur.epoch})`;
      throw new ConflictError(`lease ${name} is ${by}, not by ${holder} (epoch ${epoch}); cannot ${verb} it`);
    }
    return cur;
  }

  private async write(next: Omit<LeaseRecord, 'revision'>, expected: string | null): Promise<LeaseRecord> {
    try {
      return this.observe(next.name, await this.backend.writeLease(next, expected))!;
    } catch (e) {
      if (e instanceof ConflictError) await this.get(next.name);
      throw e;
    }
  }

  /** How long `rec` must still stay unchanged, by our own observation, before it counts as expired. */
  remainingMs(rec: LeaseRecord): number {
    if (rec.holder === '') return 0;
    const o = this.observed.get(rec.name);
    const since = o && o.revision === rec.revision ? o.since : this.clock.monotonic();
    return Math.max(0, rec.leaseDurationSeconds * 1000 - (this.clock.monotonic() - since));
  }

  private observe(name: string, rec: LeaseRecord | null): LeaseRecord | null {
    if (!rec) {
      this.observed.delete(name);
      return null;
    }
    const o = this.observed.get(name);
    if (!o || o.revision !== rec.revision) this.observed.set(name, { revision: rec.revision, since: this.clock.monotonic() });
    return rec;
  }
}

function withoutRevision(r: LeaseRecord): Omit<LeaseRecord, 'revision'> {
  const { revision: _r, ...rest } = r;
  return rest;
}
