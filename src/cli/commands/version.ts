/**
 * `winha version [--store URL] [-o json]`: this client's version and, when a store is chosen (--store or
 * $WINHA_STORE), the version each node's agent recorded in its node lease (issue 18 item 4). A store that does
 * not exist is refused, never created; one that does not answer leaves the client's version printed and exits 1.
 */
import { SystemClock } from '../../lib/clock.js';
import { readNodeLease } from '../../controller/agent.js';
import type { Store } from '../../store/types.js';
import { clusterNodes } from '../cluster-nodes.js';
import { EXIT, winhaVersion, type CliIO } from '../io.js';
import { connect, requireExistingStore, type StoreFlags } from '../store.js';
import { age, renderTable } from '../table.js';

export interface VersionFlags extends StoreFlags {
  output?: 'text' | 'json';
}

export interface AgentVersion {
  node: string;
  /** NAMESPACE/NAME of the Cluster naming the node (one: each Cluster's node has its own lease and row). */
  clusters: string[];
  /** null: the node lease does not say (an agent older than this field), or there is no node lease. */
  version: string | null;
  /** The node lease's last renewal (null: no agent ever ran for this node on this store). */
  renewTime: string | null;
}

/**
 * Each declared node's agent version, from its node lease in its Cluster, sorted by node name then Cluster: two
 * Clusters naming a node `node1` name two machines, each with its own lease (one row each).
 */
export async function agentVersions(store: Store): Promise<AgentVersion[]> {
  const rows = (await clusterNodes(store.objects)).flatMap((c) => c.nodes.map((node) => ({ c, node })));
  rows.sort((a, b) => a.node.localeCompare(b.node) || `${a.c.namespace}/${a.c.name}`.localeCompare(`${b.c.namespace}/${b.c.name}`));
  const out: AgentVersion[] = [];
  for (const { c, node } of rows) {
    const lease = await readNodeLease(store.leases, c, node);
    out.push({ node, clusters: [`${c.namespace}/${c.name}`], version: lease?.holderVersion ?? null, renewTime: lease?.renewTime ?? null });
  }
  return out;
}

export async function runVersion(flags: VersionFlags, io: CliIO): Promise<number> {
  const client = winhaVersion();
  const json = flags.output === 'json';
  const chosen = !!(flags.store?.trim() || io.env['WINHA_STORE']?.trim());
  if (!chosen) {
    io.stdout.write(json ? `${JSON.stringify({ clientVersion: client }, null, 2)}\n` : `Client Version: ${client}\n`);
    return EXIT.OK;
  }
  requireExistingStore(flags, io);
  if (!json) io.stdout.write(`Client Version: ${client}\n`);
  let agents: AgentVersion[];
  let url: string;
  try {
    const store = await connect(flags, io);
    url = store.url;
    try {
      agents = await agentVersions(store);
    } finally {
      await store.close();
    }
  } catch (err) {
    if (json) io.stdout.write(`${JSON.stringify({ clientVersion: client }, null, 2)}\n`);
    io.stderr.write(
      `winha: agent versions: cannot read the store: ${err instanceof Error ? err.message : String(err)} [version-store-unreachable]\n`,
    );
    return EXIT.FAILED;
  }
  if (json) {
    io.stdout.write(`${JSON.stringify({ clientVersion: client, store: url, agents }, null, 2)}\n`);
    return EXIT.OK;
  }
  if (agents.length === 0) {
    io.stdout.write(`Agents: the store ${url} holds no Cluster\n`);
    return EXIT.OK;
  }
  const now = new SystemClock().now();
  const rows = agents.map((a) => [
    a.node,
    a.clusters.join(','),
    a.renewTime === null ? '-' : (a.version ?? 'unknown'),
    a.renewTime === null ? 'never' : `${age(a.renewTime, now)} ago`,
  ]);
  io.stdout.write(`Agents (node leases in ${url}):\n${renderTable(['node', 'cluster', 'agent version', 'lease renewed'], rows)}`);
  return EXIT.OK;
}
