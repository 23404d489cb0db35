/** The Cluster's election timing in milliseconds, defaults from src/api/defaults.ts. */
import { DEFAULT_TIMING } from '../api/defaults.js';
import type { Cluster } from '../api/types.js';

export interface Timing {
  leaseMs: number;
  renewDeadlineMs: number;
  retryMs: number;
}

export function timingOf(cluster: Cluster | undefined): Timing {
  const t = cluster?.spec?.timing ?? {};
  return {
    leaseMs: (t.leaseDurationSeconds ?? DEFAULT_TIMING.leaseDurationSeconds) * 1000,
    renewDeadlineMs: (t.renewDeadlineSeconds ?? DEFAULT_TIMING.renewDeadlineSeconds) * 1000,
    retryMs: (t.retryPeriodSeconds ?? DEFAULT_TIMING.retryPeriodSeconds) * 1000,
  };
}

/** The lease duration a store takes (whole seconds). */
export function leaseSeconds(t: Timing): number {
  return Math.round(t.leaseMs / 1000);
}
