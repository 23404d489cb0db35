/**
 * Retry transient driver failures only, with bounded exponential backoff on
 * the injected Clock (p-retry counts attempts; our clock does the waiting, so
 * virtual time works and no jitter draws on Math.random).
 */
import pRetry, { AbortError } from 'p-retry';
import type { Clock } from '../../lib/clock.js';
import { DriverError } from '../errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, minDelayMs: 250, maxDelayMs: 2_000 };

export function backoffMs(policy: RetryPolicy, attemptNumber: number): number {
  return Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attemptNumber - 1));
}

export function retryTransient<T>(clock: Clock, policy: RetryPolicy, signal: AbortSignal, fn: (attempt: number) => Promise<T>): Promise<T> {
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (e) {
        if (e instanceof DriverError && !e.transient) throw new AbortError(e);
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
