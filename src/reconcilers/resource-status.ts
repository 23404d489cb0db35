/**
 * Per-resource status (design §2) as pure mutations: each node writes its own entry in `nodes[]` of a VirtualIP
 * or IISSite; the group's holder writes `activeNode` and the Ready condition (with no holder, the group's
 * reporting node clears them). Only observed facts go in, no timestamps that move by themselves, so a steady
 * cluster writes nothing (C7).
 */
import { mergeConditions, upsertByName } from '../store/status-update.js';

export type Status = Record<string, unknown>;

/** Who this node is for the group right now, as far as resource status goes. */
export type Ownership = { kind: 'holder' } | { kind: 'reporterWithoutHolder' } | { kind: 'other' };

export interface ReadyCondition {
  type: 'Ready';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** This node's own entry in `nodes[]`. */
export function withNodeEntry(st: Status, entry: { name: string } & Record<string, unknown>): Status {
  return { ...st, nodes: upsertByName(st['nodes'] as { name: string }[] | undefined, entry) };
}

/** activeNode and Ready, written only by the holder (or, with no holder, the reporting node). */
export function withOwnership(st: Status, node: string, own: Ownership, ready: ReadyCondition, nowIso: string): Status {
  const next = { ...st };
  if (own.kind === 'holder') next['activeNode'] = node;
  else if (own.kind === 'reporterWithoutHolder') delete next['activeNode'];
  else return next;
  const old = st['conditions'] as { type: string; status: string; lastTransitionTime?: string }[] | undefined;
  const others = (old ?? []).filter((c) => c.type !== 'Ready');
  next['conditions'] = [...mergeConditions(old, [ready], nowIso), ...others];
  return next;
}

/** The entry of a node that cannot speak: its last report stays, its state becomes Unknown (it may have changed). */
export function withUnknownNode(st: Status, node: string, field: 'state' | 'addressState'): Status {
  const last = (st['nodes'] as ({ name: string } & Record<string, unknown>)[] | undefined)?.find((e) => e.name === node);
  if (!last) return st;
  return withNodeEntry(st, { ...last, [field]: 'Unknown' });
}
