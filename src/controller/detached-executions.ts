/**
 * Executions that run without holding a worker (issue 19): a decision with a step that waits on the host for
 * longer than a beat — DataKeeper's switchover, 30–40 s when the old source does not answer
 * (docs/spec/seed003-dk-guide-troubleshooting.md §4.2) — runs beside the queue. Its group's cycles meanwhile do
 * nothing (as when the worker was busy with it); its answer wakes the group, whose next cycle takes the result
 * exactly as the cycle that began it would have.
 */
import type { ActionType, Decision } from './decision-types.js';
import type { ExecutionResult } from './executor.js';

/** Steps that wait on the host long enough to hold a worker from every other group. */
const LONG_STEPS: ReadonlySet<ActionType> = new Set<ActionType>(['promoteMirror']);

/** Whether `decision` should run detached. */
export function runsDetached(decision: Decision): boolean {
  return decision.actions.some((a) => LONG_STEPS.has(a.type));
}

export type Detached = { state: 'running' } | { state: 'done'; result: ExecutionResult } | { state: 'threw'; error: unknown };

export class DetachedExecutions {
  private readonly byKey = new Map<string, Detached>();
  private readonly running = new Set<Promise<void>>();

  /** `wake` queues the group when its execution has answered. */
  constructor(private readonly wake: (key: string) => void) {}

  /** Begin `work` for `key` (one at a time per group: a cycle never begins one while another runs). */
  begin(key: string, work: () => Promise<ExecutionResult>): void {
    this.byKey.set(key, { state: 'running' });
    const p = work().then(
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
