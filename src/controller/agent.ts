/**
 * The node agent (design §1, §4): the controller of its own node. It keeps an
 * informer cache of every kind, renews its node lease, and every retryPeriod
 * (and on every change) reconciles each FailoverGroup it belongs to:
 *
 *   observe (store cache + leases + its own host) → decide() (pure) → execute
 *   (idempotent kit steps, epoch-checked) → status and events (only on change).
 *
 * Agents coordinate only through the store: the group lease is the licence to
 * activate; its epoch travels with every activation and a stale one is refused.
 */
import type { Cluster, FailoverGroup, IISSite, Mirror, VirtualIP } from '../api/types.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { CallOptions, HostDriver } from '../drivers/types.js';
import { isStoreError } from '../store/errors.js';
import type { LeaseRecord, Store, StoredObject } from '../store/types.js';
import { decide } from './decide.js';
import type { Action, Decision, DecisionInput, LocalView, MirrorView, NodeHistory, SafetyCheckResult, SwitchoverRequest } from './decision-types.js';
import { EventRecorder, type EventInput } from './event-recorder.js';
import { Informer } from './informer.js';
import { deepCheck, quickCheck, recover, remove, restore, UNRESPONSIVE_CODES } from './kit.js';
import { mergeConditions, updateStatusWith, upsertByName } from './status-writer.js';
import { WorkQueue } from './work-queue.js';
import { HostObservation } from './host-observation.js';
import { actSite, planSite } from '../reconcilers/iis-site.js';
import { ANNOTATIONS, parseSwitchoverRequest, nodesInMaintenance } from './requests.js';
import { AgentMetrics } from './metrics.js';
import { clusterNodesStatus, siteStatus, virtualIpStatus, type Ownership } from './resource-status.js';

export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

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
   * Groups reconciled at once (default 8; one group is never reconciled twice at once). An activation waits about
   * 1 s for duplicate address detection, so with one worker N groups take about N seconds to come up or move.
   */
  workers?: number;
}

/** AgentOptions.workers' default (`winha agent --workers N` overrides it). */
export const DEFAULT_WORKERS = 8;

interface Timing {
  leaseMs: number;
  renewDeadlineMs: number;
  retryMs: number;
}

/** What the agent remembers about one group between cycles (lost on restart, by design). */
interface GroupMemory {
  heldEpoch?: number;
  /** When this node last wrote the group's status (monotonic): a non-holder writes at most once per retryPeriod. */
  lastStatusWrite?: number;
  lastRenewOk?: number;
  activationFailed?: { code: number; message: string };
  recoveryFailed?: { code: number; message: string };
  deactivationFailed?: { code: number; message: string };
  failure?: LocalView['failure'];
  safetyCheck?: SafetyCheckResult;
  nextQuick?: number;
  nextDeep?: number;
  lastReason?: string;
  lastWarning9773?: boolean;
  takeoverFrom?: { node: string; detectedAt: number; reason: string };
  wasPaused?: boolean;
  /** Lease calls begun, and the latest whose answer was applied (a late answer never overrides a newer one). */
  leaseCalls?: number;
  leaseSettled?: number;
  /** Lease calls (the cycle's or a background renewer's) begun and not answered yet, each settled or failed. */
  leaseCallsInFlight?: Set<Promise<unknown>>;
  /** Fires renewDeadline after the last successful renewal: the self-fencing watchdog. */
  watchdog?: Timer;
  /** The lastRenewOk whose deadline passed and for which one cycle gave the store only a short grace (beforeRenewDeadline). */
  graceUsedFor?: number;
  /** We served the group in a steady cycle: a site found down afterwards is a failure, not a start. */
  served?: boolean;
  /** Fires when the holder's leases would expire (standby side), so the takeover does not wait for a beat. */
  expiryWake?: Timer;
  expiryWakeAt?: number;
}

const KINDS = ['Cluster', 'FailoverGroup', 'VirtualIP', 'Mirror', 'IISSite'] as const;
const ACTIVATING = new Set<Action['type']>(['promoteMirror', 'addVip', 'startSite', 'createMirror', 'recoverSite', 'continueMirror']);

export class Agent {
  readonly node: string;
  private readonly store: Store;
  /** The host driver; its mutating calls invalidate `host` (see HostObservation). */
  private readonly driver: HostDriver;
  /** This host as all groups' reconciles observe it, read once for all of them. */
  private readonly host: HostObservation;
  private readonly clock: Clock;
  private readonly log: AgentLogger;
  readonly metrics: AgentMetrics;
  private readonly informers = new Map<string, Informer>();
  private readonly queue: WorkQueue;
  private readonly memory = new Map<string, GroupMemory>();
  private readonly events: EventRecorder;
  private tick: Timer | undefined;
  private nodeLease: LeaseRecord | undefined;
  private lastNodeRenewOk: number | undefined;
  /** The latest lease call (node or group) failed or did not answer in time. */
  private storeFailing = false;
  private running = false;
  private startedAt = 0;
  /** Decisions by group key, for tests and /readyz. */
  readonly lastDecision = new Map<string, Decision>();
  /** This node's own history (bans, restarts) as last written, keyed by group, with the cached version it was written over. */
  private readonly historyOverlay = new Map<string, { rv: string; history: NodeHistory }>();

  constructor(private readonly o: AgentOptions) {
    this.node = o.node;
    this.store = o.store;
    this.host = new HostObservation(o.driver, o.clock);
    this.driver = this.host.driver;
    this.clock = o.clock;
    this.log = o.logger ?? silentLogger;
    this.metrics = o.metrics ?? new AgentMetrics();
    this.events = new EventRecorder(o.store.objects, o.node, o.clock, (e) => this.log.info({ event: e.reason, code: e.code, object: `${e.involved.kind}/${e.involved.name}` }, e.message));
    this.queue = new WorkQueue(o.clock, (k) => this.reconcile(k), (key, err, retryInMs) => {
      this.metrics.reconcileErrors.inc();
      this.log.warn({ group: key, retryInMs, err: String(err) }, 'reconcile failed; retrying');
    }, { workers: o.workers ?? DEFAULT_WORKERS });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.monotonic();
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
    for (const m of this.memory.values()) {
      m.watchdog?.cancel();
      m.expiryWake?.cancel();
    }
    this.queue.stop();
    for (const i of this.informers.values()) i.stop();
  }

  get ready(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced);
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  // ───────────── cache access ─────────────

  private cached<T>(kind: string): T[] {
    return (this.informers.get(kind)?.list() ?? []) as unknown as T[];
  }

  private onChange(kind: string, obj: StoredObject): void {
    const ns = obj.metadata.namespace;
    if (kind === 'FailoverGroup') this.queue.add(`${ns}/${obj.metadata.name}`);
    else if (kind === 'Cluster') for (const g of this.groupsOfNamespace(ns)) this.queue.add(g);
    else {
      const group = (obj.spec as { group?: string } | undefined)?.group;
      if (group) this.queue.add(`${ns}/${group}`);
    }
  }

  private groupsOfNamespace(ns: string): string[] {
    return this.cached<FailoverGroup>('FailoverGroup').filter((g) => g.metadata.namespace === ns).map((g) => `${ns}/${g.metadata.name}`);
  }

  private myGroups(): string[] {
    return this.cached<FailoverGroup>('FailoverGroup')
      .filter((g) => Array.isArray(g.spec?.nodes) && g.spec.nodes.some((n) => n.name === this.node))
      .map((g) => `${g.metadata.namespace}/${g.metadata.name}`)
      .sort();
  }

  private clusterOf(ns: string, name?: string): Cluster | undefined {
    const cs = this.cached<Cluster>('Cluster').filter((c) => c.metadata.namespace === ns);
    return name ? cs.find((c) => c.metadata.name === name) : cs.length === 1 ? cs[0] : undefined;
  }

  private timing(cluster: Cluster | undefined): Timing {
    const t = cluster?.spec?.timing ?? {};
    return { leaseMs: (t.leaseDurationSeconds ?? 15) * 1000, renewDeadlineMs: (t.renewDeadlineSeconds ?? 10) * 1000, retryMs: (t.retryPeriodSeconds ?? 2) * 1000 };
  }

  // ───────────── the heartbeat ─────────────

  private schedule(ms: number): void {
    if (!this.running) return;
    this.tick = this.clock.setTimer(ms, () => void this.beat());
  }

  /** Every retryPeriod: renew the node lease, then reconcile every group (Patroni's loop_wait). */
  private async beat(): Promise<void> {
    const clusters = this.cached<Cluster>('Cluster');
    const mine = clusters.find((c) => c.spec?.nodes?.some((n) => n.name === this.node));
    const t = this.timing(mine);
    try {
      const r = await this.store.leases.acquire(nodeLeaseName(this.node), this.node, Math.round(t.leaseMs / 1000));
      if (r.acquired) {
        this.nodeLease = r.lease;
        this.lastNodeRenewOk = this.clock.monotonic();
      }
      this.storeFailing = false;
    } catch (err) {
      this.storeFailing = true;
      this.log.warn({ err: String(err) }, 'cannot renew the node lease');
    }
    if (mine) await this.writeClusterNodes(mine);
    for (const g of this.myGroups()) this.queue.add(g);
    this.metrics.queueDepth.set(this.queue.depth);
    this.schedule(t.retryMs);
  }

  /**
   * Cluster `status.nodes[]` from node leases: every agent marks itself Alive; the first live node by name
   * also writes the others (Alive/Dead), so two observers never flip an entry back and forth.
   */
  private async writeClusterNodes(cluster: Cluster): Promise<void> {
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
      await updateStatusWith<Record<string, unknown>>(this.store.objects, 'Cluster', cluster.metadata.namespace ?? 'default', cluster.metadata.name, (st) => clusterNodesStatus(st, mineOnly));
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot write the cluster node status');
    }
  }

  // ───────────── one group ─────────────

  private async reconcile(key: string): Promise<void> {
    if (!this.running) return;
    // Decide nothing on a cache that has not listed every kind yet (controller-runtime's WaitForCacheSync).
    if (!this.ready) {
      this.queue.addAfter(key, 100);
      return;
    }
    const [ns, name] = key.split('/') as [string, string];
    const group = this.cached<FailoverGroup>('FailoverGroup').find((g) => g.metadata.namespace === ns && g.metadata.name === name);
    if (!group || !Array.isArray(group.spec?.nodes)) return;
    if (!group.spec.nodes.some((n) => n.name === this.node)) return;
    const started = this.clock.monotonic();
    try {
      await this.reconcileGroup(key, group);
    } finally {
      this.metrics.reconciles.inc();
      this.metrics.reconcileSeconds.observe((this.clock.monotonic() - started) / 1000);
    }
  }

  private mem(key: string): GroupMemory {
    let m = this.memory.get(key);
    if (!m) this.memory.set(key, (m = {}));
    return m;
  }

  private async reconcileGroup(key: string, group: FailoverGroup): Promise<void> {
    const ns = group.metadata.namespace ?? 'default';
    const cluster = this.clusterOf(ns, group.spec.cluster);
    const t = this.timing(cluster);
    const mem = this.mem(key);
    const members = group.spec.nodes.map((n) => n.name);
    const sites = this.cached<IISSite>('IISSite').filter((s) => s.metadata.namespace === ns && s.spec?.group === group.metadata.name);
    const vips = this.cached<VirtualIP>('VirtualIP').filter((s) => s.metadata.namespace === ns && s.spec?.group === group.metadata.name);
    const mirrors = this.cached<Mirror>('Mirror').filter((s) => s.metadata.namespace === ns && s.spec?.group === group.metadata.name);
    const now = this.clock.now();
    const mono = this.clock.monotonic();

    // ── leases (store): the group lease and every member's node lease
    // A holder must fence on time even when the store does not answer (a cut network answers nothing until the
    // store client's deadline): the lease calls may take only what is left of renewDeadline, as client-go renews
    // under a renewDeadline context. An answer that comes later still counts (see settleLease).
    const leaseName = groupLeaseName(ns, group.metadata.name);
    let lease: LeaseRecord | null = null;
    let storeOk = true;
    const { seq, call } = this.beginLeaseCall(mem, leaseName, t);
    // Past the deadline already: a store that just failed us gets no more time (fence now; its answer may still
    // come); one that answered last time was merely not asked for a while (a long activation, a status write),
    // so it gets half a retryPeriod, which a healthy store needs only a fraction of.
    let budget = mem.heldEpoch !== undefined && mem.lastRenewOk !== undefined ? mem.lastRenewOk + t.renewDeadlineMs + 1 - mono : undefined;
    if (budget !== undefined && !this.storeFailing) budget = Math.max(budget, t.retryMs / 2);
    const answer = budget === undefined ? await call.then((r) => r, (err: unknown) => ({ err })) : await this.within(call, budget);
    // Agent-wide: the groups share one queue, so a group whose deadline passed while another waited on the store
    // must not give the store more time of its own.
    this.storeFailing = answer === 'late' || 'err' in answer;
    if (answer === 'late') {
      storeOk = false;
      this.log.warn({ group: key, renewDeadlineMs: t.renewDeadlineMs }, 'the store did not answer the lease renewal within renewDeadline');
      void call.then((r) => this.settleLease(key, mem, seq, mono, r, t), () => undefined);
    } else if ('err' in answer) {
      storeOk = false;
      this.log.warn({ group: key, err: String(answer.err) }, 'cannot read or renew the group lease');
    } else {
      lease = this.settleLease(key, mem, seq, mono, answer, t, false);
    }
    let leaseLostBySelf = mem.heldEpoch !== undefined && this.renewDeadlinePassed(mem, t);
    if (!storeOk && mem.heldEpoch === undefined) {
      // Cut from the store and holding nothing: take no new action (E2), but undo standby drift? No: act on nothing we cannot justify.
      return;
    }
    // Each kind has its own watch, so right after an apply a site can be in the cache before the VirtualIP its
    // bindings name (validation makes every binding address a VirtualIP of the group). Taking the group on that
    // partial view starts the site without its address (9706) and bans the node for an hour: wait for the address
    // (a holder keeps renewing meanwhile; one already serving goes on as before).
    const vipAddresses = new Set(vips.map((v) => v.spec.address));
    const unseen = sites.flatMap((x) => (x.spec.bindings ?? []).map((b) => b.address)).find((a) => a && a !== '*' && !vipAddresses.has(a));
    if (unseen !== undefined && !(mem.heldEpoch !== undefined && mem.served)) {
      const why = `waiting for the VirtualIP ${unseen} that a site of ${group.metadata.name} binds to (not in this agent's cache yet)`;
      if (mem.lastReason !== why) this.log.info({ group: key }, why);
      mem.lastReason = why;
      this.queue.addAfter(key, t.retryMs);
      return;
    }
    const nodes: DecisionInput['nodes'] = {};
    const nodeLeaseLeft = new Map<string, number>();
    const maintNodes = nodesInMaintenance(cluster);
    for (const n of members) {
      let alive = n === this.node;
      if (!alive && storeOk) {
        try {
          const nl = await this.beforeRenewDeadline(mem, t, () => this.store.leases.get(nodeLeaseName(n)));
          // Right after start, a peer whose node lease we have not seen yet is presumed alive (as client-go
          // makes a new observer wait a full lease duration), so two agents starting together do not both campaign.
          const grace = !nl && mono - this.startedAt < t.leaseMs;
          alive = grace || (!!nl && nl.holder === n && this.store.leases.remainingMs(nl) > 0);
          if (nl && alive) nodeLeaseLeft.set(n, this.store.leases.remainingMs(nl));
        } catch (err) {
          alive = false;
          if (err instanceof RenewDeadlinePassed) {
            storeOk = false;
            leaseLostBySelf = true;
          }
        }
      }
      nodes[n] = { alive, maintenance: maintNodes.has(n) };
    }
    const expired = !lease || lease.holder === '' || this.store.leases.remainingMs(lease) === 0;
    if (lease && !expired && lease.holder !== this.node) this.armExpiryWake(key, mem, Math.max(this.store.leases.remainingMs(lease), nodeLeaseLeft.get(lease.holder) ?? 0));
    const leaseView: DecisionInput['lease'] = lease
      ? { holder: leaseLostBySelf ? this.node : lease.holder, epoch: lease.epoch, expired, ...(expired && lease.holder ? { expiredAt: now } : {}) }
      : { holder: '', epoch: 0, expired: true };

    // ── this host
    const callOpts = (): CallOptions => ({ epoch: leaseView.epoch, timeoutMs: 120_000 });
    const local = await this.observeLocal(sites, vips, mirrors, callOpts(), t.retryMs / 2);
    if (!local) return; // host unreachable: nothing safe to decide
    // A site that served and is now down is a failed check (its kit code counts against the restart limit), not a fresh start.
    const pausedNow = (cluster?.spec?.maintenance ?? false) || annotationOn(cluster, ANNOTATIONS.maintenance) || (group.spec.maintenance ?? false) || annotationOn(group, ANNOTATIONS.maintenance) || maintNodes.has(this.node);
    if (mem.served && mem.heldEpoch !== undefined && !mem.failure && !pausedNow && local.view.sites.some((s) => !s.started)) {
      await this.runChecks(key, group, sites, mem, mono, cluster, true);
    }
    if (mem.heldEpoch === undefined) mem.served = false;
    local.view.failure = mem.failure;
    if (mem.activationFailed) local.view.activationFailed = mem.activationFailed;
    if (mem.recoveryFailed) local.view.recoveryFailed = mem.recoveryFailed;
    if (mem.deactivationFailed) local.view.deactivationFailed = mem.deactivationFailed;

    // ── managed site rendering (IISSite reconciler), before deciding
    for (const s of sites) {
      const observed = local.sitesInfo.get(s.spec.siteName.toLowerCase());
      const plan = planSite(s, observed);
      if (plan.length === 0 || (group.spec.maintenance ?? false) || annotationOn(group, ANNOTATIONS.maintenance)) continue;
      try {
        const changed = await actSite(this.driver, s, callOpts());
        if (observed) await this.event(s, 'Warning', 'SiteDriftCorrected', `IIS site ${s.spec.siteName} on ${this.node} differed from its manifest (${changed.join(', ')}); re-rendered`);
      } catch (err) {
        await this.event(s, 'Warning', 'SiteRenderFailed', `could not render IIS site ${s.spec.siteName} on ${this.node}: ${String(err)}`);
      }
    }

    const status = (group.status ?? {}) as NonNullable<FailoverGroup['status']>;
    const history: Record<string, NodeHistory> = {};
    for (const e of status.nodes ?? []) {
      const h: NodeHistory = {};
      if (e.bannedUntil) h.bannedUntil = Date.parse(e.bannedUntil);
      if (Array.isArray(e['restarts'])) h.restarts = (e['restarts'] as string[]).map((x) => Date.parse(x)).filter((x) => Number.isFinite(x));
      if (e['deactivationFailed'] === true) h.deactivationFailed = true;
      history[e.name] = h;
    }
    const overlay = this.historyOverlay.get(key);
    if (overlay && overlay.rv === (group.metadata.resourceVersion ?? '')) history[this.node] = overlay.history;
    else this.historyOverlay.delete(key);
    const mirrorViews = this.mirrorViews(mirrors, local.mirrorLocal, (n) => nodes[n]?.alive ?? false);
    const sw = parseSwitchoverRequest(group);
    const clusterMaint = (cluster?.spec?.maintenance ?? false) || annotationOn(cluster, ANNOTATIONS.maintenance);
    const groupMaint = (group.spec.maintenance ?? false) || annotationOn(group, ANNOTATIONS.maintenance);
    const fp = group.spec.failurePolicy ?? {};
    const input: DecisionInput = {
      now,
      self: this.node,
      clusterMaintenance: clusterMaint,
      safetyCheckEnabled: cluster?.spec?.safetyCheck?.enabled ?? true,
      safetyCheckMaxAgeMs: t.retryMs,
      group: {
        name: group.metadata.name,
        nodes: group.spec.nodes.map((n) => ({ name: n.name, priority: n.priority })),
        switchback: group.spec.switchback ?? 'Intelligent',
        autoFailover: group.spec.autoFailover ?? true,
        desiredState: group.spec.desiredState ?? 'InService',
        maintenance: groupMaint,
        restartLimit: fp.restartLimit ?? 3,
        restartWindowSeconds: fp.restartWindowSeconds ?? 900,
        failureExpirySeconds: fp.failureExpirySeconds ?? 3600,
      },
      nodes,
      history,
      lease: leaseView,
      ...(leaseLostBySelf ? { leaseLostBySelf: true } : {}),
      ...(status.activeNode ? { activeNode: status.activeNode } : {}),
      mirrors: mirrorViews,
      local: local.view,
      ...(mem.safetyCheck ? { safetyCheck: mem.safetyCheck } : {}),
      ...(sw ? { switchover: sw } : {}),
    };

    const paused = clusterMaint || groupMaint || nodes[this.node]?.maintenance;
    if (mem.wasPaused && !paused) {
      // Leaving maintenance: re-probe at once (H10).
      mem.nextQuick = 0;
      mem.nextDeep = 0;
    }
    mem.wasPaused = !!paused;

    const decision = decide(input);
    this.lastDecision.set(key, decision);
    if (decision.reason !== mem.lastReason) {
      mem.lastReason = decision.reason;
      this.log.info({ group: key, role: decision.role, epoch: leaseView.epoch, actions: decision.actions.map((a) => a.type) }, decision.reason);
    }
    // While fencing nothing may wait for the store (it is likely what failed): events are written in the background.
    const fencing = decision.role === 'fencing';
    for (const e of decision.events) {
      const w = this.event(group, e.type, e.reason, e.message, e.code);
      if (!fencing) await this.beforeRenewDeadline(mem, t, () => w, 0).catch(() => undefined);
    }

    if (!storeOk && !leaseLostBySelf) return; // never act on a view we could not refresh, except to fence
    const outcome = await this.execute(key, group, decision, { sites, vips, mirrors, t, mem, input });

    // ── health checks on the active node, serialized with the cycle (never overlapping)
    if (decision.role === 'active' && decision.actions.every((a) => a.type === 'createMirror') && !paused && outcome.ok) {
      mem.served = true;
      await this.runChecks(key, group, sites, mem, mono, cluster, false);
    }

    // Status writes too end at renewDeadline, and none begins after it: a silent store must not hold the cycle the
    // watchdog needs to fence (a write begun past the deadline would wait out the store's whole request timeout).
    const cutShort = () => undefined;
    // A node that does not hold the group writes its status at most once per retryPeriod: two standbys that
    // disagree for a moment (each thinks the other dead, so each is "the reporter") would otherwise answer each
    // other's writes at once, a write storm that only ends when their views agree (fuzz seed 848).
    const writeAt = this.clock.monotonic();
    const throttled = mem.heldEpoch === undefined && mem.lastStatusWrite !== undefined && writeAt - mem.lastStatusWrite < t.retryMs;
    if (throttled) this.queue.addAfter(key, t.retryMs - (writeAt - mem.lastStatusWrite!));
    else if (storeOk) {
      mem.lastStatusWrite = writeAt;
      await this.beforeRenewDeadline(mem, t, () => this.writeStatus(key, group, decision, input, mirrors, local), 0).catch(cutShort);
      await this.beforeRenewDeadline(mem, t, () => this.writeResourceStatus(key, decision, input, sites, vips, local), 0).catch(cutShort);
    }
    this.metrics.leaseHeld.set({ group: key }, mem.heldEpoch !== undefined ? 1 : 0);
    if (outcome.requeue) this.queue.addAfter(key, 0);
  }

  // ───────────── observation ─────────────

  /** This group's part of the host, from the observation all groups share (at most `maxAgeMs` old, none older than a change we made). */
  private async observeLocal(sites: IISSite[], vips: VirtualIP[], mirrors: Mirror[], o: CallOptions, maxAgeMs: number) {
    try {
      const sitesInfo = await this.host.sites(o, maxAgeMs);
      const addrs = await this.host.addresses(o, maxAgeMs);
      const mirrorLocal = new Map<string, { role: 'source' | 'target' | 'none'; state: number; targetStates: number[]; targets: { address: string; state: number }[] }>();
      for (const m of mirrors) {
        try {
          const info = await this.host.mirror(volumeLetter(m.spec.volume), o, maxAgeMs);
          mirrorLocal.set(m.metadata.name, {
            role: info.role,
            state: info.targets[0]?.state ?? 0,
            targetStates: info.targets.map((x) => x.state),
            targets: info.targets.map((x) => ({ address: x.targetAddress, state: x.state })),
          });
        } catch {
          // unknown is not "no mirror" (DataKeeper §10.6 invariant 6): leave it out of the view
        }
      }
      const view: LocalView = {
        observed: true,
        sites: sites.map((s) => {
          const info = sitesInfo.get(s.spec.siteName.toLowerCase());
          return { name: s.metadata.name, siteName: s.spec.siteName, exists: !!info, started: info?.state === 'Started' || info?.state === 'Starting', serverAutoStart: info?.serverAutoStart ?? false };
        }),
        vips: vips.map((v) => {
          const a = addrs.find((x) => x.address === v.spec.address);
          return { name: v.metadata.name, address: v.spec.address, present: !!a, ...(a ? { state: a.addressState } : {}) };
        }),
      };
      return { view, sitesInfo, mirrorLocal, addrs };
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot observe this host');
      return undefined;
    }
  }

  /**
   * The mirrors as this node sees them. Other nodes' role reports count only while those nodes are alive: a
   * crashed source's last report is history, not a second source (its DataKeeper turns it into a target when it
   * boots and can reach the new source, dk-guide §4.2; if it cannot, its agent reports Source again, alive).
   */
  private mirrorViews(mirrors: Mirror[], local: Map<string, { role: 'source' | 'target' | 'none'; state: number }>, alive: (node: string) => boolean): MirrorView[] {
    return mirrors.map((m) => {
      const st = (m.status ?? {}) as NonNullable<Mirror['status']> & { targets?: { name: string; state: number }[]; recordedBy?: string };
      const reports = (st.nodes ?? []).filter((n) => n.name !== this.node && alive(n.name));
      const claimed = reports.filter((n) => n.role === 'Source').map((n) => n.name);
      const prepared = st.source !== undefined ? reports.filter((n) => n.role === 'None').map((n) => n.name).sort() : [];
      const mine = local.get(m.metadata.name);
      const claimedSources = new Set(claimed);
      if (mine?.role === 'source') claimedSources.add(this.node);
      const v: MirrorView = {
        name: m.metadata.name,
        volume: volumeLetter(m.spec.volume),
        targets: Object.fromEntries((st.targets ?? []).map((x) => [x.name, x.state])),
        claimedSources: [...claimedSources].sort(),
      };
      if (st.source) v.source = st.source;
      if (st.sourceEpoch !== undefined) v.sourceEpoch = st.sourceEpoch;
      if (st.recordedBy) v.recordedBy = st.recordedBy;
      if (st.unsupervisedBy) v.unsupervisedBy = st.unsupervisedBy;
      if (mine) v.local = { role: mine.role, state: mine.state };
      if (prepared.length > 0) v.preparedTargets = prepared;
      return v;
    });
  }

  // ───────────── execution ─────────────

  /**
   * Run the decided actions while a background renewer keeps the group lease (client-go renews in its own loop,
   * whatever the leader is doing): one action can block for long (DataKeeper's switchover with the old source
   * unreachable takes 30–40 s) and must not let the lease run out under a holder that goes on activating.
   */
  private async execute(key: string, group: FailoverGroup, decision: Decision, ctx: ExecuteContext): Promise<{ ok: boolean; requeue: boolean }> {
    const renewer = this.renewWhileExecuting(key, ctx.mem, groupLeaseName(group.metadata.namespace ?? 'default', group.metadata.name), ctx.t);
    try {
      return await this.runActions(key, group, decision, ctx, renewer);
    } finally {
      void renewer.stop(); // the cycle renews again; a renewal still in flight is settled by its sequence number
    }
  }

  private async runActions(key: string, group: FailoverGroup, decision: Decision, ctx: ExecuteContext, renewer: Renewer): Promise<{ ok: boolean; requeue: boolean }> {
    const { mem, t } = ctx;
    // Self-fencing must not wait for the store (see reconcileGroup): its events go in the background; other
    // events are waited for only until renewDeadline (a holder's silent store must not delay its fence).
    const note: Agent['event'] = (...args) => {
      const w = this.event(...args);
      return decision.role === 'fencing' ? Promise.resolve() : this.beforeRenewDeadline(mem, t, () => w, 0).catch(() => undefined);
    };
    const ns = group.metadata.namespace ?? 'default';
    const leaseName = groupLeaseName(ns, group.metadata.name);
    let requeue = false;
    let deactivating = false;
    // Self-fencing takes the group out of service on purpose: a site found down after it is our doing, not a
    // failed check. Should the lease still be ours when the store answers again (a store outage, not a
    // takeover), the holder brings the group back into service (Patroni re-promotes on regaining the key)
    // instead of spending its restart limit on "recovering" sites it stopped itself.
    if (decision.role === 'fencing') mem.served = false;
    for (const a of decision.actions) {
      const epoch = 'epoch' in a ? a.epoch : ctx.input.lease.epoch;
      // E6: activation steps only under the lease epoch we hold now. Checked before every action, so a lease lost
      // during a long call (the background renewer saw another holder) stops the bring-up at the next step.
      if (ACTIVATING.has(a.type) && (mem.heldEpoch === undefined || mem.heldEpoch !== epoch)) {
        await note(group, 'Warning', 'StaleEpochRefused', `refused ${a.type} with epoch ${epoch}: ${this.node} holds ${mem.heldEpoch === undefined ? 'no lease' : `epoch ${mem.heldEpoch}`}`);
        return { ok: false, requeue: true };
      }
      // Nor past renewDeadline without a renewal (the store did not answer the renewer): the watchdog has queued
      // the group, whose next cycle fences; nothing more may be brought up before it.
      if (ACTIVATING.has(a.type) && this.renewDeadlinePassed(mem, t)) {
        this.log.warn({ group: key, action: a.type, epoch, renewDeadlineMs: t.renewDeadlineMs }, `${a.type} not begun: the lease was not renewed within renewDeadline`);
        return { ok: false, requeue: true };
      }
      const o: CallOptions = { epoch, timeoutMs: 120_000 };
      const serviceTimeout = 60_000;
      try {
        switch (a.type) {
          case 'acquireLease': {
            const r = await this.store.leases.acquire(leaseName, this.node, Math.round(t.leaseMs / 1000));
            if (!r.acquired || r.lease.epoch !== a.expectedEpoch) {
              this.log.info({ group: key, expected: a.expectedEpoch, got: r.lease.epoch, holder: r.lease.holder }, 'lost the election race');
              return { ok: false, requeue: false };
            }
            mem.heldEpoch = r.lease.epoch;
            mem.served = false; // a new term: nothing served under it yet
            mem.lastRenewOk = this.clock.monotonic();
            this.armWatchdog(key, mem, t);
            const prev = ctx.input.lease.holder || ctx.input.activeNode || '';
            mem.takeoverFrom = { node: prev, detectedAt: this.clock.now(), reason: a.reason };
            if (a.reason === 'Failover') this.metrics.failovers.inc({ group: key });
            await note(group, 'Normal', a.reason === 'Start' ? 'Elected' : a.reason, decision.reason, undefined, r.lease.epoch);
            break;
          }
          case 'releaseLease':
            // No renewal may race the release: one answered after it would take the freed lease again (a new term).
            await renewer.stop();
            if (mem.heldEpoch !== undefined) await this.store.leases.release(leaseName, this.node, mem.heldEpoch);
            mem.heldEpoch = undefined;
            mem.activationFailed = undefined;
            mem.recoveryFailed = undefined;
            mem.failure = undefined;
            delete mem.takeoverFrom;
            await note(group, 'Normal', 'Released', decision.reason);
            break;
          case 'safetyCheck': {
            mem.safetyCheck = await this.safetyProbe(ctx.vips, ctx.input.lease.epoch, a.previous, o);
            requeue = true;
            break;
          }
          case 'markUnsupervised':
            for (const name of a.mirrors) {
              const m = ctx.mirrors.find((x) => x.metadata.name === name)!;
              // Only while that node is still the recorded source (it may have recorded again meanwhile: then its record holds).
              let marked = false;
              await updateStatusWith<Record<string, unknown>>(this.store.objects, 'Mirror', ns, name, (st) => {
                marked = st['source'] === a.node && st['unsupervisedBy'] !== a.node;
                return marked ? { ...st, unsupervisedBy: a.node } : st;
              });
              if (marked) await note(m, 'Warning', 'MirrorStateUnknown', `${a.node} serves ${group.metadata.name} past its lease with no agent recording ${volumeLetter(m.spec.volume)}: its recorded mirror state no longer counts; no target is promoted without --force until ${a.node}'s agent records it again`);
            }
            break;
          case 'promoteMirror': {
            const m = ctx.mirrors.find((x) => x.metadata.name === a.mirror)!;
            await this.driver.switchoverMirror(a.volume, a.force, o);
            if (!(await this.sourceOnRecord(key, mem, t, [m], epoch))) return { ok: false, requeue: false };
            if (a.force) await note(m, 'Warning', 'ForcedPromotion', `${this.node} became source of ${a.volume}: by operator force although its mirror was not Mirroring: data written on the old source since may be lost`, undefined, epoch);
            else await note(m, 'Normal', 'MirrorPromoted', `${this.node} is now source of ${a.volume}:`, undefined, epoch);
            break;
          }
          case 'createMirror': {
            const m = ctx.mirrors.find((x) => x.metadata.name === a.mirror)!;
            const mineEp = m.spec.endpoints.find((e) => e.node === this.node);
            const target = m.spec.endpoints.find((e) => e.node !== this.node && ctx.input.nodes[e.node]?.alive);
            if (!mineEp || !target) break; // no live target yet: try again later
            try {
              await this.driver.createMirror({ volume: a.volume, sourceAddress: mineEp.address, targetAddress: target.address, mode: m.spec.mode ?? 'Synchronous' }, o);
              await this.recordMirrorSource(m, epoch);
              await note(m, 'Normal', 'MirrorCreated', `mirror of ${a.volume}: created from ${this.node} to ${target.node} (full resync)`, undefined, epoch);
            } catch (err) {
              await note(m, 'Warning', 'MirrorCreateFailed', `could not create the mirror of ${a.volume}: to ${target.node}: ${String(err)}`);
            }
            break;
          }
          case 'addVip': {
            // Nothing serves on a mirror whose source role is not on record yet (see sourceOnRecord).
            const unrecorded = ctx.input.mirrors.filter((mv) => mv.local?.role === 'source' && mv.source !== this.node).map((mv) => ctx.mirrors.find((x) => x.metadata.name === mv.name)!);
            if (!(await this.sourceOnRecord(key, mem, t, unrecorded, epoch))) return { ok: false, requeue: false };
            const v = ctx.vips.find((x) => x.metadata.name === a.vip)!;
            const iface = v.spec.nodeInterfaces?.find((n) => n.node === this.node)?.interface ?? v.spec.interface ?? 'Ethernet';
            const r = await this.driver.addVirtualIp({ address: v.spec.address, prefixLength: v.spec.prefixLength, interfaceAlias: iface }, o);
            if (r.addressState === 'Duplicate') {
              await this.driver.removeVirtualIp(v.spec.address, o);
              throw new KitFailure(9408, `virtual IP ${v.spec.address} is already in use on the network (duplicate address detected)`, 'IpConflict');
            }
            break;
          }
          case 'startSite': {
            const s = ctx.sites.find((x) => x.metadata.name === a.site)!;
            const r = await restore(this.driver, s, o, (s.spec.serviceStartTimeoutSeconds ?? 60) * 1000);
            if (!r.ok) {
              await note(s, 'Warning', 'RestoreFailed', r.message, r.codes[0], epoch);
              throw new KitFailure(r.codes[0] ?? 9408, `${r.message}; Restore resource ${s.spec.siteName} End: Failed.`, 'RestoreFailed', 9408);
            }
            await note(s, 'Normal', 'RestoreSucceeded', `${r.message} on ${this.node}`, 9407, epoch);
            break;
          }
          case 'stopSite': {
            deactivating = a.why === 'deactivate' || deactivating;
            const s = ctx.sites.find((x) => x.metadata.name === a.site)!;
            const r = await remove(this.driver, s, o, serviceTimeout);
            if (r.warning) await note(s, 'Warning', 'SiteMissing', r.warning.message, r.warning.code, epoch);
            if (!r.ok) {
              mem.deactivationFailed = { code: r.codes[0] ?? 9556, message: r.message };
              await note(s, 'Warning', 'RemoveFailed', r.message, r.codes[0], epoch);
              await this.writeOwnHistory(group, (h) => ({ ...h, deactivationFailed: true }));
              return { ok: false, requeue: true };
            }
            if (a.why === 'standbyDrift') await note(s, 'Warning', 'StandbyStarted', `IIS site ${s.spec.siteName} was running on standby ${this.node}; stopped it`, undefined, epoch);
            else await note(s, 'Normal', 'RemoveSucceeded', `${r.message} on ${this.node}`, 9558, epoch);
            break;
          }
          case 'removeVip': {
            const v = ctx.vips.find((x) => x.metadata.name === a.vip)!;
            // C6: say whether the stray address collided with the active node's (duplicate address detection saw it).
            const duplicate = a.why === 'standbyDrift' && (await this.strayIsDuplicate(a.address, o));
            await this.driver.removeVirtualIp(a.address, o);
            if (a.why === 'standbyDrift') {
              const dup = duplicate ? ` (a duplicate: another node holds ${a.address} on the segment)` : '';
              await note(v, 'Warning', 'StandbyAddress', `virtual IP ${a.address} was configured on standby ${this.node}${dup}; removed it`, undefined, epoch);
            }
            break;
          }
          case 'disableAutoStart':
            await this.driver.setServerAutoStart(a.siteName, false, o);
            break;
          case 'recoverSite': {
            const s = ctx.sites.find((x) => x.metadata.name === a.site)!;
            mem.failure = undefined;
            await this.writeOwnHistory(group, (h) => ({ ...h, restarts: [...(h.restarts ?? []), this.clock.now()].slice(-20) }));
            const r = await recover(this.driver, s, o, (s.spec.serviceStartTimeoutSeconds ?? 60) * 1000, UNRESPONSIVE_CODES.has(a.code));
            if (!r.ok) {
              mem.recoveryFailed = { code: r.codes[0] ?? 9606, message: r.message };
              await note(s, 'Warning', 'RecoveryFailed', r.message, r.codes[0], epoch);
              requeue = true;
            } else {
              await note(s, 'Normal', 'Recovered', `local recovery of ${s.spec.siteName} on ${this.node} succeeded after ${a.code}`, a.code, epoch);
            }
            break;
          }
          case 'banSelf':
            await this.writeOwnHistory(group, (h) => ({ ...h, bannedUntil: a.until }));
            await note(group, 'Warning', 'Banned', `${this.node} may not run ${group.metadata.name} until ${new Date(a.until).toISOString()} (winha clear lifts it): ${a.reason}`, a.code || undefined);
            break;
          case 'prepareToBecomeTarget': {
            const m = ctx.mirrors.find((x) => x.metadata.name === a.mirror)!;
            await this.driver.prepareToBecomeTarget(a.volume, o);
            await note(m, 'Warning', 'SplitBrainResolved', `${this.node} gave up the source role of ${a.volume}:; its changes since the split are discarded`);
            break;
          }
          case 'continueMirror': {
            const m = ctx.mirrors.find((x) => x.metadata.name === a.mirror)!;
            try {
              await this.driver.continueMirror(a.volume, o);
              const losers = ctx.input.mirrors.find((x) => x.name === a.mirror)?.preparedTargets ?? [];
              await note(m, 'Warning', 'SplitBrainResolved', `${this.node} continued the mirror of ${a.volume}: to ${losers.join(', ') || 'its target'}: the changes made there since the split are overwritten (partial resync from ${this.node})`, undefined, epoch);
            } catch (err) {
              await note(m, 'Warning', 'MirrorContinueFailed', `could not continue the mirror of ${a.volume}: ${String(err)}`);
            }
            break;
          }
          case 'completeSwitchover':
            await this.clearSwitchover(group, a.id);
            await note(group, a.outcome === 'Done' ? 'Normal' : 'Warning', a.outcome === 'Done' ? 'SwitchoverDone' : 'SwitchoverRefused', a.message);
            break;
        }
      } catch (err) {
        if (err instanceof KitFailure) {
          mem.activationFailed = { code: err.code, message: err.message };
          await note(group, 'Warning', err.reason, err.message, err.endCode ?? err.code, epoch);
          return { ok: false, requeue: true };
        }
        if (ACTIVATING.has(a.type)) {
          mem.activationFailed = { code: 9408, message: `${a.type} failed: ${String(err)}` };
          await note(group, 'Warning', 'ActivationFailed', `${a.type} on ${this.node} failed: ${String(err)}`, 9408, epoch);
          return { ok: false, requeue: true };
        }
        if (a.type === 'removeVip' || a.type === 'stopSite') {
          mem.deactivationFailed = { code: 9556, message: String(err) };
          return { ok: false, requeue: true };
        }
        throw err;
      }
    }
    if (deactivating && mem.deactivationFailed) {
      mem.deactivationFailed = undefined;
      await this.writeOwnHistory(group, (h) => {
        const { deactivationFailed: _d, ...rest } = h;
        return rest;
      });
    }
    return { ok: true, requeue: requeue || decision.actions.some((a) => a.type === 'acquireLease' || a.type === 'releaseLease' || a.type === 'completeSwitchover') };
  }

  /**
   * A standby reconciles the moment the holder's group lease (and its node lease) would expire, not at its next
   * beat: otherwise a failover waits up to one retryPeriod more than the lease (E5: Ready within lease + 1 s).
   */
  private armExpiryWake(key: string, mem: GroupMemory, inMs: number): void {
    const at = this.clock.monotonic() + inMs + 1;
    if (mem.expiryWakeAt !== undefined && Math.abs(mem.expiryWakeAt - at) < 50) return;
    mem.expiryWake?.cancel();
    mem.expiryWakeAt = at;
    mem.expiryWake = this.clock.setTimer(inMs + 1, () => {
      mem.expiryWakeAt = undefined;
      this.queue.add(key);
    });
  }

  /** Whether an address found on this standby is also held elsewhere (DAD says Duplicate, or another MAC answers ARP for it). */
  private async strayIsDuplicate(address: string, o: CallOptions): Promise<boolean> {
    try {
      if ((await this.driver.listAddresses(o)).some((x) => x.address === address && x.addressState === 'Duplicate')) return true;
      return (await this.driver.probeAddressClaimed(address, { ...o, timeoutMs: 3000 })).claimed;
    } catch {
      return false;
    }
  }

  /**
   * A store call made while this node holds the group's lease waits at most until renewDeadline after the last
   * successful renewal (client-go cancels its renewal at RenewDeadline): then it fails with RenewDeadlinePassed,
   * so a holder whose connection went silent fences at the deadline, not when the store client gives up. The call
   * carries on until the store's own request timeout ends it; its answer is dropped. A call begun after the
   * deadline waits `graceMs` if given, else as long as the store takes (the cycle after a fence must be able to
   * ask the store again); with `graceMs` 0 (status and event writes, which can wait for a later cycle) it is not
   * begun at all.
   */
  private beforeRenewDeadline<T>(mem: GroupMemory, t: Timing, call: () => Promise<T>, graceMs?: number): Promise<T> {
    const passed = () => new RenewDeadlinePassed(`no answer from the store within renewDeadline (${t.renewDeadlineMs} ms after the last renewal)`);
    let left = mem.heldEpoch !== undefined && mem.lastRenewOk !== undefined ? mem.lastRenewOk + t.renewDeadlineMs - this.clock.monotonic() : 0;
    // graceMs 0: a call that can wait for the next cycle (a status write) is not even begun past the deadline.
    if (left <= 0 && mem.heldEpoch !== undefined && graceMs === 0) return Promise.reject(passed());
    const p = call();
    if (left <= 0 && mem.heldEpoch !== undefined) left = graceMs ?? 0;
    if (left <= 0) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimer(left + 1, () => {
        p.catch(() => undefined);
        reject(passed());
      });
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  /** Self-fencing must not wait for the next beat: reconcile exactly when renewDeadline has passed without a renewal (design §4). */
  private armWatchdog(key: string, mem: GroupMemory, t: Timing, from = this.clock.monotonic()): void {
    mem.watchdog?.cancel();
    mem.watchdog = this.clock.setTimer(from + t.renewDeadlineMs + 1 - this.clock.monotonic(), () => this.queue.add(key));
  }

  /** Begin a lease call (read, and renew when ours), numbered for settleLease and counted while in flight. */
  private beginLeaseCall(mem: GroupMemory, leaseName: string, t: Timing): { seq: number; startedAt: number; call: Promise<{ lease: LeaseRecord | null; renewed: boolean }> } {
    const seq = (mem.leaseCalls = (mem.leaseCalls ?? 0) + 1);
    const startedAt = this.clock.monotonic();
    const call = this.readAndRenew(leaseName, t);
    const inFlight = (mem.leaseCallsInFlight ??= new Set());
    const done: Promise<unknown> = call.then(
      () => inFlight.delete(done),
      () => inFlight.delete(done),
    );
    inFlight.add(done);
    return { seq, startedAt, call };
  }

  /**
   * Renew the group lease every retryPeriod until stopped, as the cycle does (same calls, same settleLease), while
   * this node holds it; never while another lease call of the group is still in flight (a silent store is asked
   * once, not once a period). A host call in progress cannot be aborted (DataKeeper finishes a switchover it has
   * begun): if the renewals fail until renewDeadline, the watchdog queues the group; as soon as the running call
   * returns, runActions begins no further activation (past the deadline, or the epoch no longer ours), the cycle
   * ends, and the group's next cycle fences.
   */
  private renewWhileExecuting(key: string, mem: GroupMemory, leaseName: string, t: Timing): Renewer {
    let stopped = false;
    const tick = () => {
      if (stopped || !this.running) return;
      if (mem.heldEpoch !== undefined && !mem.leaseCallsInFlight?.size) {
        const { seq, startedAt, call } = this.beginLeaseCall(mem, leaseName, t);
        call.then(
          (r) => {
            this.storeFailing = false;
            // An answer after execute ended has no cycle waiting for it: wake the group, like any late answer.
            this.settleLease(key, mem, seq, startedAt, r, t, stopped);
          },
          (err: unknown) => {
            this.storeFailing = true;
            this.log.warn({ group: key, err: String(err) }, 'cannot renew the group lease (background renewal during actions)');
          },
        );
      }
      timer = this.clock.setTimer(t.retryMs, tick);
    };
    let timer = this.clock.setTimer(t.retryMs, tick);
    return {
      stop: () => {
        stopped = true;
        timer.cancel();
        return Promise.all(mem.leaseCallsInFlight ?? []);
      },
    };
  }

  /** No successful renewal for longer than renewDeadline (the holder must fence). */
  private renewDeadlinePassed(mem: GroupMemory, t: Timing): boolean {
    return mem.lastRenewOk === undefined || this.clock.monotonic() - mem.lastRenewOk > t.renewDeadlineMs;
  }

  /** Read the group lease and, when it is ours, renew it. */
  private async readAndRenew(leaseName: string, t: Timing): Promise<{ lease: LeaseRecord | null; renewed: boolean }> {
    const lease = await this.store.leases.get(leaseName);
    if (lease && lease.holder === this.node) {
      const r = await this.store.leases.acquire(leaseName, this.node, Math.round(t.leaseMs / 1000));
      if (r.acquired && r.lease.epoch === lease.epoch) return { lease: r.lease, renewed: true };
    }
    return { lease, renewed: false };
  }

  /**
   * What a lease answer means for this node: a renewal restarts the renewDeadline count from when the call began
   * (the write landed after that, so the others' lease count started later still); another holder ends ours.
   * An answer older than one already settled is ignored; a late one (after the fence) wakes the group again.
   */
  private settleLease(key: string, mem: GroupMemory, seq: number, startedAt: number, r: { lease: LeaseRecord | null; renewed: boolean }, t: Timing, late = true): LeaseRecord | null {
    if (seq <= (mem.leaseSettled ?? 0)) return r.lease;
    mem.leaseSettled = seq;
    if (r.renewed && r.lease) {
      mem.heldEpoch = r.lease.epoch;
      mem.lastRenewOk = Math.max(mem.lastRenewOk ?? startedAt, startedAt);
      this.armWatchdog(key, mem, t, mem.lastRenewOk);
    } else if (mem.heldEpoch !== undefined && (!r.lease || r.lease.holder !== this.node)) {
      mem.heldEpoch = undefined; // someone else has it now
    }
    if (late) this.queue.add(key);
    return r.lease;
  }

  /** `p`'s outcome if it settles within `ms` (at once when ms ≤ 0), else 'late'. */
  private within<T>(p: Promise<T>, ms: number): Promise<T | { err: unknown } | 'late'> {
    if (ms <= 0) return Promise.resolve('late');
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(ms, () => resolve('late'));
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (err: unknown) => {
          timer.cancel();
          resolve({ err });
        },
      );
    });
  }

  /** Safety check (seed003-core §4): does the previous active still answer on a VIP? */
  private async safetyProbe(vips: VirtualIP[], epoch: number, previous: string, o: CallOptions): Promise<SafetyCheckResult> {
    for (const v of vips) {
      try {
        const c = await this.driver.probeAddressClaimed(v.spec.address, { ...o, timeoutMs: 3000 });
        if (c.claimed) return { epoch, at: this.clock.now(), serving: true, detail: `${v.spec.address} still answers${c.byMac ? ` from ${c.byMac}` : ''}` };
      } catch {
        // a failed probe proves nothing either way; treat as silent
      }
    }
    return { epoch, at: this.clock.now(), serving: false, detail: `nothing answers on ${vips.map((v) => v.spec.address).join(', ') || 'the group addresses'} for ${previous}` };
  }

  private async runChecks(key: string, group: FailoverGroup, sites: IISSite[], mem: GroupMemory, mono: number, cluster: Cluster | undefined, now: boolean): Promise<void> {
    void group;
    const defaults = cluster?.spec?.checks ?? {};
    const quickMs = Math.min(...sites.map((s) => (s.spec.checks?.quickCheckIntervalSeconds ?? defaults.quickCheckIntervalSeconds ?? 10) * 1000), 3_600_000);
    const deepSec = Math.min(...sites.map((s) => s.spec.checks?.deepCheckIntervalSeconds ?? defaults.deepCheckIntervalSeconds ?? 60), 86_400);
    const o: CallOptions = { epoch: mem.heldEpoch ?? 0, timeoutMs: 30_000 };
    if (mem.nextQuick === undefined) mem.nextQuick = mono + quickMs;
    if (mem.nextDeep === undefined) mem.nextDeep = mono + deepSec * 1000;
    const deepDue = !now && deepSec > 0 && mono >= mem.nextDeep;
    const quickDue = now || mono >= mem.nextQuick;
    if (!deepDue && !quickDue) return;
    for (const s of sites) {
      const r = deepDue ? await deepCheck(this.driver, s, o) : await quickCheck(this.driver, s, o);
      this.metrics.checks.inc({ check: deepDue ? 'deep' : 'quick', result: r.ok ? (r.warning ? 'warning' : 'pass') : 'fail' });
      if (r.warning && r.warning.code === 9773) {
        await this.event(s, 'Warning', 'DeepCheckIncomplete', r.warning.message, 9773);
      }
      if (!r.ok) {
        mem.failure = { code: r.codes[0] ?? 0, check: deepDue ? 'deep' : 'quick', site: s.metadata.name, siteName: s.spec.siteName, localRecovery: s.spec.localRecovery ?? true, message: r.message };
        await this.event(s, 'Warning', deepDue ? 'DeepCheckFailed' : 'QuickCheckFailed', `${r.message} on ${this.node}`, r.codes[0]);
        this.queue.addAfter(key, 0);
        break;
      }
      await this.writeSiteCheck(s, deepDue ? 'lastDeepCheck' : 'lastQuickCheck', r.warning ? 'Warning' : 'Pass', r.warning?.code);
    }
    mem.nextQuick = mono + quickMs;
    if (deepDue) mem.nextDeep = mono + deepSec * 1000;
  }

  // ───────────── store writes ─────────────

  private async event(obj: { kind: string; metadata: { name: string; namespace?: string } }, type: 'Normal' | 'Warning', reason: string, message: string, code?: number, epoch?: number): Promise<void> {
    const e: EventInput = { involved: { kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default' }, type, reason, message };
    if (code !== undefined) e.code = code;
    if (epoch !== undefined) e.epoch = epoch;
    await this.events.record(e);
  }

  private async writeOwnHistory(group: FailoverGroup, f: (h: NodeHistory) => NodeHistory): Promise<void> {
    const key = `${group.metadata.namespace ?? 'default'}/${group.metadata.name}`;
    let written: NodeHistory | undefined;
    try {
      await updateStatusWith<NonNullable<FailoverGroup['status']>>(this.store.objects, 'FailoverGroup', group.metadata.namespace ?? 'default', group.metadata.name, (st) => {
        const cur = st.nodes?.find((n) => n.name === this.node);
        const h: NodeHistory = {};
        if (cur?.bannedUntil) h.bannedUntil = Date.parse(cur.bannedUntil);
        if (Array.isArray(cur?.['restarts'])) h.restarts = (cur!['restarts'] as string[]).map((x) => Date.parse(x));
        if (cur?.['deactivationFailed'] === true) h.deactivationFailed = true;
        const next = f(h);
        written = next;
        const entry: Record<string, unknown> = { name: this.node, state: cur?.state ?? 'UNKNOWN' };
        if (next.bannedUntil !== undefined) entry['bannedUntil'] = iso(next.bannedUntil);
        if (next.restarts?.length) {
          entry['restarts'] = next.restarts.map(iso);
          entry['failures'] = next.restarts.length;
        }
        if (next.deactivationFailed) entry['deactivationFailed'] = true;
        return { ...st, nodes: upsertByName(st.nodes as { name: string }[] | undefined, entry as { name: string }) as NonNullable<FailoverGroup['status']>['nodes'] };
      });
      // Until the cache shows a newer version of the group, decide on what was just written, not on the cached
      // status from before it: a node that banned itself must not win the election it triggers by releasing.
      if (written) this.historyOverlay.set(key, { rv: group.metadata.resourceVersion ?? '', history: written });
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot record node history');
    }
  }

  private async clearSwitchover(group: FailoverGroup, id: string): Promise<void> {
    for (let i = 0; i < 5; i++) {
      try {
        const cur = await this.store.objects.get('FailoverGroup', group.metadata.namespace ?? 'default', group.metadata.name);
        const ann = { ...(cur.metadata.annotations ?? {}) };
        const req = parseSwitchoverRequest(cur as unknown as FailoverGroup);
        if (!req || req.id !== id) return;
        delete ann[ANNOTATIONS.switchover];
        await this.store.objects.update({ ...cur, metadata: { ...cur.metadata, annotations: ann } });
        return;
      } catch (err) {
        if (!isStoreError(err, 'Conflict')) return;
      }
    }
  }

  private async recordMirrorSource(m: Mirror, epoch: number): Promise<void> {
    await updateStatusWith<Record<string, unknown>>(this.store.objects, 'Mirror', m.metadata.namespace ?? 'default', m.metadata.name, (st) => ({ ...st, source: this.node, sourceEpoch: epoch }));
  }

  /**
   * Record this node as source of `mirrors` (other nodes' mirror gates read it), before anything serves on them.
   * A store that refuses the write is no failure of this node (no ban): false, and the group is tried again a
   * beat later, not in a tight loop against the store.
   */
  private async sourceOnRecord(key: string, mem: GroupMemory, t: Timing, mirrors: Mirror[], epoch: number): Promise<boolean> {
    for (const m of mirrors) {
      try {
        await this.beforeRenewDeadline(mem, t, () => this.recordMirrorSource(m, epoch));
      } catch (err) {
        this.log.warn({ group: key, mirror: m.metadata.name, err: String(err) }, 'mirror source not on record yet; serving waits for it');
        this.queue.addAfter(key, t.retryMs);
        return false;
      }
    }
    return true;
  }

  private async writeSiteCheck(s: IISSite, field: 'lastQuickCheck' | 'lastDeepCheck', result: string, code?: number): Promise<void> {
    // Only the result is kept, not the time, so a passing check every 10 s writes nothing (no churn, C7).
    try {
      await updateStatusWith<Record<string, unknown>>(this.store.objects, 'IISSite', s.metadata.namespace ?? 'default', s.metadata.name, (st) => {
        const prev = st[field] as { result?: string; code?: number; time?: string } | undefined;
        if (prev && prev.result === result && prev.code === code) return st;
        return { ...st, [field]: { time: iso(this.clock.now()), result, ...(code !== undefined ? { code } : {}) } };
      });
    } catch {
      // best effort
    }
  }

  /** IISSite and VirtualIP status: this node's observation, and activeNode/Ready from the holder. */
  private async writeResourceStatus(
    key: string,
    decision: Decision,
    input: DecisionInput,
    sites: IISSite[],
    vips: VirtualIP[],
    local: NonNullable<Awaited<ReturnType<Agent['observeLocal']>>>,
  ): Promise<void> {
    const holds = this.mem(key).heldEpoch !== undefined;
    const own: Ownership = holds
      ? { kind: 'holder' }
      : decision.reportsStatus && decision.role !== 'paused' && (input.lease.holder === '' || input.lease.expired)
        ? { kind: 'reporterWithoutHolder' }
        : { kind: 'other' };
    const nowIso = iso(this.clock.now());
    try {
      for (const s of sites) {
        const observed = local.sitesInfo.get(s.spec.siteName.toLowerCase());
        await updateStatusWith<Record<string, unknown>>(this.store.objects, 'IISSite', s.metadata.namespace ?? 'default', s.metadata.name, (st) => siteStatus(st, this.node, s.spec.siteName, observed, own, nowIso));
      }
      for (const v of vips) {
        const observed = local.addrs.find((a) => a.address === v.spec.address);
        await updateStatusWith<Record<string, unknown>>(this.store.objects, 'VirtualIP', v.metadata.namespace ?? 'default', v.metadata.name, (st) => virtualIpStatus(st, this.node, v.spec.address, observed, own, nowIso));
      }
    } catch (err) {
      this.log.warn({ group: key, err: String(err) }, 'cannot write site or address status');
    }
  }

  private async writeStatus(
    key: string,
    group: FailoverGroup,
    decision: Decision,
    input: DecisionInput,
    mirrors: Mirror[],
    local: NonNullable<Awaited<ReturnType<Agent['observeLocal']>>>,
  ): Promise<void> {
    const ns = group.metadata.namespace ?? 'default';
    const nowIso = iso(this.clock.now());
    const mem = this.mem(key);
    const holdsNow = mem.heldEpoch !== undefined;
    const serving = holdsNow && decision.role === 'active' && decision.actions.every((a) => a.type === 'createMirror');
    try {
      await updateStatusWith<NonNullable<FailoverGroup['status']>>(this.store.objects, 'FailoverGroup', ns, group.metadata.name, (st, obj) => {
        const next = { ...st };
        // Our own node entry: LifeKeeper state vocabulary.
        const cur = st.nodes?.find((n) => n.name === this.node);
        // OSF: out of service after a failure here (a failed bring-up or recovery, or banned for one); OSU otherwise.
        const failedHere = !!(input.local.activationFailed || input.local.recoveryFailed) || (input.history[this.node]?.bannedUntil ?? 0) > input.now;
        const lk = serving ? 'ISP' : holdsNow ? 'ISU' : failedHere ? 'OSF' : 'OSU';
        next.nodes = upsertByName(st.nodes as { name: string }[] | undefined, { ...(cur ?? {}), name: this.node, state: lk } as { name: string }) as typeof st.nodes;
        if (decision.reportsStatus && (holdsNow || input.lease.holder === '' || input.lease.expired)) {
          next.observedGeneration = obj.metadata.generation;
          if (holdsNow) {
            next.activeNode = this.node;
            next.epoch = mem.heldEpoch!;
          } else if (decision.role !== 'paused') {
            delete next.activeNode;
          }
          next.phase = input.group.desiredState === 'OutOfService' ? 'OutOfService' : serving ? 'InService' : decision.role === 'candidate' || (holdsNow && decision.role === 'active') ? 'Activating' : decision.role === 'releasing' || decision.role === 'fencing' ? 'Deactivating' : decision.conditions.some((c) => c.type === 'Failed' && c.status === 'True') ? 'Failed' : decision.conditions.some((c) => c.type === 'PromotionBlocked' && c.status === 'True') ? 'Blocked' : 'Pending';
          next.conditions = mergeConditions(st.conditions, decision.conditions.map((c) => ({ ...c, observedGeneration: obj.metadata.generation })), nowIso) as typeof st.conditions;
          if (serving && mem.takeoverFrom) {
            const from = mem.takeoverFrom;
            next.lastFailover = {
              ...(from.node && from.node !== this.node ? { from: from.node } : {}),
              to: this.node,
              reason: from.reason,
              message: decision.reason,
              time: nowIso,
              durationSeconds: Math.max(0, (this.clock.now() - from.detectedAt) / 1000),
            };
            delete mem.takeoverFrom;
          }
        }
        return next;
      });
      // Mirrors: every node reports its own role; the source records its targets (the mirror gate reads them).
      for (const m of mirrors) {
        const l = local.mirrorLocal.get(m.metadata.name);
        if (!l) continue;
        await updateStatusWith<Record<string, unknown>>(this.store.objects, 'Mirror', ns, m.metadata.name, (st) => {
          const role = l.role === 'source' ? 'Source' : l.role === 'target' ? 'Target' : 'None';
          const nodesList = upsertByName(st['nodes'] as { name: string }[] | undefined, { name: this.node, role, state: l.state } as { name: string });
          const next: Record<string, unknown> = { ...st, nodes: nodesList };
          // The recorded source reports its targets even after it released the group (a failed bring-up that
          // hands back, H9): DataKeeper's source is the authority on them, and without it nobody passes the gate.
          if (l.role === 'source' && (holdsNow || st['source'] === this.node)) {
            const targets = m.spec.endpoints
              .filter((e) => e.node !== this.node)
              .map((e) => ({ name: e.node, state: l.targets.find((x) => x.address === e.address)?.state ?? 0 }));
            next['targets'] = targets;
            next['recordedBy'] = this.node;
            delete next['unsupervisedBy']; // its agent records again: the record is current
            next['source'] = this.node;
            if (st['source'] !== this.node || st['sourceEpoch'] === undefined) next['sourceEpoch'] = mem.heldEpoch;
            next['state'] = ({ '-1': 'Invalid', '0': 'None', '1': 'Mirroring', '2': 'Resyncing', '3': 'Broken', '4': 'Paused', '5': 'ResyncPending' } as Record<string, string>)[String(targets[0]?.state ?? 0)];
          }
          return next;
        });
      }
    } catch (err) {
      this.log.warn({ group: key, err: String(err) }, 'cannot write status');
    }
  }
}

interface ExecuteContext {
  sites: IISSite[];
  vips: VirtualIP[];
  mirrors: Mirror[];
  t: Timing;
  mem: GroupMemory;
  input: DecisionInput;
}

/** The background lease renewal of one execute; stop() resolves once no lease call of the group is in flight. */
interface Renewer {
  stop(): Promise<unknown>;
}

class KitFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
    readonly endCode?: number,
  ) {
    super(message);
  }
}

/** A store call cut short at renewDeadline (beforeRenewDeadline). */
class RenewDeadlinePassed extends Error {}

export function nodeLeaseName(node: string): string {
  return `node.${node}`;
}

export function groupLeaseName(ns: string, name: string): string {
  return `group.${ns}.${name}`;
}

function volumeLetter(v: string): string {
  return v.replace(/:$/, '').toUpperCase();
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function annotationOn(o: { metadata: { annotations?: Record<string, string> } } | undefined, key: string): boolean {
  return o?.metadata.annotations?.[key] === 'true';
}

export type { SwitchoverRequest };
