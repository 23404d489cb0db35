/**
 * Executions that go on without holding a worker (issue 19): when an execution is about to wait long — DataKeeper's
 * switchover, 30–40 s when the old source does not answer (docs/spec/seed003-dk-guide-troubleshooting.md §4.2), or
 * the backoff before retrying a transient failure — its worker stops waiting for it and it goes on beside the
 * queue. Its group's cycles meanwhile do nothing (as when the worker was busy with it); its answer wakes the group,
 * whose next cycle takes the result exactly as the cycle that began it would have.
 */
import type { ExecutionResult } from './executor.js';

export type Detached = { state: 'running' } | { state: 'done'; result: ExecutionResult } | { state: 'threw'; error: unknown };

export class DetachedExecutions {
  private readonly byKey = new Map<string, Detached>();
  private readonly running = new Set<Promise<void>>();

  /** `wake` queues the group when its execution has answered. */
  constructor(private readonly wake: (key: string) => void) {}

  /** Go on with `execution` of `key` without a worker (one at a time per group: its cycles wait meanwhile). */
  adopt(key: string, execution: Promise<ExecutionResult>): void {
    this.byKey.set(key, { state: 'running' });
    const p = execution.then(
      (result) => void this.byKey.set(key, { state: 'done', result }),
      (error: unknown) => void this.byKey.set(key, { state: 'threw', error }),
    );
    const tracked = p.finally(() => {
      this.running.delete(tracked);
      this.wake(key);
    });
    this.running.add(tracked);
  }

  /** The group's execution: still running, or its answer (handed out once, then forgotten), or none. */
  take(key: string): Detached | undefined {
    const d = this.byKey.get(key);
    if (d && d.state !== 'running') this.byKey.delete(key);
    return d;
  }

  /** Resolves when every execution begun so far has answered (a graceful stop waits for them as for the workers). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
