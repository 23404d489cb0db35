/**
 * What every watch implementation shares: an async-iterable queue of events
 * with one waiting reader, failure delivered once (then the iteration ends),
 * close by call or by AbortSignal. Backends supply start() (replay, then
 * follow changes) and stop() (release their subscriptions and timers).
 */
import { describeObject } from './errors.js';
import { parseRevision } from './objects.js';
import { compileSelector, type LabelMatcher } from './selector.js';
import type { Watch, WatchEvent, WatchOptions } from './types.js';

export abstract class QueuedWatch implements Watch {
  private queue: WatchEvent[] = [];
  private waiter: { resolve: (r: IteratorResult<WatchEvent>) => void; reject: (e: unknown) => void } | undefined;
  private error: Error | undefined;
  private started = false;
  /** Whether the watch has failed (its error waits for the reader). */
  protected get failed(): boolean {
    return this.error !== undefined;
  }
  protected closed = false;
  protected readonly matches: LabelMatcher;
  /** "watch FailoverGroup default/*", for messages. */
  protected readonly what: string;

  constructor(
    protected readonly kind: string,
    protected readonly options: WatchOptions = {},
  ) {
    this.matches = compileSelector(options.labelSelector);
    this.what = `watch ${describeObject(kind, options.namespace ?? '', '*')}`;
    if (options.resourceVersion !== undefined && options.resourceVersion !== '') parseRevision(options.resourceVersion, this.what);
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.close();
      else signal.addEventListener('abort', () => this.close(), { once: true });
    }
  }

  /** Replay (from options.resourceVersion, or the current state) and begin following changes. */
  protected abstract start(): Promise<void>;
  /** Release subscriptions, timers and connections. Called once, on close or failure. */
  protected abstract stop(): void;

  /** Begin replaying and following now rather than at the first read (a backend that connects eagerly). */
  protected startNow(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.start();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    this.startNow();
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ done: true, value: undefined });
  }

  protected push(ev: WatchEvent): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ done: false, value: ev });
    } else this.queue.push(ev);
  }

  /** End the watch with an error, delivered to the reader after any queued events. */
  protected fail(e: Error): void {
    if (this.closed || this.error !== undefined) return;
    this.error = e;
    this.stop();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      this.closed = true;
      w.reject(e);
    }
  }

  private next(): Promise<IteratorResult<WatchEvent>> {
    const ev = this.queue.shift();
    if (ev) return Promise.resolve({ done: false, value: ev });
    if (this.error !== undefined && !this.closed) {
      this.closed = true;
      return Promise.reject(this.error);
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
