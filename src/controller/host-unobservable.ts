/**
 * A holder whose own host does not answer it (issue 13 item 4, issue 18 item 4): nothing safe to decide. Once it
 * has been blind for renewDeadline it treats that as a failed check it cannot recover locally (recovery needs the
 * host to answer): it bans itself, says so (event, Ready False HostUnobservable, its node UNKNOWN) and stops
 * renewing the lease without releasing it, so the lease runs out and the next node's safety check probes whether
 * this host still serves (it cannot take its resources down itself; a release would tell the others it stopped).
 */
import { DEFAULT_FAILURE_POLICY } from '../api/defaults.js';
import type { Clock } from '../lib/clock.js';
import type { Note } from '../reconcilers/types.js';
import type { GroupSnapshot } from './decision-input.js';
import { FAILURE_RETRY_FLOOR_MS } from './executor.js';
import type { GroupMemory } from './group-memory.js';
import type { GroupLease } from './lease/group-lease.js';
import { hostUnobservableStatus } from './status/group-status.js';
import { iso } from './status/time.js';
import type { StatusWriter } from './status/writer.js';
import type { Timing } from './timing.js';

export interface BlindDeps {
  node: string;
  clock: Clock;
  record: Note;
  writer: StatusWriter;
}

export interface BlindCycle {
  snap: GroupSnapshot;
  mem: GroupMemory;
  lease: GroupLease;
  timing: Timing;
  /** The cycle's start (monotonic): the blind time counts from the first cycle whose read found no answer. */
  mono: number;
  /** The last driver error, for the operator. */
  error: string;
}

/** Come back when renewDeadline of blindness is over, or give the group up now; `requeueAfterMs` when to look again. */
export async function blindHolder(d: BlindDeps, c: BlindCycle): Promise<{ requeueAfterMs?: number }> {
  const { snap, mem, lease, timing: t } = c;
  mem.unobservedSince ??= c.mono;
  const blindMs = d.clock.monotonic() - mem.unobservedSince;
  if (blindMs < t.renewDeadlineMs)
    return { requeueAfterMs: Math.max(FAILURE_RETRY_FLOOR_MS, Math.min(t.retryMs, t.renewDeadlineMs - blindMs + 1)) };
  const { group } = snap;
  const why = `${d.node} could not observe its own host for ${Math.round(blindMs / 100) / 10} s (renewDeadline ${t.renewDeadlineMs / 1000} s)`;
  const until = d.clock.now() + (group.spec.failurePolicy?.failureExpirySeconds ?? DEFAULT_FAILURE_POLICY.failureExpirySeconds) * 1000;
  const message = `${why}; last error ${c.error}: it stops renewing the lease of ${group.metadata.name} (epoch ${lease.epoch}) so that another node can take over once it expires, after probing whether ${d.node} still serves`;
  await lease.abandon();
  delete mem.unobservedSince;
  mem.served = false;
  await d.record(group, 'Warning', 'HostUnobservable', message).catch(() => undefined);
  // UNKNOWN: it cannot say what its host serves. Ready False in the same write: nobody can tell whether it serves.
  const status = (st: Parameters<typeof hostUnobservableStatus>[0]) =>
    hostUnobservableStatus(st, { node: d.node, why: `${why}; last error ${c.error}`, nowIso: iso(d.clock.now()) });
  const written = await d.writer
    .ownHistory(group, (h) => ({ ...h, bannedUntil: until, banReason: why }), 'UNKNOWN', undefined, status)
    .catch(() => undefined);
  if (written) mem.ownHistory = written;
  return {};
}

/**
 * A standby that cannot see its own host decides nothing (it could not bring the group up safely); once blind for
 * renewDeadline it shows itself UNKNOWN in the group's nodes[] rather than OSU, a healthy standby it may not be.
 * Its first observed cycle writes its real state again.
 */
export async function blindStandby(d: BlindDeps, c: BlindCycle): Promise<{ requeueAfterMs?: number }> {
  const { mem, timing: t } = c;
  mem.unobservedSince ??= c.mono;
  if (mem.blindReported || d.clock.monotonic() - mem.unobservedSince < t.renewDeadlineMs) return {};
  const written = await d.writer.ownHistory(c.snap.group, (h) => h, 'UNKNOWN').catch(() => undefined);
  if (written) mem.blindReported = true;
  return {};
}
