/**
 * The node agent (design §1, §4), the manager only: an informer cache of every kind, one work queue of group
 * keys, the heartbeat (held group leases renewed together, node lease, Cluster nodes, every group queued each
 * retryPeriod but a quiet holder resting until its next check), start and stop. Each group's reconcile is
 * GroupReconciler's; agents coordinate only through the store.
 */
import type { Cluster, FailoverGroup, IISSite, Mirror, VirtualIP } from '../api/types.js';
import { awsIdentity } from '../cloud/aws/identity.js';
import type { CloudAccess } from '../cloud/types.js';
import { CloudRouting } from '../cloud/vip-routing.js';
import type { HostDriver } from '../drivers/types.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { Store, StoredObject } from '../store/types.js';
import type { Decision } from './decision-types.js';
import type { GroupSnapshot } from './decision-input.js';
import { EventRecorder, type EventInput } from './event-recorder.js';
import { GroupReconciler, type ReconcileResult } from './group-reconciler.js';
import { HostObservation } from './host-observation.js';
import { Informer } from './informer.js';
import type { StoreHealth } from './lease/group-lease.js';
import { NodeLiveness } from './lease/node-liveness.js';
import { silentLogger, type AgentLogger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import type { SecretSource } from '../reconcilers/secrets.js';
import type { Note } from '../reconcilers/types.js';
import { StatusWriter } from './status/writer.js';
import { timingOf } from './timing.js';
import { WorkQueue } from './work-queue.js';
import { clusterOfGroup } from '../api/cluster-membership.js';

export { silentLogger, type AgentLogger } from './logger.js';
export { groupLeaseName } from './lease/group-lease.js';
export { nodeLeaseName, readNodeLease } from './lease/node-liveness.js';

export interface AgentOptions {
  node: string;
  store: Store;
  driver: HostDriver;
  clock: Clock;
  logger?: AgentLogger;
  metrics?: AgentMetrics;
  /** Informer resync (default 10 min). */
  resyncMs?: number;
  /**
   * Groups reconciled at once (default 8; one group is never reconciled twice at once). No reconcile waits for
   * duplicate address detection (the group comes back for its address), so a few workers move hundreds of groups.
   */
  workers?: number;
  /** Where FTP deep checks read the credentials their credentialsSecretRef names (none: such checks stay incomplete). */
  secrets?: SecretSource;
  /** The cloud this node runs in (metadata service, EC2 API); absent: an AWS-routed VirtualIP fails its bring-up (CloudUnavailable). */
  cloud?: CloudAccess;
  /** Sees every event as it is recorded (the Windows Event Log forwarder of `winha agent`). */
  onEvent?: (e: EventInput) => void;
  /**
   * The one Cluster this agent serves (`winha agent --cluster`, or the one naming the node): only its groups, never
   * a group of another Cluster that names a node of the same name. Absent: every group naming the node (tests).
   */
  cluster?: { namespace: string; name: string };
  /** This agent's software version, recorded in its node lease (`winha version` reads it). */
  version?: string;
  /**
   * Also renew the legacy `node.NODE` lease, so agents older than per-Cluster node leases still see this node alive
   * during a rolling upgrade; only while no other Cluster in the store names the node (it would keep theirs alive).
   */
  legacyNodeLease?: boolean;
}

/** AgentOptions.workers' default (`winha agent --workers N` overrides it). */
export const DEFAULT_WORKERS = 8;

const KINDS = ['Cluster', 'FailoverGroup', 'VirtualIP', 'Mirror', 'IISSite'] as const;

export class Agent {
  readonly node: string;
  readonly metrics: AgentMetrics;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly log: AgentLogger;
  private readonly informers = new Map<string, Informer>();
  private readonly queue: WorkQueue;
  private readonly liveness: NodeLiveness;
  private readonly groups: GroupReconciler;
  private readonly events: EventRecorder;
  private tick: Timer | undefined;
  private running = false;

  constructor(private readonly o: AgentOptions) {
    this.node = o.node;
    this.store = o.store;
    this.clock = o.clock;
    this.log = o.logger ?? silentLogger;
    this.metrics = o.metrics ?? new AgentMetrics();
    const health: StoreHealth = { failing: false };
    const events = (this.events = new EventRecorder(o.store.objects, o.node, o.clock, (e) => {
      this.log.info({ event: e.reason, code: e.code, object: `${e.involved.kind}/${e.involved.name}` }, e.message);
      o.onEvent?.(e);
    }));
    const record: Note = (obj, type, reason, message, code, epoch) =>
      events.record({
        involved: { kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default' },
        type,
        reason,
        message,
        ...(code !== undefined ? { code } : {}),
        ...(epoch !== undefined ? { epoch } : {}),
      });
    this.liveness = new NodeLiveness(o.store, o.node, o.clock, this.log, health, o.version);
    this.groups = new GroupReconciler({
      node: o.node,
      store: o.store,
      clock: o.clock,
      log: this.log,
      metrics: this.metrics,
      host: new HostObservation(o.driver, o.clock),
      liveness: this.liveness,
      writer: new StatusWriter(o.store, o.node, o.clock, this.log),
      record,
      health,
      wake: (key) => this.queue.add(key),
      running: () => this.running,
      secrets: o.secrets,
      cloud: o.cloud ? new CloudRouting({ access: o.cloud, identity: awsIdentity, clock: o.clock }) : undefined,
    });
    const onError = (key: string, err: unknown, retryInMs: number) => {
      this.metrics.reconcileErrors.inc();
      this.log.warn({ group: key, retryInMs, err: String(err) }, 'reconcile failed; retrying');
    };
    this.queue = new WorkQueue(o.clock, (k) => this.reconcile(k), onError, { workers: o.workers ?? DEFAULT_WORKERS });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.liveness.start();
    for (const kind of KINDS) {
      const inf = new Informer(this.store.objects, kind, this.clock, {
        ...(this.o.resyncMs !== undefined ? { resyncMs: this.o.resyncMs } : {}),
        onChange: (obj) => this.onChange(kind, obj),
        onError: (err) => this.log.warn({ kind, err: String(err) }, 'watch failed; relisting'),
      });
      this.informers.set(kind, inf);
      inf.start();
    }
    this.schedule(0);
  }

  /** Stop without releasing anything (a crash or a restart looks the same to the others). */
  stop(): void {
    this.running = false;
    this.tick?.cancel();
    this.groups.stop();
    this.events.stop();
    this.queue.stop();
    for (const i of this.informers.values()) i.stop();
  }

  /**
   * A graceful stop (`winha agent` on SIGINT/SIGTERM): take no new work, let the reconciles in flight (detached ones
   * too) finish while leases are still renewed (at most timeoutMs), then stop(). Nothing is released and nothing is
   * taken out of service: the others take over only after the leases expire and their safety check. True when it
   * drained in time.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.queue.stop();
    let timer: Timer | undefined;
    const late = new Promise<false>((resolve) => (timer = this.clock.setTimer(timeoutMs, () => resolve(false))));
    const work = Promise.all([this.queue.idle(), this.groups.idle()]).then(() => true as const);
    const drained = await Promise.race([work, late]);
    timer?.cancel();
    this.stop();
    return drained;
  }

  get ready(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced);
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Decisions by group key, for tests and /readyz. */
  get lastDecision(): ReadonlyMap<string, Decision> {
    return this.groups.lastDecision;
  }

  private cached<T>(kind: string): T[] {
    return (this.informers.get(kind)?.list() ?? []) as unknown as T[];
  }

  private onChange(kind: string, obj: StoredObject): void {
    const ns = obj.metadata.namespace;
    const changed = (key: string) => {
      this.groups.woke(key);
      this.queue.add(key);
    };
    if (kind === 'FailoverGroup') changed(`${ns}/${obj.metadata.name}`);
    else if (kind === 'Cluster') for (const g of this.groupsOfNamespace(ns)) changed(g);
    else {
      const group = (obj.spec as { group?: string } | undefined)?.group;
      if (group) changed(`${ns}/${group}`);
    }
  }

  private groupsOfNamespace(ns: string): string[] {
    return this.cached<FailoverGroup>('FailoverGroup')
      .filter((g) => g.metadata.namespace === ns)
      .map((g) => `${ns}/${g.metadata.name}`);
  }

  private myGroups(): string[] {
    return this.cached<FailoverGroup>('FailoverGroup')
      .filter((g) => this.serves(g))
      .map((g) => `${g.metadata.namespace}/${g.metadata.name}`)
      .sort();
  }

  /** The group names this node and belongs to the Cluster this agent serves. */
  private serves(g: FailoverGroup): boolean {
    if (!Array.isArray(g.spec?.nodes) || !g.spec.nodes.some((n) => n.name === this.node)) return false;
    const scope = this.o.cluster;
    if (!scope) return true;
    const c = this.clusterOf(g);
    return c !== undefined && c.metadata.namespace === scope.namespace && c.metadata.name === scope.name;
  }

  private clusterOf(g: FailoverGroup): Cluster | undefined {
    return clusterOfGroup(g, this.cached<Cluster>('Cluster'));
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.tick = this.clock.setTimer(ms, () => void this.beat());
  }

  /** Every retryPeriod: renew the node lease, then queue every group of this node (Patroni's loop_wait). */
  private async beat(): Promise<void> {
    const scope = this.o.cluster;
    const mine = this.cached<Cluster>('Cluster').find((c) =>
      scope ? c.metadata.namespace === scope.namespace && c.metadata.name === scope.name : c.spec?.nodes?.some((n) => n.name === this.node),
    );
    const t = timingOf(mine);
    const namers = this.cached<Cluster>('Cluster').filter((c) => c.spec?.nodes?.some((n) => n.name === this.node));
    // The node lease of each Cluster served: the scope's (known before the cache lists it), else every Cluster naming the node.
    const served = scope ? [scope] : namers.map((c) => ({ namespace: c.metadata.namespace ?? 'default', name: c.metadata.name }));
    // The legacy lease, judged at each beat on a synced cache: a Cluster added later that names this node stops it.
    const legacy = !!this.o.legacyNodeLease && this.ready && namers.length === 1 && (!scope || namers[0] === mine);
    // The store answered the heartbeat: what the event outbox holds from while it did not goes now (a quiet node
    // would otherwise keep it until its next event).
    this.groups.renewHeld();
    if (await this.liveness.renewOwn(t, served, legacy)) void this.events.flushOutbox();
    if (mine) await this.liveness.writeClusterNodes(mine, t.retryMs / 2);
    this.groups.lookAtRestingGroups(t);
    for (const g of this.myGroups()) if (!this.groups.resting(g)) this.queue.add(g);
    this.metrics.queueDepth.set(this.queue.depth);
    this.schedule(t.retryMs);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    if (!this.running) return {};
    // Decide nothing on a cache that has not listed every kind yet (controller-runtime's WaitForCacheSync).
    if (!this.ready) return { requeueAfterMs: 100 };
    const snap = this.snapshot(key);
    if (!snap) return {};
    const started = this.clock.monotonic();
    try {
      return await this.groups.reconcile(key, snap);
    } finally {
      this.metrics.reconciles.inc();
      this.metrics.reconcileSeconds.observe((this.clock.monotonic() - started) / 1000);
    }
  }

  /** The group and what belongs to it, when this node is one of its members. */
  private snapshot(key: string): GroupSnapshot | undefined {
    const [ns, name] = key.split('/') as [string, string];
    const group = this.informers.get('FailoverGroup')?.get(ns, name) as unknown as FailoverGroup | undefined;
    if (!group || !this.serves(group)) return undefined;
    const ofGroup = <T>(kind: string) => (this.informers.get(kind)?.ofGroup(ns, name) ?? []) as unknown as T[];
    return {
      group,
      cluster: this.clusterOf(group),
      sites: ofGroup<IISSite>('IISSite'),
      vips: ofGroup<VirtualIP>('VirtualIP'),
      mirrors: ofGroup<Mirror>('Mirror'),
    };
  }
}
