/**
 * A work queue shaped like controller-runtime's (docs/spec/anchors-k8s.md §1.1): keys are
 * deduplicated while queued; a key being processed is never handed out twice
 * and, if added meanwhile, is processed once more afterwards; failures
 * requeue with per-key exponential backoff (1 s base, ×2, cap 5 min for
 * external-system errors, docs/spec/anchors-k8s.md "Recommendations for our TypeScript project" 2). Delays run on the
 * injected Clock, so the simulation stays deterministic.
 */
import type { Clock, Timer } from '../lib/clock.js';

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Keys processed at once (controller-runtime's MaxConcurrentReconciles; default 1). One key is never processed twice at once. */
  workers?: number;
}

/** A reconcile's answer (controller-runtime's Result): reconcile the key again after this many ms. */
export interface HandlerResult {
  requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<HandlerResult | void>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly base: number;
  private readonly max: number;
  private readonly workers: number;
  /** Keys processed so far (metrics). */
  processed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly handler: Handler,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    options: WorkQueueOptions = {},
  ) {
    this.base = options.baseDelayMs ?? 1000;
    this.max = options.maxDelayMs ?? 300_000;
    this.workers = Math.max(1, Math.floor(options.workers ?? 1));
  }

  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Add after a delay; a key already due sooner keeps its time (client-go's AddAfter: the earliest wins). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const at = this.clock.monotonic() + Math.max(0, ms);
    const cur = this.delayed.get(key);
    if (cur && cur.at <= at) return;
    cur?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { at, timer });
  }

  /** Forget a key's failure count (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Resolves when no handler runs (after stop(): the ones in flight have finished). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.workers && this.queue.length > 0) {
      this.active++;
      void this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.queue.length > 0) {
        const key = this.queue.shift()!;
        this.queued.delete(key);
        this.processing.add(key);
        try {
          const r = await this.handler(key);
          this.failures.delete(key);
          if (r && r.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
        } catch (err) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          const delay = Math.min(this.max, this.base * 2 ** (n - 1));
          this.onError(key, err, delay);
          this.addAfter(key, delay);
        } finally {
          this.processed++;
          this.processing.delete(key);
          if (this.dirty.delete(key)) this.add(key);
        }
      }
    } finally {
      this.active--;
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
