/**
 * Bounded retries with exponential backoff on the injected Clock, for every caller that retries (the Windows
 * driver's commands, the cloud movers' API calls): p-retry counts attempts; our clock does the waiting, so virtual
 * time works, and jitter (when wanted) draws on the injected Random, never Math.random.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Clock } from './clock.js';
import type { Random } from './random.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Spreads each delay over [50 %, 100 %]; without it backoff is exact. */
  jitter?: Random;
}

export function backoffMs(policy: RetryPolicy, attemptNumber: number): number {
  const exact = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attemptNumber - 1));
  return policy.jitter ? Math.round(exact * (0.5 + policy.jitter.next() / 2)) : exact;
}

/** Run fn(attempt) until it succeeds, throws what `retryable` refuses, or the retries are spent (its last error). */
export function retryWhen<T>(
  clock: Clock,
  policy: RetryPolicy,
  signal: AbortSignal,
  retryable: (e: unknown) => boolean,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (e) {
        if (!retryable(e)) throw new AbortError(e instanceof Error ? e : String(e));
        if (!(e instanceof Error)) throw new AbortError(String(e));
        throw e;
      }
    },
    {
      retries: policy.retries,
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      signal,
      onFailedAttempt: async (err) => {
        if (err.retriesLeft > 0) await clock.sleep(backoffMs(policy, err.attemptNumber), signal);
      },
    },
  );
}
