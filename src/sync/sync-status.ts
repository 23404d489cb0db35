/**
 * The Sync object's status after each pass, and the events that go with it, as pure functions of the pass result
 * (golden-tested in test/sync/sync-status.test.ts).
 */
import type { SyncStatus } from '../api/types.js';
import type { EventInput } from '../controller/event-recorder.js';
import type { Revision } from './source.js';
import type { PassResult } from './pass.js';
import type { DriftEntry, ObjectId } from './drift.js';
import { shortRevision } from '../lib/revision.js';

export { shortRevision };

/** Drift entries kept in status, and how many of them keep their diff: the Sync object must fit one store write. */
export const DRIFT_LIMIT = 100;
export const DRIFT_DIFF_LIMIT = 20;

function keptDrift(drift: readonly DriftEntry[]): DriftEntry[] {
  return drift.slice(0, DRIFT_LIMIT).map((d, i) => {
    if (i < DRIFT_DIFF_LIMIT) return d;
    const { diff: _omitted, ...rest } = d;
    void _omitted;
    return rest;
  });
}

export type Attempt =
  | { kind: 'applying'; revision: Revision }
  | { kind: 'pass'; revision: Revision; result: PassResult }
  | { kind: 'failed'; revision?: Revision; code: string; message: string };

function ready(status: 'True' | 'False', reason: string, message: string, now: string, before: SyncStatus) {
  const old = before.conditions?.find((c) => c.type === 'Ready');
  const since = old && old.status === status ? old.lastTransitionTime : now;
  return [{ type: 'Ready', status, reason, message, ...(since ? { lastTransitionTime: since } : {}) }];
}

/** The status after an attempt (pure: `before` is not changed). */
export function nextStatus(before: SyncStatus, attempt: Attempt, syncer: string, now: string): SyncStatus {
  const s: SyncStatus = { ...before, syncer };
  if (attempt.kind === 'applying') {
    return { ...s, phase: 'Applying', revision: attempt.revision.revision, ...subject(attempt.revision) };
  }
  const failures = (before.consecutiveFailures ?? 0) + 1;
  if (attempt.kind === 'failed') {
    return {
      ...s,
      phase: 'Failed',
      ...(attempt.revision ? { revision: attempt.revision.revision, ...subject(attempt.revision) } : {}),
      lastAttemptTime: now,
      consecutiveFailures: failures,
      message: withCode(attempt.code, attempt.message),
      conditions: ready('False', 'SyncFailed', attempt.message, now, before),
    };
  }
  const r = attempt.result;
  const rev = attempt.revision;
  if (r.outcome === 'Refused') {
    return {
      ...s,
      phase: 'Refused',
      revision: rev.revision,
      ...subject(rev),
      lastAttemptTime: now,
      consecutiveFailures: failures,
      problems: r.problems,
      message: `revision ${shortRevision(rev.revision)} refused: ${r.message}`,
      conditions: ready('False', 'Refused', r.message, now, before),
    };
  }
  const { problems: _dropped, ...rest } = s;
  void _dropped;
  return {
    ...rest,
    phase: 'Synced',
    revision: rev.revision,
    ...subject(rev),
    lastAttemptTime: now,
    lastAppliedRevision: rev.revision,
    lastSuccessTime: now,
    applied: r.applied,
    unchanged: r.unchanged,
    pruned: r.pruned,
    consecutiveFailures: 0,
    message: `revision ${shortRevision(rev.revision)}: ${r.message}`,
    drift: keptDrift(r.drift),
    inventory: r.inventory,
    conditions: ready('True', 'Synced', `the store equals revision ${shortRevision(rev.revision)}`, now, before),
  };
}

/** The message with its code in brackets once (source errors already end with it). */
function withCode(code: string, message: string): string {
  return message.includes(`[${code}]`) ? message : `${message} [${code}]`;
}

function subject(r: Revision): { subject?: string } {
  return r.subject ? { subject: r.subject } : {};
}

/** Problems as one line each (`file:line:column: code: message`), for events and the console. */
export function problemLines(
  problems: readonly { code: string; message: string; file?: string; line?: number; column?: number }[],
): string[] {
  return problems.map((p) => `${p.file ? `${p.file}:${p.line ?? 0}:${p.column ?? 0}: ` : ''}${p.code}: ${p.message}`);
}

/**
 * The events of an attempt. SyncSucceeded only when something happened (objects written or pruned, a new revision,
 * or recovery after failures): a quiet repository does not write an event every interval.
 */
export function attemptEvents(before: SyncStatus, attempt: Attempt, sync: ObjectId): EventInput[] {
  if (attempt.kind === 'applying') return [];
  if (attempt.kind === 'failed')
    return [{ involved: sync, type: 'Warning', reason: 'SyncFailed', message: withCode(attempt.code, attempt.message) }];
  const r = attempt.result;
  const rev = shortRevision(attempt.revision.revision);
  if (r.outcome === 'Refused') {
    const lines = problemLines(r.problems);
    const shown = lines.slice(0, 3).join('; ');
    const more = lines.length > 3 ? `; and ${lines.length - 3} more (winha describe sync ${sync.name})` : '';
    return [
      {
        involved: sync,
        type: 'Warning',
        reason: 'SyncRefused',
        message: `revision ${rev} refused, nothing applied (the store keeps ${before.lastAppliedRevision ? shortRevision(before.lastAppliedRevision) : 'what it had'}): ${shown}${more}`,
      },
    ];
  }
  const out: EventInput[] = [];
  for (const d of r.drift) {
    const what = d.change === 'Deleted' ? 'deleted from the store' : 'changed in the store';
    out.push({
      involved: { kind: d.kind, namespace: d.namespace, name: d.name },
      type: 'Warning',
      reason: d.corrected ? 'DriftCorrected' : 'DriftFound',
      message: `${what} outside winha sync ${sync.name} (the repository did not change it): ${d.corrected ? `revision ${rev} written back` : 'left as it is (--no-correct)'}`,
    });
  }
  const changed =
    r.applied + r.pruned > 0 || before.lastAppliedRevision !== attempt.revision.revision || (before.consecutiveFailures ?? 0) > 0;
  if (changed)
    out.push({
      involved: sync,
      type: 'Normal',
      reason: 'SyncSucceeded',
      message: `revision ${rev}${attempt.revision.subject ? ` (${attempt.revision.subject})` : ''}: ${r.message}`,
    });
  return out;
}
