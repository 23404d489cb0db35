/** The node leases of every node the given Clusters declare, read at once, keyed as the status view looks them up. */
import { declaredNodes } from '../api/cluster-membership.js';
import { readNodeLease } from '../controller/lease/node-liveness.js';
import type { LeaseRecord, LeaseStore, StoredObject } from '../store/types.js';
import { nodeLeaseKey } from './status-view.js';

/** A node without a lease has no entry; a failed read fails the whole (the caller keeps what it had or reports). */
export async function readNodeLeases(leases: LeaseStore, clusters: readonly StoredObject[]): Promise<Map<string, LeaseRecord>> {
  const nodes = clusters.flatMap((c) => declaredNodes(c).map((node) => ({ c, node })));
  const read = await Promise.all(nodes.map(({ c, node }) => readNodeLease(leases, c.metadata, node)));
  const out = new Map<string, LeaseRecord>();
  nodes.forEach(({ c, node }, i) => {
    const l = read[i];
    if (l) out.set(nodeLeaseKey(c.metadata.namespace, c.metadata.name, node), l);
  });
  return out;
}
