/**
 * Operator requests, kept in annotations so `winha apply`'s three-way merge
 * leaves them alone (it only touches keys it applied itself):
 *
 *   winha.io/switchover          on a FailoverGroup: {"id","to","force","requestedAt"} (JSON).
 *                                Agents act on it and delete it when done or
 *                                refused; it never outlives the move (no
 *                                lingering constraint, unlike Pacemaker's cli-prefer).
 *   winha.io/maintenance         "true" on a Cluster or FailoverGroup (same effect as spec.maintenance).
 *   winha.io/maintenance-nodes   on a Cluster: comma-separated node names in maintenance.
 *
 * Bad values are ignored (never crash an agent): a malformed switchover
 * request is treated as absent.
 */
import { ANNOTATIONS } from '../api/annotations.js';
import type { Cluster, FailoverGroup } from '../api/types.js';
import type { SwitchoverRequest } from './decision-types.js';

export { ANNOTATIONS };

export function parseSwitchoverRequest(group: Pick<FailoverGroup, 'metadata'>): SwitchoverRequest | undefined {
  const raw = group.metadata.annotations?.[ANNOTATIONS.switchover];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v['to'] !== 'string' || !v['to'] || typeof v['id'] !== 'string') return undefined;
    return { id: v['id'], to: v['to'], force: v['force'] === true };
  } catch {
    return undefined;
  }
}

/** A Cluster or group in maintenance as a whole: its spec says so, or `winha maintenance on` annotated it. */
export function inMaintenance(o: { metadata: { annotations?: Record<string, string> }; spec?: unknown } | undefined): boolean {
  return (
    (o?.spec as { maintenance?: unknown } | undefined)?.maintenance === true ||
    o?.metadata.annotations?.[ANNOTATIONS.maintenance] === 'true'
  );
}

export function nodesInMaintenance(cluster: Cluster | undefined): Set<string> {
  const out = new Set<string>();
  for (const n of cluster?.spec?.nodes ?? []) if (n.maintenance) out.add(n.name);
  const ann = cluster?.metadata.annotations?.[ANNOTATIONS.maintenanceNodes] ?? '';
  for (const n of ann
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean))
    out.add(n);
  return out;
}
