/**
 * Which Clusters declare which nodes: the rails that stop an operator (or an
 * agent) from naming a node no Cluster knows (issue 18 item 4). A typo in
 * `--node` would otherwise be written to the store, or start an agent that
 * holds nothing, and fail silently.
 */
import type { ObjectStore } from '../store/index.js';
import { UsageError } from './io.js';
import { declaredNodes } from '../api/cluster-membership.js';

export interface ClusterNodes {
  namespace: string;
  name: string;
  nodes: string[];
}

/** Every Cluster (of one namespace, or all) with its node names. */
export async function clusterNodes(objects: ObjectStore, namespace?: string): Promise<ClusterNodes[]> {
  const { items } = await objects.list('Cluster', namespace === undefined ? {} : { namespace });
  return items.map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name, nodes: declaredNodes(c) }));
}

/** Refuse (usage error) a node that no Cluster in the namespace declares, listing the nodes that are. */
export async function requireClusterNode(objects: ObjectStore, namespace: string, node: string): Promise<void> {
  const clusters = await clusterNodes(objects, namespace);
  if (clusters.some((c) => c.nodes.includes(node))) return;
  const known = [...new Set(clusters.flatMap((c) => c.nodes))].sort();
  throw new UsageError(
    `no Cluster in namespace ${namespace} has a node named ${node} ` +
      (known.length ? `(nodes: ${known.join(', ')})` : '(there is no Cluster in that namespace: winha apply -f it first)'),
  );
}

const ref = (c: ClusterNodes) => `${c.namespace}/${c.name}`;

/**
 * The Cluster an agent for `node` belongs to: the one named by `cluster` (NAME or NAMESPACE/NAME), else the only
 * Cluster declaring the node. Refused when none does, when the named one does not, or when several do.
 */
export function agentCluster(all: readonly ClusterNodes[], node: string, cluster?: string): ClusterNodes {
  if (cluster !== undefined) {
    const [ns, name] = cluster.includes('/') ? cluster.split('/', 2) : [undefined, cluster];
    const named = all.filter((c) => c.name === name && (ns === undefined || c.namespace === ns));
    if (named.length === 0)
      throw new UsageError(`--cluster ${cluster}: no such Cluster in the store (Clusters: ${all.map(ref).join(', ') || 'none'})`);
    if (named.length > 1)
      throw new UsageError(
        `--cluster ${cluster}: Clusters of that name in several namespaces (${named.map(ref).join(', ')}): give NAMESPACE/NAME`,
      );
    const c = named[0]!;
    if (!c.nodes.includes(node))
      throw new UsageError(`--node ${node}: Cluster ${ref(c)} has no node named ${node} (nodes: ${c.nodes.join(', ')})`);
    return c;
  }
  const holding = all.filter((c) => c.nodes.includes(node));
  if (holding.length === 1) return holding[0]!;
  if (holding.length > 1)
    throw new UsageError(
      `--node ${node}: several Clusters name this node (${holding.map(ref).join(', ')}): choose one with --cluster NAME`,
    );
  const known = [...new Set(all.flatMap((c) => c.nodes))].sort();
  throw new UsageError(
    `--node ${node}: no Cluster in the store has a node named ${node} ` +
      (known.length ? `(nodes: ${known.join(', ')})` : '(the store holds no Cluster: winha apply -f the manifests first)'),
  );
}
