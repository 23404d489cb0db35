/**
 * Node leases (design §4): this agent renews its own every retryPeriod, reads its peers' to tell who is alive,
 * and reports the Cluster's `status.nodes[]` from them.
 */
import type { Cluster } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import { createHash } from 'node:crypto';
import type { LeaseRecord, LeaseStore, Store } from '../../store/types.js';
import type { AgentLogger } from '../logger.js';
import { clusterNodesStatus } from '../status/cluster-status.js';
import { updateStatusWith } from '../../store/status-update.js';
import { leaseSeconds, type Timing } from '../timing.js';
import { RenewDeadlinePassed, type GroupLease, type StoreHealth } from './group-lease.js';
import { YoungReads } from './shared-lease-reads.js';

export interface Liveness {
  alive: Record<string, boolean>;
  /** What is left of each live peer's node lease (ms). */
  leftMs: Map<string, number>;
  /** How long each live member has been alive without a break, as this agent observed it (ms). */
  aliveForMs: Record<string, number>;
  /** The store did not answer before the held group lease's renewDeadline. */
  cut: boolean;
}

/** The Cluster a node lease belongs to. */
export interface ClusterRef {
  namespace: string;
  name: string;
}

/** Kubernetes lease names are at most 253 characters (DNS-1123 subdomain). */
const MAX_LEASE_NAME = 253;

/**
 * A node's lease, per Cluster: two Clusters in one store may each name a node `node1` (different machines), and
 * each must judge only its own. Namespaces and node names are DNS-1123 labels (no "."), so the name is unambiguous;
 * a Cluster name too long to fit is replaced by its hash.
 */
export function nodeLeaseName(cluster: ClusterRef, node: string): string {
  const name = `node.${cluster.namespace}.${cluster.name}.${node}`;
  if (name.length <= MAX_LEASE_NAME) return name;
  const hash = createHash('sha256').update(`${cluster.namespace}/${cluster.name}`).digest('hex').slice(0, 40);
  return `node.${cluster.namespace}.h-${hash}.${node}`;
}

/** The lease agents before per-Cluster node leases renewed (read only, while a rolling upgrade is under way). */
export function legacyNodeLeaseName(node: string): string {
  return `node.${node}`;
}

/**
 * The node's lease in its Cluster; when that does not exist (its agent is older than per-Cluster leases), the legacy
 * `node.NODE` lease, which any Cluster's node of that name may renew (`[agent-node-name-shared]` warns of that).
 * Without a Cluster (a group no Cluster claims): the legacy lease only.
 */
export async function readNodeLease(leases: LeaseStore, cluster: ClusterRef | undefined, node: string): Promise<LeaseRecord | null> {
  const own = cluster ? await leases.get(nodeLeaseName(cluster, node)) : null;
  return own ?? leases.get(legacyNodeLeaseName(node));
}

export class NodeLiveness {
  private startedAt = 0;
  /** When each peer was first seen alive in its current streak (monotonic); dropped when seen dead. */
  private readonly aliveSince = new Map<string, number>();
  /**
   * Peer node lease reads shared by the groups reconciled together (one read in flight, a finished one reused for
   * half a retryPeriod): 500 groups on two nodes read the peer's lease about once a second, not 250 times. A read
   * that old cannot make a live peer look dead: it renews every retryPeriod and its lease lasts a leaseDuration.
   */
  private readonly shared: YoungReads<LeaseRecord | null>;

  constructor(
    private readonly store: Store,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: AgentLogger,
    private readonly health: StoreHealth,
    /** This agent's version, written into its node lease for `winha version` (absent: none written). */
    private readonly version?: string,
  ) {
    this.shared = new YoungReads(clock);
  }

  start(): void {
    this.startedAt = this.clock.monotonic();
  }

  /**
   * The heartbeat: renew this node's lease in each Cluster it serves (one, for `winha agent`), and the legacy one when
   * asked (older agents read only that); true when the store answered.
   */
  async renewOwn(t: Timing, clusters: ClusterRef[], legacy: boolean): Promise<boolean> {
    try {
      const names = [...clusters.map((c) => nodeLeaseName(c, this.node)), ...(legacy ? [legacyNodeLeaseName(this.node)] : [])];
      for (const name of names) await this.store.leases.acquire(name, this.node, leaseSeconds(t), this.version);
      this.health.failing = false;
      return true;
    } catch (err) {
      this.health.failing = true;
      this.log.warn({ err: String(err) }, 'cannot renew the node lease');
      return false;
    }
  }

  /**
   * Which members are alive, by their node leases, read within the group lease's renewDeadline. Right after start,
   * a peer whose node lease we have not seen yet is presumed alive (as client-go makes a new observer wait a full
   * lease duration), so two agents starting together do not both campaign.
   */
  async members(
    members: string[],
    cluster: ClusterRef | undefined,
    lease: GroupLease,
    t: Timing,
    storeOk: boolean,
    cycleStart: number,
  ): Promise<Liveness> {
    const out: Liveness = { alive: {}, leftMs: new Map(), aliveForMs: {}, cut: false };
    for (const n of members) {
      let alive = n === this.node;
      if (!alive && storeOk && !out.cut) {
        try {
          const nl = await lease.beforeDeadline(() => this.readShared(cluster, n, t.retryMs / 2));
          const grace = !nl && cycleStart - this.startedAt < t.leaseMs;
          alive = grace || (!!nl && nl.holder === n && this.store.leases.remainingMs(nl) > 0);
          if (nl && alive) out.leftMs.set(n, this.store.leases.remainingMs(nl));
        } catch (err) {
          alive = false;
          if (err instanceof RenewDeadlinePassed) out.cut = true;
        }
      }
      out.alive[n] = alive;
      const now = this.clock.monotonic();
      if (n === this.node) out.aliveForMs[n] = now - this.startedAt;
      else if (!alive) this.aliveSince.delete(n);
      else {
        if (!this.aliveSince.has(n)) this.aliveSince.set(n, now);
        out.aliveForMs[n] = now - this.aliveSince.get(n)!;
      }
    }
    return out;
  }

  private readShared(cluster: ClusterRef | undefined, node: string, maxAgeMs: number): Promise<LeaseRecord | null> {
    const key = `${cluster ? `${cluster.namespace}/${cluster.name}` : ''}/${node}`;
    // Even one still in flight is shared only while young: a read the store never answers must not hold the rest.
    return this.shared.get(key, maxAgeMs, () => readNodeLease(this.store.leases, cluster, node));
  }

  /**
   * Cluster `status.nodes[]` from node leases: every agent marks itself Alive; the first live node by name also
   * writes the others (Alive/Dead), so two observers never flip an entry back and forth. The peers' leases come
   * from the reads the groups share (at most `maxAgeMs` old), not from reads of their own.
   */
  async writeClusterNodes(cluster: Cluster, maxAgeMs: number): Promise<void> {
    try {
      const ref = { namespace: cluster.metadata.namespace ?? 'default', name: cluster.metadata.name };
      const names = (cluster.spec.nodes ?? []).map((n) => n.name).sort();
      const states: Record<string, 'Alive' | 'Dead'> = {};
      for (const n of names) {
        if (n === this.node) {
          states[n] = 'Alive';
          continue;
        }
        const nl = await this.readShared(ref, n, maxAgeMs);
        states[n] = nl && nl.holder === n && this.store.leases.remainingMs(nl) > 0 ? 'Alive' : 'Dead';
      }
      const writer = names.find((n) => states[n] === 'Alive');
      const mineOnly: Record<string, 'Alive' | 'Dead'> = writer === this.node ? states : { [this.node]: 'Alive' };
      await updateStatusWith<Record<string, unknown>>(this.store.objects, 'Cluster', ref.namespace, ref.name, (st) =>
        clusterNodesStatus(st, mineOnly),
      );
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot write the cluster node status');
    }
  }
}
