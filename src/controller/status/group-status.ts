/**
 * A FailoverGroup's status as a pure mutation of what the store holds: this node's entry in LifeKeeper's state
 * vocabulary, and, from the node that reports for the group (the holder, or with no holder the best-ranked live
 * member), activeNode, epoch, phase, conditions and the last failover.
 */
import type { FailoverGroup } from '../../api/types.js';
import type { Decision, DecisionInput } from '../decision-types.js';
import { mergeConditions, upsertByName } from '../../store/status-update.js';
import { isServing } from './serving.js';
import { appendHistory, lastServing, parseHistory, takeoverEntry } from './group-history.js';

type GroupStatus = NonNullable<FailoverGroup['status']>;

/** What the holder remembers of the takeover in progress, for `lastFailover`. */
export interface Takeover {
  node: string;
  /** Epoch ms. */
  detectedAt: number;
  reason: string;
  /** The acquiring decision's reason, in a sentence (for the group's history). */
  why?: string;
}

export interface GroupStatusFacts {
  node: string;
  decision: Decision;
  input: DecisionInput;
  /** The epoch this node holds (undefined: none). */
  heldEpoch: number | undefined;
  takeover: Takeover | undefined;
  /** Epoch ms. */
  now: number;
  nowIso: string;
}

/** LifeKeeper's word for this node: ISP serving, ISU holding, OSF out after a failure here, OSU out otherwise. */
export function lifeKeeperState(f: Pick<GroupStatusFacts, 'node' | 'decision' | 'input' | 'heldEpoch'>): 'ISP' | 'ISU' | 'OSF' | 'OSU' {
  const holds = f.heldEpoch !== undefined;
  if (holds && isServing(f.decision)) return 'ISP';
  if (holds) return 'ISU';
  const local = f.input.local;
  const failedHere = !!(local.activationFailed || local.recoveryFailed) || (f.input.history[f.node]?.bannedUntil ?? 0) > f.input.now;
  return failedHere ? 'OSF' : 'OSU';
}

export function groupPhase(d: Decision, input: DecisionInput, holds: boolean): string {
  if (input.group.desiredState === 'OutOfService') return 'OutOfService';
  if (holds && isServing(d)) return 'InService';
  if (holds && d.blocked) return 'Blocked';
  if (d.role === 'candidate' || (holds && d.role === 'active')) return 'Activating';
  if (d.role === 'releasing' || d.role === 'fencing') return 'Deactivating';
  const isTrue = (type: string) => d.conditions.some((c) => c.type === type && c.status === 'True');
  if (isTrue('Failed')) return 'Failed';
  if (isTrue('PromotionBlocked')) return 'Blocked';
  return 'Pending';
}

/** The members other than `self` that cannot speak (node lease expired, cut from the store): shown UNKNOWN. */
export function silentMembers(input: DecisionInput, self: string): string[] {
  return input.group.nodes.map((n) => n.name).filter((n) => n !== self && input.nodes[n]?.alive === false);
}

/** The next status, and whether it consumed the takeover (lastFailover written). */
export function groupStatus(
  st: GroupStatus,
  obj: { metadata: { generation?: number } },
  f: GroupStatusFacts,
): { status: GroupStatus; tookOver: boolean } {
  const { decision, input, node } = f;
  const holds = f.heldEpoch !== undefined;
  const next = { ...st };
  const cur = st.nodes?.find((n) => n.name === node);
  const state = lifeKeeperState(f);
  next.nodes = upsertByName(
    st.nodes as { name: string }[] | undefined,
    { ...(cur ?? {}), name: node, state } as { name: string },
  ) as GroupStatus['nodes'];
  let tookOver = false;
  if (decision.reportsStatus && (holds || input.lease.holder === '' || input.lease.expired)) {
    // A member that cannot speak (node lease expired, cut from the store) is UNKNOWN, never its last own word.
    for (const n of silentMembers(input, node)) {
      const last = next.nodes?.find((e) => e.name === n);
      next.nodes = upsertByName(
        next.nodes as { name: string }[] | undefined,
        { ...(last ?? {}), name: n, state: 'UNKNOWN' } as { name: string },
      ) as GroupStatus['nodes'];
    }
    const generation = obj.metadata.generation;
    if (generation !== undefined) next.observedGeneration = generation;
    if (holds) {
      next.activeNode = node;
      next.epoch = f.heldEpoch!;
    } else if (decision.role !== 'paused') {
      delete next.activeNode;
    }
    next.phase = groupPhase(decision, input, holds) as GroupStatus['phase'];
    const conditions = decision.conditions.map((c) => ({ ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}) }));
    next.conditions = mergeConditions(st.conditions, conditions, f.nowIso);
    if (holds && isServing(decision) && f.takeover) {
      const from = f.takeover;
      next.lastFailover = {
        ...(from.node && from.node !== node ? { from: from.node } : {}),
        to: node,
        reason: from.reason,
        message: decision.reason,
        time: f.nowIso,
        durationSeconds: Math.max(0, (f.now - from.detectedAt) / 1000),
      };
      // Same write: the history entry of this takeover (issue 18 item 2).
      // A switchover starts from a released lease: the node it left is the last one the history saw take over.
      const prior = parseHistory(st.history);
      const entry = takeoverEntry({
        kind: from.reason,
        from: from.node || lastServing(prior),
        to: node,
        reason: from.why ?? decision.reason,
        epoch: f.heldEpoch,
        detectedAt: from.detectedAt,
        now: f.now,
      });
      next.history = appendHistory(prior, [entry]);
      tookOver = true;
    }
  }
  return { status: next, tookOver };
}

/**
 * The status a holder writes when it gives its group up because its own host does not answer (issue 18 item 4):
 * not Ready, with the reason, whatever its last steady cycle said. activeNode stays: the host may still serve
 * (the next node's safety check finds out); the group is on its way out of this node.
 */
export function hostUnobservableStatus(st: GroupStatus, f: { node: string; why: string; nowIso: string }): GroupStatus {
  const ready = {
    type: 'Ready',
    status: 'False',
    reason: 'HostUnobservable',
    message: `${f.why}: nobody can tell whether ${f.node} still serves; ${f.node} gives the group up`,
  } as const;
  const others = (st.conditions ?? []).filter((c) => c.type !== 'Ready');
  const conditions = mergeConditions(st.conditions, [{ ...ready }, ...others], f.nowIso) as GroupStatus['conditions'];
  return { ...st, phase: 'Deactivating', conditions };
}
