/**
 * Candidacy and ranks (design §4): who may run a group, and in which order.
 * A node campaigns only if it is a member, alive, not in maintenance, not
 * banned, not blocked by its own failed deactivation, and passes the mirror
 * gate; lower priority numbers rank first.
 */
import type { DecisionInput } from './decision-types.js';
import { groupMirrorGate, type GateRefusal } from './mirror-gate.js';
import { asyncFailoverGate } from './async-failover.js';

export interface Ineligibility {
  node: string;
  why: string;
  /** Set when the mirror gate is the (only) obstacle. */
  gate?: GateRefusal | 'AsyncFailoverRefused';
  /** The kit code of the failure behind it (a ban), for the condition that reports it. */
  code?: number;
}

export function membersByPriority(input: DecisionInput): { name: string; priority: number }[] {
  return [...input.group.nodes].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
}

export function isAlive(input: DecisionInput, node: string): boolean {
  return node === input.self || (input.nodes[node]?.alive ?? false);
}

export function bannedUntil(input: DecisionInput, node: string): number | undefined {
  const until = input.history[node]?.bannedUntil;
  return until !== undefined && until > input.now ? until : undefined;
}

/** Why `node` may not take the group now (undefined: it may). `forced` skips the mirror gate and the ban. */
export function ineligibility(input: DecisionInput, node: string, forced: boolean): Ineligibility | undefined {
  if (!input.group.nodes.some((n) => n.name === node)) return { node, why: `${node} is not a node of ${input.group.name}` };
  if (!isAlive(input, node)) return { node, why: `${node} is down (its node lease expired)` };
  if (input.nodes[node]?.maintenance) return { node, why: `${node} is in maintenance` };
  const ban = bannedUntil(input, node);
  if (ban !== undefined && !forced) {
    const h = input.history[node];
    const cause = h?.banCode !== undefined ? ` (${h.banCode})` : '';
    return {
      node,
      why: `${node} is banned until ${clockTime(ban)} after a failure${cause} (winha clear lifts it)`,
      ...(h?.banCode ? { code: h.banCode } : {}),
    };
  }
  if (!forced) {
    const gate = groupMirrorGate(input.mirrors, node);
    if (!gate.ok) return { node, why: gate.message, gate: gate.reason };
    const refusal = asyncFailoverGate(input, node);
    if (refusal) return { node, why: refusal.message, gate: refusal.reason };
  }
  return undefined;
}

/** Another live node whose deactivation failed: nobody may activate until its lease expires (design §4 Ordering). */
export function blockingDeactivation(input: DecisionInput): string | undefined {
  for (const n of membersByPriority(input)) {
    if (n.name !== input.self && input.history[n.name]?.deactivationFailed && isAlive(input, n.name)) return n.name;
  }
  return undefined;
}

/** HH:MM:SS UTC, for reason sentences. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * With no live holder, the one node that writes the group status: the best-ranked live member not in maintenance
 * and not banned (a node that banned itself may be one whose host does not answer it, and then decides nothing),
 * else the best-ranked live one.
 */
export function reporterWithoutHolder(input: DecisionInput): string | undefined {
  const live = membersByPriority(input).filter((n) => isAlive(input, n.name) && !input.nodes[n.name]?.maintenance);
  return (live.find((n) => bannedUntil(input, n.name) === undefined) ?? live[0])?.name;
}

/** The best-ranked live member not in maintenance. */
export function firstAlive(input: DecisionInput): string | undefined {
  return membersByPriority(input).find((n) => isAlive(input, n.name) && !input.nodes[n.name]?.maintenance)?.name;
}
