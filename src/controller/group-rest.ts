/**
 * When a group may skip the beat (issue 19). A holder with nothing to do is looked at again when its next health
 * check falls due, not every retryPeriod — its lease is renewed meanwhile by the agent's batched renewals
 * (lease/held-renewals.ts); while its part of the host stays as its last full look saw it, that look only runs the
 * checks, and a full one comes at least every MAX_REST_MS. A standby with nothing to do, the lease held by a live
 * peer, is looked at once per quick-check interval, or every MAX_REST_MS where the beat watches its part of the
 * host (host-part.ts: C5/C6 drift then wakes it within a beat or two) — the beat's one list of the group leases
 * keeps observing every lease on this node's clock and wakes a group whose lease changed hands or ran out.
 * Anything else that could change what either decides wakes it before that: a watch event on its objects or its
 * Cluster — a member's node lease turning alive or dead is one, as the first live node writes it into the
 * Cluster's status.nodes — or a lease timer (the holder's watchdog, the standby's expiry wake), or a failed renewal.
 */
import type { Role } from './decision-types.js';
import type { GroupSnapshot } from './decision-input.js';
import type { GroupMemory } from './group-memory.js';

/** A resting group is looked at at least this often (a check interval set longer still sees its host this often). */
export const MAX_REST_MS = 30_000;

export interface RestInput {
  /** The agent renews held leases in batches (else every reconcile renews its own, and no holder may rest). */
  batched: boolean;
  /** The beat lists the group leases (else each standby reads its own, and no standby may rest). */
  listed: boolean;
  holds: boolean;
  /** Another node holds the lease and, by this node's own observation, it has not run out. */
  peerHolds: boolean;
  /** The lease and node-lease reads of this cycle answered. */
  storeOk: boolean;
  role: Role;
  actions: number;
  events: number;
  /** The executor ran what it had to without a failure, and no address is still in detection. */
  settled: boolean;
  /** Something asked to come back sooner (a transient retry, a check failure, a status write held back). */
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
  /** Holder: until its next quick or deep check falls due (ms). Standby: one quick-check interval, or MAX_REST_MS if watched. */
  untilChecksMs: number;
}

/** How long the group may skip the beat (ms), or undefined: come back at the next beat as before. */
export function restMs(i: RestInput): number | undefined {
  const holder = i.batched && i.holds && i.role === 'active' && !i.switchbackWatch;
  const standby = i.listed && !i.holds && i.peerHolds && i.role === 'standby';
  const quiet =
    (holder || standby) &&
    i.storeOk &&
    i.clustered &&
    !i.mirrored &&
    i.actions === 0 &&
    i.events === 0 &&
    i.settled &&
    i.requeueAfterMs === undefined &&
    !i.wrote &&
    !i.pending;
  if (!quiet) return undefined;
  const ms = Math.min(i.untilChecksMs, MAX_REST_MS);
  return ms > i.retryMs ? ms : undefined;
}

/** Something this holder still has to finish or report: it comes back at every beat until that is done. */
export function pendingFacts(mem: GroupMemory): boolean {
  const f = mem.facts;
  return (
    !!(f.failure || f.activationFailed || f.recoveryFailed || f.deactivationFailed) ||
    mem.fence !== undefined ||
    mem.takeover !== undefined ||
    mem.unobservedSince !== undefined ||
    mem.checksUnansweredSince !== undefined ||
    mem.addressWaitSince !== undefined
  );
}

/** A member with a better (lower) priority than this node: under Automatic switchback the group may move to it. */
export function betterMember(snap: GroupSnapshot, node: string): boolean {
  const nodes = snap.group.spec.nodes;
  const mine = nodes.find((n) => n.name === node)?.priority;
  return mine === undefined || nodes.some((n) => n.name !== node && n.priority < mine);
}
