/**
 * Default values the validator and the CLI need at run time, as literals so
 * that reading them does not load the schema builder. test/api/defaults.test.ts
 * proves they equal the defaults declared in schema.ts (the source of truth).
 */
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TIMING = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};
export const DEFAULT_SITE_SERVICE = 'Web' as const;
export const DEFAULT_HOST_HEADER = '';
export const DEFAULT_SWITCHBACK = 'Intelligent' as const;
/** Mirror mode, and the async failover policy: LifeKeeper fails asynchronous mirrors over too (the queued tail is the accepted RPO). */
export const DEFAULT_MIRROR_MODE = 'Synchronous' as const;
export const DEFAULT_ASYNC_FAILOVER = 'Allow' as const;
/** Automatic switchback waits until the preferred node has been up this long without a break. */
export const DEFAULT_SWITCHBACK_DELAY_SECONDS = 60;
/** WinHA's check defaults (design §4): quick 10 s, deep 60 s; LifeKeeper's own are 180/300 s. */
export const DEFAULT_CHECKS = { quickCheckIntervalSeconds: 10, deepCheckIntervalSeconds: 60 };
/** FailoverGroup failure policy (design §4): 3 local recoveries per 900 s, then a ban of 3600 s; transient errors retried 3 times from 1 s. */
export const DEFAULT_FAILURE_POLICY = {
  restartLimit: 3,
  restartWindowSeconds: 900,
  failureExpirySeconds: 3600,
  transientRetryLimit: 3,
  transientRetryDelaySeconds: 1,
};
/** The longest wait between two retries of a transient failure. */
export const MAX_TRANSIENT_RETRY_DELAY_SECONDS = 60;
/** IISSite: how long the IIS service may take to reach Running. */
export const DEFAULT_SERVICE_START_TIMEOUT_SECONDS = 60;
/** IISSite deep check: how long the HTTP or FTP probe may take. */
export const DEFAULT_DEEP_CHECK_TIMEOUT_SECONDS = 10;
/** Cluster safety check: how long each probe of the previous active's address may take (its own budget). */
export const DEFAULT_SAFETY_PROBE_TIMEOUT_SECONDS = 3;
