/**
 * Events with codes and counts (design §2): a repeat of the same event (same object, node, reason, code and
 * message) folds into one Event whose count and lastTimestamp grow, as Kubernetes' event correlator does. Writing
 * an event never fails the caller.
 *
 * Two things keep events honest under faults (issue 13):
 *
 * - Repeat limiter (client-go's EventCorrelator spam filter, per event key): the first occurrence is written at
 *   once; a repeat within REPEAT_INTERVAL_MS of the last write only bumps a local count, and the accumulated count
 *   is written when the interval ends (a timer on the injected Clock), on flush() and on stop(). A condition
 *   reported every second (SplitBrain) is one store write per 30 s instead of one per second.
 * - Outbox: an event the store refused or did not answer is kept locally, folded by the same key, in order, at
 *   most OUTBOX_LIMIT keys (the oldest dropped and counted: never unbounded). While it holds anything, new events
 *   queue behind it. It is flushed when the store answers again: on the next write attempt, and on the agent's next
 *   successful node-lease renewal (flushOutbox), so a quiet node does not wait for its next event. Drops are
 *   reported with an EventsDropped Warning once the outbox has drained.
 */
import { createHash } from 'node:crypto';
import type { Clock, Timer } from '../lib/clock.js';
import { isStoreError } from '../store/errors.js';
import type { ObjectStore, StoredObject } from '../store/types.js';
import { iso } from './status/time.js';

export interface EventInput {
  involved: { kind: string; name: string; namespace: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  code?: number;
  epoch?: number;
}

/** A repeat within this long of the event's last write is only counted locally (Kubernetes' spam filter spirit). */
export const REPEAT_INTERVAL_MS = 30_000;
/** Event keys the outbox holds at most while the store is away; older ones are dropped (and counted). */
export const OUTBOX_LIMIT = 200;
/** Event objects remembered (their last written version and write time); the least recently used go first. */
const KNOWN_LIMIT = 1000;

/** Occurrences of one event not written yet: `count` of them, the first at `first`, the last at `last`. */
interface Pending {
  key: string;
  name: string;
  e: EventInput;
  count: number;
  first: string;
  last: string;
}

type Outcome = 'written' | 'away' | 'refused';

export class EventRecorder {
  /** Last written version of each event object, and when (monotonic) it was written: LRU, at most KNOWN_LIMIT. */
  private readonly known = new Map<string, { obj: StoredObject | undefined; writtenAt: number }>();
  /** Repeats held back by the limiter, with the timer that writes them when the interval ends. */
  private readonly held = new Map<string, { p: Pending; timer: Timer }>();
  /** What the store refused or did not answer, in order of first occurrence. */
  private readonly outbox = new Map<string, Pending>();
  private dropped = 0;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: (e: EventInput) => void = () => undefined,
  ) {}

  /** Events waiting in the outbox (keys, after folding). */
  get outboxSize(): number {
    return this.outbox.size;
  }

  async record(e: EventInput): Promise<void> {
    this.log(e);
    const p = this.pending(e);
    if (this.outbox.size > 0) {
      // The store was away at the last attempt: keep the order, and try again now (this is the next write).
      this.park(p);
      void this.flushOutbox(); // not waited for: a silent store would hold the caller up to its request timeout
      return;
    }
    const k = this.known.get(p.key);
    const mono = this.clock.monotonic();
    if (k && mono - k.writtenAt < REPEAT_INTERVAL_MS) {
      this.hold(p, k.writtenAt + REPEAT_INTERVAL_MS - mono);
      return;
    }
    await this.write(p);
  }

  /** Write what the outbox holds, in order; stops at the first refusal (the rest waits for the next answer). */
  flushOutbox(): Promise<void> {
    if (this.outbox.size === 0 && this.dropped === 0) return Promise.resolve();
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Write everything now: the outbox, then every repeat the limiter holds back. */
  async flush(): Promise<void> {
    await this.flushOutbox();
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) {
      h.timer.cancel();
      await this.write(h.p);
    }
  }

  /** The agent stops: no more timers; what is held back is written once more (best effort, not waited for). */
  stop(): void {
    if (this.stopped) return;
    void this.flush().catch(() => undefined);
    this.stopped = true;
  }

  private pending(e: EventInput): Pending {
    const digest = createHash('sha256')
      .update(JSON.stringify([e.involved.kind, e.involved.name, this.node, e.reason, e.code ?? null, e.message]))
      .digest('hex')
      .slice(0, 12);
    const name = `${e.involved.name}.${digest}`.slice(0, 253);
    const now = iso(this.clock.now());
    return { key: `${e.involved.namespace}/${name}`, name, e, count: 1, first: now, last: now };
  }

  /** Fold `p` into `into` (the later occurrence's epoch wins). */
  private static fold(into: Pending, p: Pending): void {
    into.count += p.count;
    into.last = p.last;
    if (p.e.epoch !== undefined) into.e = { ...into.e, epoch: p.e.epoch };
  }

  private hold(p: Pending, inMs: number): void {
    const h = this.held.get(p.key);
    if (h) return EventRecorder.fold(h.p, p);
    const timer = this.clock.setTimer(inMs, () => {
      const cur = this.held.get(p.key);
      if (cur?.timer !== timer || this.stopped) return;
      this.held.delete(p.key);
      if (this.outbox.size > 0) {
        this.park(cur.p);
        void this.flushOutbox();
      } else void this.write(cur.p);
    });
    this.held.set(p.key, { p, timer });
  }

  /** Keep `p` for later, folded by key; past OUTBOX_LIMIT keys the oldest is dropped and counted. */
  private park(p: Pending): void {
    const cur = this.outbox.get(p.key);
    if (cur) return EventRecorder.fold(cur, p);
    this.outbox.set(p.key, p);
    while (this.outbox.size > OUTBOX_LIMIT) {
      const oldest = this.outbox.keys().next().value as string;
      this.dropped += this.outbox.get(oldest)!.count;
      this.outbox.delete(oldest);
    }
  }

  private async drain(): Promise<void> {
    for (let next = this.outbox.entries().next(); !next.done; next = this.outbox.entries().next()) {
      const [key, p] = next.value;
      this.outbox.delete(key); // taken out while written: a repeat meanwhile starts a new entry under the key
      if ((await this.put(p)) === 'away') {
        // Back at the head, with anything folded under its key meanwhile; the order of the rest is kept.
        const rest = [...this.outbox];
        this.outbox.clear();
        this.outbox.set(key, p);
        for (const [k, q] of rest) {
          if (k === key) EventRecorder.fold(p, q);
          else this.outbox.set(k, q);
        }
        return;
      }
      // Written, or refused for good (a malformed request): either way it leaves the outbox.
    }
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      const e: EventInput = {
        involved: { kind: 'Node', name: this.node, namespace: 'default' },
        type: 'Warning',
        reason: 'EventsDropped',
        message: `${this.node} dropped ${n} events while the store did not answer (its outbox keeps the latest ${OUTBOX_LIMIT})`,
      };
      this.log(e);
      if ((await this.put(this.pending(e))) === 'away') this.dropped += n;
    }
  }

  /** Write now; the store away: keep it in the outbox. */
  private async write(p: Pending): Promise<void> {
    if ((await this.put(p)) === 'away') this.park(p);
  }

  /** One write of `p`'s occurrences: create the event object, or add them to its count. */
  private async put(p: Pending): Promise<Outcome> {
    const ns = p.e.involved.namespace;
    this.remember(p.key, this.known.get(p.key)?.obj); // counts as written from now (concurrent repeats are held)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        let cur = this.known.get(p.key)?.obj;
        if (!cur) {
          try {
            cur = await this.store.get('Event', ns, p.name);
          } catch (err) {
            if (!isStoreError(err, 'NotFound')) throw err;
          }
        }
        const epoch = p.e.epoch !== undefined ? { epoch: p.e.epoch } : {};
        const written = cur
          ? await this.store.update({ ...cur, count: Number(cur['count'] ?? 1) + p.count, lastTimestamp: p.last, ...epoch })
          : await this.store.create({
              apiVersion: 'winha.io/v1alpha1',
              kind: 'Event',
              metadata: { name: p.name, namespace: ns },
              involvedObject: { kind: p.e.involved.kind, name: p.e.involved.name, namespace: ns },
              node: this.node,
              type: p.e.type,
              reason: p.e.reason,
              message: p.e.message,
              ...(p.e.code !== undefined ? { code: p.e.code } : {}),
              ...epoch,
              count: p.count,
              firstTimestamp: p.first,
              lastTimestamp: p.last,
            });
        this.remember(p.key, written);
        return 'written';
      } catch (err) {
        this.remember(p.key, undefined);
        if (isStoreError(err, 'Conflict') || isStoreError(err, 'AlreadyExists')) continue;
        // Unavailable, a timeout, a transport error: the store may answer later. A request the store judged
        // malformed will not get better by waiting: only the log line is left of it.
        if (isStoreError(err, 'Invalid') || isStoreError(err, 'NotFound')) return 'refused';
        return 'away';
      }
    }
    return 'refused';
  }

  private remember(key: string, obj: StoredObject | undefined): void {
    this.known.delete(key);
    this.known.set(key, { obj, writtenAt: this.clock.monotonic() });
    while (this.known.size > KNOWN_LIMIT) this.known.delete(this.known.keys().next().value as string);
  }
}
