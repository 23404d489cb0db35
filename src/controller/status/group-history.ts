/**
 * The group's own history (issue 18 item 2, `winha history`): every failover, switchover, switchback, start, fence
 * and ban, kept in the FailoverGroup's status so that it outlives Event aggregation and TTL. Bounded: the last
 * HISTORY_LIMIT entries. Each is written by the node that did it, in a status write that happens anyway (the
 * takeover's lastFailover, the ban's own history) or in one write per self-fence once the store answers again.
 */
import type { FenceRecord } from './fence-report.js';
import { iso } from './time.js';
import { isOneOf } from '../../lib/one-of.js';

export const HISTORY_LIMIT = 50;
export const HISTORY_KINDS = ['Start', 'Failover', 'Switchover', 'Switchback', 'Fence', 'Ban'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
const REASON_MAX = 1024;

export interface HistoryEntry {
  /** When it began (RFC 3339): the takeover's detection, the fence, the ban. */
  at: string;
  kind: HistoryKind;
  from?: string;
  to?: string;
  reason: string;
  epoch?: number;
  /** How long the group was out of service (takeover: from detection to Ready; fence: until served again). */
  outageSeconds?: number;
}

function same(a: HistoryEntry, b: HistoryEntry): boolean {
  return a.at === b.at && a.kind === b.kind && a.from === b.from && a.to === b.to && a.epoch === b.epoch;
}

/**
 * `prev` with `entries` added, oldest first, at most `limit` kept (the newest). An entry already there (a write
 * retried after an answer that was lost) is not added twice.
 */
export function appendHistory(
  prev: readonly HistoryEntry[] | undefined,
  entries: readonly HistoryEntry[],
  limit = HISTORY_LIMIT,
): HistoryEntry[] {
  const out = [...(prev ?? [])];
  for (const e of entries) {
    if (out.some((x) => same(x, e))) continue;
    out.push(e.reason.length > REASON_MAX ? { ...e, reason: `${e.reason.slice(0, REASON_MAX - 1)}…` } : e);
  }
  // Stable: entries of the same second keep the order they were written in.
  out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return out.slice(Math.max(0, out.length - limit));
}

/** The status' history as written (anything unreadable is dropped: another writer's garbage must not stop ours). */
export function parseHistory(v: unknown): HistoryEntry[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (e): e is HistoryEntry =>
      !!e &&
      typeof e === 'object' &&
      typeof (e as HistoryEntry).at === 'string' &&
      HISTORY_KINDS.includes((e as HistoryEntry).kind) &&
      typeof (e as HistoryEntry).reason === 'string',
  );
}

/** The node the last takeover in `h` brought the group to (undefined: none recorded). */
export function lastServing(h: readonly HistoryEntry[]): string | undefined {
  for (let i = h.length - 1; i >= 0; i--) {
    const e = h[i]!;
    if (e.kind !== 'Fence' && e.kind !== 'Ban' && e.to) return e.to;
  }
  return undefined;
}

/** A takeover that has brought the group into service on `to`. */
export function takeoverEntry(t: {
  kind: string;
  from: string | undefined;
  to: string;
  reason: string;
  epoch: number | undefined;
  detectedAt: number;
  now: number;
}): HistoryEntry {
  const kind: HistoryKind = isOneOf(HISTORY_KINDS, t.kind) ? t.kind : 'Failover';
  return {
    at: iso(t.detectedAt),
    kind,
    ...(t.from && t.from !== t.to ? { from: t.from } : {}),
    to: t.to,
    reason: t.reason,
    ...(t.epoch !== undefined ? { epoch: t.epoch } : {}),
    outageSeconds: Math.max(0, Math.round((t.now - t.detectedAt) / 100) / 10),
  };
}

/** A self-fence of `node`, reported once the store answers again; `holder` holds the group now ('' none). */
export function fenceEntry(f: FenceRecord, node: string, holder: string, renewDeadlineMs: number): HistoryEntry {
  const what = [...f.sites.map((s) => `stopped site ${s}`), ...f.addresses.map((a) => `removed address ${a}`)];
  return {
    at: iso(f.at),
    kind: 'Fence',
    from: node,
    ...(holder && holder !== node ? { to: holder } : {}),
    reason: `lease not renewed within renewDeadline (${renewDeadlineMs / 1000} s)${what.length ? `; ${what.join(', ')}` : ''}`,
    ...(f.epoch !== undefined ? { epoch: f.epoch } : {}),
    ...(f.servedAgainAt !== undefined ? { outageSeconds: Math.max(0, Math.round((f.servedAgainAt - f.at) / 100) / 10) } : {}),
  };
}

/** A ban of `node` (it may not run the group until `a.until`); epoch 0 is no lease yet. */
export function banEntry(node: string, a: { until: number; code: number; reason: string }, epoch: number, now: number): HistoryEntry {
  return {
    at: iso(now),
    kind: 'Ban',
    from: node,
    reason: `${a.code ? `[${a.code}] ` : ''}${a.reason} (until ${iso(a.until)})`,
    ...(epoch ? { epoch } : {}),
  };
}
