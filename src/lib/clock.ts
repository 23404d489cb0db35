/**
 * The only place that reads real time or schedules real timers.
 *
 * Everything else receives a Clock, so the simulation can run the same code on
 * virtual time (deterministic: same seed, same trace) and tests never wait on
 * wall-clock time.
 */

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (for timestamps shown to people and stored in objects). */
  now(): number;
  /**
   * Monotonic milliseconds from an arbitrary origin. Use it to measure elapsed
   * time on this machine (lease expiry is judged on it: never compare another
   * machine's wall clock with ours).
   */
  monotonic(): number;
  /** Run fn after ms milliseconds (of this clock's time). */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolve after ms milliseconds (of this clock's time). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Real time. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  setTimer(ms: number, fn: () => void): Timer {
    const h = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(h) };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const h = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(h);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests and the simulation. Time moves only when advance()
 * or runUntilIdle() is called; timers due at the same instant fire in the order
 * they were set, so a run is reproducible.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private queue: Scheduled[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): Timer {
    const s: Scheduled = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.queue.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
      },
    };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const timer = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        timer.cancel();
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.queue.filter((s) => !s.cancelled).length;
  }

  private next(limit: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    let bestIdx = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const s = this.queue[i]!;
      if (s.cancelled) continue;
      if (s.at > limit) continue;
      if (!best || s.at < best.at || (s.at === best.at && s.seq < best.seq)) {
        best = s;
        bestIdx = i;
      }
    }
    if (best) this.queue.splice(bestIdx, 1);
    this.queue = this.queue.filter((s) => !s.cancelled);
    return best;
  }

  /**
   * Move time forward by ms, firing due timers in order. Between timers the
   * microtask queue is drained so promise continuations run at the right
   * virtual instant.
   */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await drainMicrotasks();
    for (;;) {
      const s = this.next(target);
      if (!s) break;
      this.t = Math.max(this.t, s.at);
      s.fn();
      await drainMicrotasks();
    }
    this.t = target;
    await drainMicrotasks();
  }
}

/** Let pending promise continuations run (several turns, since chains are deep). */
export async function drainMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}
