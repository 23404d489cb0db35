/**
 * The one transient-retry schedule (design §4 "Transient is not fatal"): the executor's in-step retries and the
 * last eligible node's longer schedule in decide() are the same doubling series, at most 60 s apart.
 */
import { DEFAULT_FAILURE_POLICY, MAX_TRANSIENT_RETRY_DELAY_SECONDS } from '../api/defaults.js';

export interface TransientRetryPolicy {
  /** In-step retries before the failure counts. */
  limit: number;
  /** The first retry's delay (ms). */
  firstMs: number;
}

/** From a FailoverGroup's failurePolicy (or decide()'s view of it), with the defaults. */
export function transientRetryPolicy(
  p: { transientRetryLimit?: number; transientRetryDelaySeconds?: number } | undefined,
): TransientRetryPolicy {
  return {
    limit: p?.transientRetryLimit ?? DEFAULT_FAILURE_POLICY.transientRetryLimit,
    firstMs: (p?.transientRetryDelaySeconds ?? DEFAULT_FAILURE_POLICY.transientRetryDelaySeconds) * 1000,
  };
}

/** The wait before retry number `n` (0-based) of the series. */
export function transientRetryDelayMs(p: TransientRetryPolicy, n: number): number {
  return Math.min(p.firstMs * 2 ** n, MAX_TRANSIENT_RETRY_DELAY_SECONDS * 1000);
}
