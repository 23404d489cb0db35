/** The Windows driver retries transient driver failures only (src/lib/retry.ts does the counting and waiting). */
import type { Clock } from '../../lib/clock.js';
import { retryWhen, type RetryPolicy } from '../../lib/retry.js';
import { DriverError } from '../errors.js';

export type { RetryPolicy } from '../../lib/retry.js';

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, minDelayMs: 250, maxDelayMs: 2_000 };

export function retryTransient<T>(clock: Clock, policy: RetryPolicy, signal: AbortSignal, fn: (attempt: number) => Promise<T>): Promise<T> {
  return retryWhen(clock, policy, signal, (e) => !(e instanceof DriverError) || e.transient, fn);
}
