/**
 * The mirror gate (design §4; docs/spec/seed003-datakeeper.md §9 rule 1, §10.4 "Failover", §10.6
 * invariant 2): data safety beats priority. A node may become mirror source
 * only if it is the current source, or a target whose mirror was Mirroring as
 * the current source last recorded it. Otherwise only `winha switchover --force`
 * may promote it. Split brain blocks everybody.
 */
import { mirrorStateOf } from '../api/mirror-states.js';
import type { MirrorView } from './decision-types.js';

export function mirrorStateName(state: number | undefined): string {
  if (state === undefined) return 'unknown';
  return `${mirrorStateOf(state) ?? 'Unknown'} (${state})`;
}

/** Why the gate refuses: SourceUnsupervised when the recorded source served on past its lease with nobody recording. */
export type GateRefusal = 'MirrorNotInSync' | 'SplitBrain' | 'SourceUnsupervised';

export type GateResult = { ok: true } | { ok: false; reason: GateRefusal; message: string };

export function isSplitBrain(m: MirrorView): boolean {
  return new Set(m.claimedSources).size > 1;
}

/** Whether `node` may become (or stay) source of mirror `m` without force. */
export function mirrorGate(m: MirrorView, node: string): GateResult {
  if (isSplitBrain(m)) {
    const who = [...new Set(m.claimedSources)].sort().join(' and ');
    return { ok: false, reason: 'SplitBrain', message: `mirror ${m.volume}: is source on ${who} (split brain)` };
  }
  if (m.source === undefined || m.source === node) return { ok: true };
  if (m.recordedBy !== m.source) {
    return {
      ok: false,
      reason: 'MirrorNotInSync',
      message: `the state of ${node}'s copy of ${m.volume}: since ${m.source} became source is unknown`,
    };
  }
  // The record says Mirroring, but the source went on serving after its agent could no longer record (its lease
  // had expired): a replication pause since then would not show (fuzz finding 650). Only its agent's next record,
  // or an operator's --force, settles it.
  if (m.unsupervisedBy !== undefined && m.unsupervisedBy === m.source) {
    return {
      ok: false,
      reason: 'SourceUnsupervised',
      message: `${m.source} went on serving after its lease expired, with no agent recording ${m.volume}:, so the state of ${node}'s copy is unknown until ${m.source}'s agent records it again (or winha switchover --force)`,
    };
  }
  const st = m.targets[node];
  if (st === 1) return { ok: true };
  return { ok: false, reason: 'MirrorNotInSync', message: `${node}'s mirror ${m.volume}: was ${mirrorStateName(st)}, not Mirroring` };
}

/** The gate over every mirror of a group: the first refusal, or ok. */
export function groupMirrorGate(mirrors: readonly MirrorView[], node: string): GateResult {
  for (const m of mirrors) {
    const r = mirrorGate(m, node);
    if (!r.ok) return r;
  }
  return { ok: true };
}
