/**
 * Node leases (design §4): this agent renews its own every retryPeriod, reads its peers' to tell who is alive,
 * and reports the Cluster's `status.nodes[]` from them.
 */
import type { Cluster } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Store } from '../../store/types.js';
import type { AgentLogger } from '../logger.js';
import { clusterNodesStatus } from '../status/cluster-status.js';
import { updateStatusWith } from '../../store/status-update.js';
import { leaseSeconds, type Timing } from '../timing.js';
import { RenewDeadlinePassed, type GroupLease, type StoreHealth } from './group-lease.js';

export interface Liveness {
  alive: Record<string, boolean>;
  /** What is left of each live peer's node lease (ms). */
  leftMs: Map<string, number>;
  /** How long each live member has been alive without a break, as this agent observed it (ms). */
  aliveForMs: Record<string, number>;
  /** The store did not answer before the held group lease's renewDeadline. */
  cut: boolean;
}

export function nodeLeaseName(node: string): string {
  return `node.${node}`;
}

export class NodeLiveness {
  private startedAt = 0;
  /** When each peer was first seen alive in its current streak (monotonic); dropped when seen dead. */
  private readonly aliveSince = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: AgentLogger,
    private readonly health: StoreHealth,
    /** This agent's version, written into its node lease for `winha version` (absent: none written). */
    private readonly version?: string,
  ) {}

  start(): void {
    this.startedAt = this.clock.monotonic();
  }

  /** The heartbeat: renew this node's lease; true when the store answered. */
  async renewOwn(t: Timing): Promise<boolean> {
    try {
      await this.store.leases.acquire(nodeLeaseName(this.node), this.node, leaseSeconds(t), this.version);
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
  async members(members: string[], lease: GroupLease, t: Timing, storeOk: boolean, cycleStart: number): Promise<Liveness> {
    const out: Liveness = { alive: {}, leftMs: new Map(), aliveForMs: {}, cut: false };
    for (const n of members) {
      let alive = n === this.node;
      if (!alive && storeOk && !out.cut) {
        try {
          const nl = await lease.beforeDeadline(() => this.store.leases.get(nodeLeaseName(n)));
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

  /**
   * Cluster `status.nodes[]` from node leases: every agent marks itself Alive; the first live node by name also
   * writes the others (Alive/Dead), so two observers never flip an entry back and forth.
   */
  async writeClusterNodes(cluster: Cluster): Promise<void> {
    try {
      const names = (cluster.spec.nodes ?? []).map((n) => n.name).sort();
      const states: Record<string, 'Alive' | 'Dead'> = {};
      for (const n of names) {
        if (n === this.node) {
          states[n] = 'Alive';
          continue;
        }
        const nl = await this.store.leases.get(nodeLeaseName(n));
        states[n] = nl && nl.holder === n && this.store.leases.remainingMs(nl) > 0 ? 'Alive' : 'Dead';
      }
      const writer = names.find((n) => states[n] === 'Alive');
      const mineOnly: Record<string, 'Alive' | 'Dead'> = writer === this.node ? states : { [this.node]: 'Alive' };
      await updateStatusWith<Record<string, unknown>>(
        this.store.objects,
        'Cluster',
        cluster.metadata.namespace ?? 'default',
        cluster.metadata.name,
        (st) => clusterNodesStatus(st, mineOnly),
      );
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot write the cluster node status');
    }
  }
}
