/**
 * Which Cluster a FailoverGroup belongs to and which nodes a Cluster declares, read from objects as stored (the
 * agent, `winha status` and the dashboard must agree on both).
 */

interface Named {
  metadata: { namespace?: string; name: string };
  spec?: unknown;
}

/** The node names a Cluster declares (entries without a name are skipped: validation reports them). */
export function declaredNodes(cluster: { spec?: unknown }): string[] {
  const nodes = (cluster.spec as { nodes?: { name?: unknown }[] } | undefined)?.nodes ?? [];
  return nodes.map((n) => n.name).filter((n): n is string => typeof n === 'string');
}

/** The Cluster of a group: the one its spec.cluster names, else the only one of its namespace (none when several). */
export function clusterOfGroup<C extends Named>(group: Named, clusters: readonly C[]): C | undefined {
  const ns = group.metadata.namespace ?? 'default';
  const inNs = clusters.filter((c) => (c.metadata.namespace ?? 'default') === ns);
  const named = (group.spec as { cluster?: unknown } | undefined)?.cluster;
  if (typeof named === 'string' && named !== '') return inNs.find((c) => c.metadata.name === named);
  return inNs.length === 1 ? inNs[0] : undefined;
}
