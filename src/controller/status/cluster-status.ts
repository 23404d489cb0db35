/** Cluster `status.nodes[]` as a pure mutation: Alive/Dead from node leases, as one observer sees them. */
import { upsertByName } from '../../store/status-update.js';

type Status = Record<string, unknown>;

export function clusterNodesStatus(st: Status, states: Record<string, 'Alive' | 'Dead'>): Status {
  let nodes = st['nodes'] as { name: string; state?: string }[] | undefined;
  for (const [name, state] of Object.entries(states)) {
    const cur = nodes?.find((n) => n.name === name);
    nodes = upsertByName(nodes, { ...(cur ?? {}), name, state });
  }
  return { ...st, nodes };
}
