/**
 * The codec of what a FailoverGroup's `status.nodes[]` remembers of each node (bans, local recoveries, a failed
 * deactivation): one parser for the decision input and for the node's own history writes.
 */
import type { FailoverGroup } from '../../api/types.js';
import type { NodeHistory } from '../decision-types.js';
import { iso } from './time.js';

type NodeEntry = NonNullable<NonNullable<FailoverGroup['status']>['nodes']>[number];

export function parseNodeHistory(e: NodeEntry | undefined): NodeHistory {
  const h: NodeHistory = {};
  if (!e) return h;
  if (e.bannedUntil) h.bannedUntil = Date.parse(e.bannedUntil);
  if (typeof e['banCode'] === 'number' && e['banCode'] > 0) h.banCode = e['banCode'];
  if (typeof e['banReason'] === 'string') h.banReason = e['banReason'];
  if (Array.isArray(e['restarts'])) h.restarts = e['restarts'].map((x) => Date.parse(x)).filter((x) => Number.isFinite(x));
  if (e['deactivationFailed'] === true) h.deactivationFailed = true;
  return h;
}

export function parseHistories(status: FailoverGroup['status'] | undefined): Record<string, NodeHistory> {
  const out: Record<string, NodeHistory> = {};
  for (const e of status?.nodes ?? []) out[e.name] = parseNodeHistory(e);
  return out;
}

/** A node's entry with `h` written over its history fields (its state kept). */
export function nodeHistoryEntry(node: string, state: string, h: NodeHistory): { name: string } & Record<string, unknown> {
  const entry: { name: string } & Record<string, unknown> = { name: node, state };
  if (h.bannedUntil !== undefined) entry['bannedUntil'] = iso(h.bannedUntil);
  if (h.banCode !== undefined) entry['banCode'] = h.banCode;
  if (h.banReason !== undefined) entry['banReason'] = h.banReason.slice(0, 1024);
  if (h.restarts?.length) {
    entry['restarts'] = h.restarts.map(iso);
    entry['failures'] = h.restarts.length;
  }
  if (h.deactivationFailed) entry['deactivationFailed'] = true;
  return entry;
}
