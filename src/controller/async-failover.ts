/**
 * Asynchronous mirrors (issue 13 item 7; docs/spec/seed003-datakeeper.md §2.5, §9 rule 4, §10.4 "Failover"):
 * a target of an asynchronous mirror can be Mirroring while writes wait in the source's queue. Promoting it
 * after the source is lost loses that queued tail; promoting it while the source answers does not (DataKeeper
 * flushes the queue at the switchover). The Mirror's `asyncFailover` decides whether the automatic promotion
 * happens (Allow, the default: LifeKeeper fails async mirrors over too) or waits for `--force` (Refuse);
 * either way the promotion says that it is asynchronous and how many writes may be lost. Pure.
 */
import { DEFAULT_ASYNC_FAILOVER } from '../api/defaults.js';
import type { DecisionInput, MirrorView } from './decision-types.js';

/** A promotion that may lose the writes still queued on the lost source `source`. */
export interface AsyncRisk {
  source: string;
  /** Writes queued for this target when the source's agent last recorded the mirror (absent: unknown). */
  queuedWrites?: number;
  /** An operator's `winha switchover --force` asked for it. */
  forced?: true;
}

/**
 * Whether the source of `m` is lost as far as this node can tell: its node lease expired, or it held the group
 * lease and let it expire (crash, stopped agent, cut from the store) rather than release it.
 */
export function sourceLost(input: DecisionInput, source: string): boolean {
  if (source === input.self) return false;
  if (input.lease.holder === source && input.lease.expired) return true;
  return !(input.nodes[source]?.alive ?? false);
}

/** The risk of promoting `node`'s copy of `m` now; undefined when nothing queued can be lost. */
export function asyncRisk(input: DecisionInput, m: MirrorView, node: string): AsyncRisk | undefined {
  if (m.mode !== 'Asynchronous' || m.source === undefined || m.source === node) return undefined;
  if (!sourceLost(input, m.source)) return undefined;
  // Only the source's own record counts (as for the gate): another node's record of the queue is not the source's.
  const q = m.recordedBy === m.source ? m.queuedWrites?.[node] : undefined;
  return { source: m.source, ...(q !== undefined ? { queuedWrites: q } : {}) };
}

/** "12 writes", "no write" or "an unknown number of writes" still queued on the source, as last recorded. */
export function queuedText(r: AsyncRisk): string {
  if (r.queuedWrites === undefined) return `an unknown number of writes`;
  if (r.queuedWrites === 0) return `the writes accepted since ${r.source} last recorded an empty queue`;
  return `${r.queuedWrites} write${r.queuedWrites === 1 ? '' : 's'} queued on ${r.source} when it last recorded the mirror, and any accepted since,`;
}

/** The Warning message of a promotion of an asynchronous target whose source is lost. */
export function asyncPromotionMessage(node: string, volume: string, r: AsyncRisk): string {
  const how = r.forced ? 'by operator force' : 'automatically (asyncFailover: Allow)';
  return `${node} became source of ${volume}: ${how}; the mirror is asynchronous and its source ${r.source} is lost: ${queuedText(r)} may be lost`;
}

export interface AsyncRefusal {
  reason: 'AsyncFailoverRefused';
  message: string;
}

/** Refuse: an automatic promotion of `node`'s copy of `m` over a lost asynchronous source waits for --force. */
export function asyncRefusal(input: DecisionInput, m: MirrorView, node: string): AsyncRefusal | undefined {
  if ((m.asyncFailover ?? DEFAULT_ASYNC_FAILOVER) !== 'Refuse') return undefined;
  const r = asyncRisk(input, m, node);
  if (!r) return undefined;
  return {
    reason: 'AsyncFailoverRefused',
    message: `${node}'s copy of ${m.volume}: is an asynchronous target and its source ${r.source} is lost: ${queuedText(r)} would be lost, and Mirror ${m.name} has asyncFailover: Refuse; winha switchover ${input.group.name} --to ${node} --force promotes it accepting that loss`,
  };
}

/** The first of the group's mirrors whose policy refuses promoting `node` automatically. */
export function asyncFailoverGate(input: DecisionInput, node: string): AsyncRefusal | undefined {
  for (const m of input.mirrors) {
    const r = asyncRefusal(input, m, node);
    if (r) return r;
  }
  return undefined;
}
