/**
 * When a holder may skip the beat (issue 19): a group its node serves with nothing to do is looked at again when
 * its next health check falls due, not every retryPeriod — its lease is renewed meanwhile by the agent's batched
 * renewals (lease/held-renewals.ts). Anything that could change what it decides wakes it before that: a watch event
 * on its objects or its Cluster — a member's node lease turning alive or dead is one, as the first live node writes
 * it into the Cluster's status.nodes — or a lease timer, or a renewal that failed.
 */
import type { Role } from './decision-types.js';

/** A resting group is looked at at least this often (a check interval set longer still sees its host this often). */
export const MAX_REST_MS = 30_000;

export interface RestInput {
  /** The agent renews held leases in batches (else every reconcile renews its own, and no group may rest). */
  batched: boolean;
  holds: boolean;
  /** The lease and node-lease reads of this cycle answered. */
  storeOk: boolean;
  role: Role;
  actions: number;
  events: number;
  /** The executor ran what it had to without a failure, and no address is still in detection. */
  settled: boolean;
  /** Something asked to come back sooner (a transient retry, a check failure). */
  requeueAfterMs: number | undefined;
  /** This cycle wrote status (a change is under way: others may answer it). */
  wrote: boolean;
  /** A check failure, a fence or blindness is being remembered. */
  pending: boolean;
  /** Automatic switchback with a better-priority member: the holder counts that member's uptime. */
  switchbackWatch: boolean;
  /**
   * The group has a mirror: its state must reach the store within a beat, as the standby's mirror gate reads it
   * from there (a holder resting through a replication cut let the standby promote a Paused target: fuzz seed 844).
   */
  mirrored: boolean;
  /** A Cluster owns the group (its status.nodes, written when a member turns alive or dead, wakes the group). */
  clustered: boolean;
  retryMs: number;
  /** Until the next quick or deep check falls due (ms). */
  untilChecksMs: number;
}

/** How long the group may skip the beat (ms), or undefined: come back at the next beat as before. */
export function restMs(i: RestInput): number | undefined {
  const quiet =
    i.batched &&
    i.holds &&
    i.storeOk &&
    i.clustered &&
    !i.mirrored &&
    i.role === 'active' &&
    i.actions === 0 &&
    i.events === 0 &&
    i.settled &&
    i.requeueAfterMs === undefined &&
    !i.wrote &&
    !i.pending &&
    !i.switchbackWatch;
  if (!quiet) return undefined;
  const ms = Math.min(i.untilChecksMs, MAX_REST_MS);
  return ms > i.retryMs ? ms : undefined;
}
