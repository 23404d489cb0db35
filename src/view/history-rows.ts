/** The failover history of groups as rows (`winha history`, the dashboard's timeline): pure, shared by CLI and agent. */
import type { StoredObject } from '../store/types.js';
import { parseHistory, type HistoryEntry } from '../controller/status/group-history.js';

export interface HistoryRow extends HistoryEntry {
  group: string;
  namespace: string;
}

/** The history of `groups`, merged oldest first (a group's own order kept for entries of the same second). */
export function historyRows(groups: readonly StoredObject[]): HistoryRow[] {
  const rows = groups.flatMap((g) =>
    parseHistory((g.status as { history?: unknown } | undefined)?.history).map((e) => ({
      group: g.metadata.name,
      namespace: g.metadata.namespace ?? 'default',
      ...e,
    })),
  );
  return rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
