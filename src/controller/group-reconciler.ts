/**
 * One FailoverGroup's reconcile on this node (the group is the key: mirror → VIP → site under one epoch):
 *
 *   lease (read/renew within renewDeadline) → liveness (node leases) → observe this host (each kind's reconciler)
 *   → buildDecisionInput (pure) → decide (pure) → execute (epoch-checked, lease renewed meanwhile) → health
 *   checks → status (only on change) → a result saying when to come back.
 */
import type { CloudRouting } from '../cloud/vip-routing.js';
import { movedByApi, probePortOf } from '../cloud/vip-routing.js';
import { isDriverError, type HostDriver } from '../drivers/types.js';
import type { Clock } from '../lib/clock.js';
import { canonicalIp } from '../lib/ip.js';
import type { Store } from '../store/types.js';
import { observeMirror, volumeLetter, type MirrorLocal } from '../reconcilers/mirror.js';
import { observeSite, renderSite } from '../reconcilers/iis-site.js';
import { interfaceFor, observeVip } from '../reconcilers/virtual-ip.js';
import { CloudObservation } from './cloud-observation.js';
import type { Note } from '../reconcilers/types.js';
import { decide } from './decide.js';
import { buildDecisionInput, maintenanceOf, type GroupSnapshot, type HostFacts } from './decision-input.js';
import type { Decision } from './decision-types.js';
import { ADDRESS_POLL_MS, Executor, StepError, type ExecutionResult } from './executor.js';
import { DetachedExecutions } from './detached-executions.js';
import { applyPatch, newGroupMemory, type GroupMemory } from './group-memory.js';
import { checkIntervals, checkPhase, runDueChecks } from './health-checks.js';
import type { HostObservation } from './host-observation.js';
import { GroupLease, groupLeaseName, type StoreHealth } from './lease/group-lease.js';
import type { NodeLiveness } from './lease/node-liveness.js';
import { SharedLeaseReads } from './lease/shared-lease-reads.js';
import { HeldRenewals } from './lease/held-renewals.js';
import { betterMember, MAX_REST_MS, pendingFacts, restMs } from './group-rest.js';
import { watchable } from './host-part.js';
import { RestingGroups } from './resting-groups.js';
import { DEFAULT_SWITCHBACK } from '../api/defaults.js';
import type { SecretSource } from '../reconcilers/secrets.js';
import type { AgentLogger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import { isServing } from './status/serving.js';
import type { HostReport, StatusWriter } from './status/writer.js';
import { fenceMessage, noteFence } from './status/fence-report.js';
import { fenceEntry } from './status/group-history.js';
import { blindHolder, blindStandby } from './host-unobservable.js';
import { timingOf, type Timing } from './timing.js';

/** What a reconcile asks of the queue (controller-runtime's Result): come back after this many ms, or at the next beat. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface GroupReconcilerDeps {
  node: string;
  store: Store;
  clock: Clock;
  log: AgentLogger;
  metrics: AgentMetrics;
  host: HostObservation;
  liveness: NodeLiveness;
  writer: StatusWriter;
  record: Note;
  health: StoreHealth;
  /** Queue a group now (the lease's timers and late answers). */
  wake: (key: string) => void;
  running: () => boolean;
  secrets?: SecretSource | undefined;
  /** Moves AWS addresses (absent: this agent has no cloud; such a VirtualIP fails its bring-up with CloudUnavailable). */
  cloud?: CloudRouting | undefined;
}

/** How old an IIS service state the health checks may share (a stopped W3SVC is seen at most this much later). */
export const CHECK_SERVICE_MAX_AGE_MS = 1000;

/** How often a holder reads where the cloud routes its API-moved addresses (drift repair), at most. */
export const CLOUD_CHECK_INTERVAL_MS = 30_000;

/** One group's parts on this node. */
interface GroupState {
  lease: GroupLease;
  mem: GroupMemory;
}

export class GroupReconciler {
  private readonly groups = new Map<string, GroupState>();
  private readonly executor: Executor;
  private readonly driver: HostDriver;
  /** The driver the health checks use (the IIS service state shared between them), built once. */
  private readonly checkDriver: HostDriver;
  private readonly cloud: CloudObservation | undefined;
  /** Decisions by group key, for tests and /readyz. */
  readonly lastDecision = new Map<string, Decision>();
  /** Group leases read by a standby: one list for all groups (shared-lease-reads.ts). */
  private readonly sharedReads: SharedLeaseReads;
  /** Groups something woke (a store event, a lease timer): their next look reads the lease itself, not the shared list. */
  private readonly woken = new Set<string>();
  /** Held leases renewed together every beat (held-renewals.ts). */
  private readonly renewals: HeldRenewals;
  /** Quiet groups between their looks (resting-groups.ts). */
  private readonly rest: RestingGroups;
  /** Executions that wait on the host for long (a switchover) run here, not in a worker (detached-executions.ts). */
  private readonly detached: DetachedExecutions;

  constructor(private readonly d: GroupReconcilerDeps) {
    this.detached = new DetachedExecutions((key) => this.wakeNow(key));
    this.sharedReads = new SharedLeaseReads(d.store.leases, d.clock);
    this.renewals = new HeldRenewals(d.store.leases, d.health, d.log);
    this.rest = new RestingGroups({
      clock: d.clock,
      leases: d.store.leases,
      host: d.host,
      sharedReads: this.sharedReads,
      leaseOf: (key) => this.groups.get(key)?.lease,
      wake: (key) => this.wakeNow(key),
    });
    this.driver = d.host.driver;
    this.checkDriver = d.host.checkDriver(CHECK_SERVICE_MAX_AGE_MS);
    this.cloud = d.cloud
      ? new CloudObservation({ routing: d.cloud, driver: this.driver, clock: d.clock, log: d.log, node: d.node })
      : undefined;
    this.executor = new Executor({
      node: d.node,
      store: d.store,
      driver: this.driver,
      clock: d.clock,
      log: d.log,
      metrics: d.metrics,
      writer: d.writer,
      record: d.record,
      ...(this.cloud ? { cloud: this.cloud } : {}),
    });
  }

  stop(): void {
    for (const g of this.groups.values()) g.lease.stop();
  }

  /** Resolves when no execution runs detached any more (a graceful stop waits for them as for the workers). */
  idle(): Promise<void> {
    return this.detached.idle();
  }

  /**
   * Something about the group changed (a watch event) or a lease timer fired: its next reconcile reads the lease from
   * the store. Only the periodic looks of a quiet group share the list: a list up to half a retryPeriod old would
   * otherwise answer the very change that woke the group (two nodes then act on views that never meet).
   */
  woke(key: string): void {
    this.woken.add(key);
    this.rest.forget(key);
  }

  /** Wake the group and queue it now. */
  private wakeNow(key: string): void {
    this.woke(key);
    this.d.wake(key);
  }

  /** The beat, for resting groups: wake those whose lease or part of the host changed (resting-groups.ts). */
  lookAtRestingGroups(t: Timing): void {
    this.rest.lookAtLeases(t.retryMs / 2);
    this.rest.lookAtHost(t.retryMs, t.renewDeadlineMs);
  }

  /** Whether the beat may skip this group: a quiet group until its next look (group-rest.ts). */
  resting(key: string): boolean {
    return this.rest.resting(key);
  }

  /** The beat: renew every held group lease that is due, in batches (a no-op where the store cannot batch). */
  renewHeld(): void {
    this.renewals.renew([...this.groups.values()].map((g) => g.lease));
  }

  async reconcile(key: string, snap: GroupSnapshot): Promise<ReconcileResult> {
    const t = timingOf(snap.cluster);
    const { group, sites, vips } = snap;
    const { lease, mem } = this.stateOf(key, snap);
    lease.setTiming(t);
    this.rest.stopResting(key);
    // A detached execution's cycles wait for its answer (as they waited for the busy worker); the answer is
    // taken as the cycle that began it would have. A failed one waits out its retry floor, unless the lease is
    // past renewDeadline: then this very cycle fences.
    const detached = this.detached.take(key);
    if (detached?.state === 'running') return { requeueAfterMs: t.retryMs };
    if (detached?.state === 'threw') this.threw(mem, detached.error);
    if (detached?.state === 'done' && !this.took(mem, detached.result, () => undefined).ok && lease.holds && !lease.renewDeadlinePassed())
      return detached.result.requeueAfterMs === undefined ? {} : { requeueAfterMs: detached.result.requeueAfterMs };
    const checked = await this.checksOnly(key, snap, lease, mem, t);
    if (checked) return checked;
    this.rest.unwatch(key);
    const now = this.d.clock.now();
    const mono = this.d.clock.monotonic();
    let requeue: number | undefined;
    const after = (ms: number) => (requeue = requeue === undefined ? ms : Math.min(requeue, ms));

    // ── leases: the group's, then every member's node lease
    const reading = await lease.read(!this.woken.delete(key));
    if (!reading.storeOk && !lease.holds) return {}; // cut from the store and holding nothing: take no action (E2)
    // Each kind has its own watch, so right after an apply a site can be in the cache before the VirtualIP its
    // bindings name: taking the group on that partial view starts the site without its address (9706) and bans
    // the node for an hour. Wait for the address (a holder serving already goes on as before).
    const addresses = new Set(vips.map((v) => canonicalIp(v.spec.address)));
    const unseen = sites
      .flatMap((x) => (x.spec.bindings ?? []).map((b) => b.address))
      .find((a) => a && a !== '*' && !addresses.has(canonicalIp(a)));
    if (unseen !== undefined && !(lease.holds && mem.served)) {
      const why = `waiting for the VirtualIP ${unseen} that a site of ${group.metadata.name} binds to (not in this agent's cache yet)`;
      if (mem.lastReason !== why) this.d.log.info({ group: key }, why);
      mem.lastReason = why;
      return { requeueAfterMs: t.retryMs };
    }
    const deadlinePassed = lease.holds && lease.renewDeadlinePassed();
    const members = group.spec.nodes.map((n) => n.name);
    const c = snap.cluster?.metadata;
    const ref = c ? { namespace: c.namespace ?? 'default', name: c.name } : undefined;
    const live = await this.d.liveness.members(members, ref, lease, t, reading.storeOk, mono);
    const storeOk = reading.storeOk && !live.cut;
    const lostBySelf = deadlinePassed || live.cut;
    const l = reading.lease;
    const remainingMs = l ? this.d.store.leases.remainingMs(l) : 0;
    if (l && l.holder !== '' && remainingMs > 0 && l.holder !== this.d.node)
      lease.armExpiryWake(Math.max(remainingMs, live.leftMs.get(l.holder) ?? 0));
    const observedEpoch = l?.epoch ?? 0;
    this.rest.sawLease(key, l);

    // ── this host
    const held = lease.holds ? lease.epoch : undefined;
    // A host read waits at most renewDeadline: a hung host must not keep a holder from giving the group up in time.
    const observing = lease.callOptions(undefined, observedEpoch, t.renewDeadlineMs);
    // Waiting for an address's duplicate address detection: a view begun after the previous look.
    const maxAgeMs = mem.addressWaitSince !== undefined ? ADDRESS_POLL_MS / 2 : t.retryMs / 2;
    const host = await this.observeHost(snap, observing, maxAgeMs, held);
    if ('failed' in host) return this.unobservable(snap, mem, lease, t, mono, host.failed);
    delete mem.unobservedSince;
    delete mem.blindReported;
    const m = maintenanceOf(snap, this.d.node);
    const paused = m.cluster || m.group || m.node;
    // A site that served and is now down is a failed check (its code counts against the restart limit), not a start.
    if (mem.served && lease.holds && !mem.facts.failure && !paused && host.facts.sites.some((s) => !s.started)) {
      const blind = await this.checks(lease, snap, mem, mono, true, after);
      if (blind) return this.unobservable(snap, mem, lease, t, mono, blind);
    }
    if (!lease.holds) mem.served = false;
    if (!m.group) {
      for (const s of sites)
        await renderSite(
          this.driver,
          s,
          host.report.sites.get(s.spec.siteName.toLowerCase()),
          lease.callOptions(undefined, observedEpoch),
          this.d.record,
          this.d.node,
        );
    }

    // ── decide
    const overlay = mem.ownHistory && mem.ownHistory.rv === (group.metadata.resourceVersion ?? '') ? mem.ownHistory.history : undefined;
    if (!overlay) delete mem.ownHistory;
    const input = buildDecisionInput({
      node: this.d.node,
      now,
      timing: t,
      snapshot: snap,
      lease: { lease: l, remainingMs, lostBySelf },
      alive: live.alive,
      aliveForMs: live.aliveForMs,
      host: host.facts,
      remembered: { ...mem.facts, ...(overlay ? { ownHistory: overlay } : {}) },
    });
    if (mem.wasPaused && !paused) mem.checks = { nextQuick: 0, nextDeep: 0 }; // leaving maintenance: re-probe at once (H10)
    mem.wasPaused = paused;
    const decision = decide(input);
    this.d.metrics.looks.inc({ look: 'full' });
    this.lastDecision.set(key, decision);
    if (decision.reason !== mem.lastReason) {
      mem.lastReason = decision.reason;
      this.d.log.info(
        { group: key, role: decision.role, epoch: input.lease.epoch, actions: decision.actions.map((a) => a.type) },
        decision.reason,
      );
    }
    // While fencing nothing may wait for the store (it is likely what failed): events are written in the background.
    for (const e of decision.events) {
      const w = this.d.record(group, e.type, e.reason, e.message, e.code);
      if (decision.role !== 'fencing') await lease.beforeDeadline(() => w, 0).catch(() => undefined);
    }
    if (!storeOk && !lostBySelf) return {}; // never act on a view we could not refresh, except to fence

    // ── act
    let detach!: () => void;
    const waitsLong = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')));
    const req = { key, snapshot: snap, decision, input, lease, timing: t, addressWaitSince: mem.addressWaitSince, detach };
    const execution = this.executor.execute(req);
    let r: ExecutionResult | 'detached';
    try {
      r = await Promise.race([execution, waitsLong]);
    } catch (err) {
      this.threw(mem, err);
    }
    if (r === 'detached') {
      this.detached.adopt(key, execution);
      return { requeueAfterMs: t.retryMs };
    }
    const { ok, detecting } = this.took(mem, r, after);
    if (isServing(decision) && !paused && ok) {
      mem.served = true;
      const blind = await this.checks(lease, snap, mem, mono, false, after);
      if (blind) return this.unobservable(snap, mem, lease, t, mono, blind);
    }
    if (decision.role === 'fencing') mem.fence = noteFence(mem.fence, decision, lease.epoch, this.d.clock.now());
    else if (storeOk && !detecting) await this.reportFence(mem, snap, decision, ok, l?.holder ?? '', t.renewDeadlineMs, lease);

    // ── status: never begun past renewDeadline (a write begun then would wait out the store's request timeout)
    // A node that does not hold the group writes at most once per retryPeriod: two standbys that disagree for a
    // moment would otherwise answer each other's writes at once, a storm only ended when they agree (fuzz seed 848).
    const writeAt = this.d.clock.monotonic();
    let wrote = false;
    if (!lease.holds && mem.lastStatusWrite !== undefined && writeAt - mem.lastStatusWrite < t.retryMs)
      after(t.retryMs - (writeAt - mem.lastStatusWrite));
    else if (storeOk) {
      const tookOver = () => delete mem.takeover;
      const wroteGroup = await lease
        .beforeDeadline(() => this.d.writer.group(snap, decision, input, lease.epoch, mem.takeover, host.report, tookOver), 0)
        .catch(() => true);
      const wroteResources = await lease
        .beforeDeadline(() => this.d.writer.resources(snap, decision, input, lease.holds, host.report), 0)
        .catch(() => true);
      // Only a write counts against the once-per-retryPeriod limit: a cycle that found nothing to write asks no
      // second cycle later (a standby would otherwise reconcile every group twice per retryPeriod).
      wrote = wroteGroup || wroteResources;
      if (wrote) mem.lastStatusWrite = writeAt;
    }
    this.d.metrics.leaseHeld.set({ group: key }, lease.holds ? 1 : 0);
    const watched = watchable(vips);
    const quickMs = checkIntervals(sites, snap.cluster).quickMs;
    const restFor = restMs({
      batched: this.renewals.available,
      listed: this.sharedReads.available,
      holds: lease.holds,
      peerHolds: !!l && l.holder !== '' && l.holder !== this.d.node && remainingMs > 0,
      storeOk,
      role: decision.role,
      actions: decision.actions.length,
      events: decision.events.length,
      settled: ok && !detecting && !decision.blocked,
      requeueAfterMs: requeue,
      wrote,
      pending: pendingFacts(mem),
      switchbackWatch: (group.spec.switchback ?? DEFAULT_SWITCHBACK) === 'Automatic' && betterMember(snap, this.d.node),
      clustered: snap.cluster !== undefined,
      mirrored: snap.mirrors.length > 0,
      retryMs: t.retryMs,
      untilChecksMs: lease.holds
        ? Math.min(mem.checks.nextQuick ?? 0, mem.checks.nextDeep ?? 0) - this.d.clock.monotonic()
        : watched
          ? MAX_REST_MS
          : quickMs,
    });
    if (restFor !== undefined) {
      this.rest.rest(key, restFor);
      const part = { sites: sites.map((x) => x.spec.siteName.toLowerCase()), addresses: [...addresses], quickMs };
      if (watched) this.rest.watch(key, part, host.report, mono);
    }
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }

  /**
   * A resting holder whose checks fall due, that nothing woke since its last full look (less than MAX_REST_MS ago)
   * and whose part of the host is as that look saw it: only the checks run. Undefined: look in full (a check
   * failed, the part changed, the host did not answer, the lease is past renewDeadline or not held).
   */
  private async checksOnly(key: string, snap: GroupSnapshot, lease: GroupLease, mem: GroupMemory, t: Timing) {
    const part = this.rest.part(key);
    const mono = this.d.clock.monotonic();
    if (!part || !lease.holds || lease.renewDeadlinePassed() || mono - part.fullAt >= MAX_REST_MS || pendingFacts(mem)) return undefined;
    const o = lease.callOptions(undefined, lease.epoch, t.renewDeadlineMs);
    try {
      if (!(await this.rest.unchanged(part, o, t.retryMs / 2))) return undefined;
    } catch {
      return undefined; // the full look says why
    }
    let again = false;
    const blind = await this.checks(lease, snap, mem, mono, false, () => (again = true));
    if (blind) return this.unobservable(snap, mem, lease, t, mono, blind);
    if (again || pendingFacts(mem)) return undefined; // a check failed: decide on it now
    this.d.metrics.looks.inc({ look: 'checks' });
    const now = this.d.clock.monotonic();
    const ms = Math.min(mem.checks.nextQuick ?? 0, mem.checks.nextDeep ?? 0, part.fullAt + MAX_REST_MS) - now;
    if (ms > t.retryMs) this.rest.rest(key, ms);
    return {};
  }

  /** Take an execution's answer into the group's memory (`after`: when it asks to come back). */
  private took(mem: GroupMemory, r: ExecutionResult, after: (ms: number) => void): { ok: boolean; detecting: boolean } {
    applyPatch(mem, r.patch);
    const detecting = r.detecting === true;
    if (detecting) mem.addressWaitSince ??= this.d.clock.monotonic();
    else delete mem.addressWaitSince;
    if (r.requeueAfterMs !== undefined) after(r.requeueAfterMs);
    return { ok: r.ok, detecting };
  }

  /** An execution threw: what it did before is remembered all the same, then the queue retries with backoff. */
  private threw(mem: GroupMemory, err: unknown): never {
    if (!(err instanceof StepError)) throw err;
    applyPatch(mem, err.patch);
    throw err.cause;
  }

  /**
   * The store answers again after a self-fence: say so in a Warning (it may have been out of service for long with
   * nothing in the store to tell why). A node taking the lease again waits for the outcome, to say how long it was out.
   */
  private async reportFence(
    mem: GroupMemory,
    snap: GroupSnapshot,
    decision: Decision,
    ok: boolean,
    holder: string,
    renewDeadlineMs: number,
    lease: GroupLease,
  ): Promise<void> {
    const f = mem.fence;
    if (!f) return;
    const now = this.d.clock.now();
    if (decision.role === 'active' && ok) f.servedAgainAt ??= now;
    else if (decision.role === 'candidate' && ok) return;
    delete mem.fence;
    const message = fenceMessage(f, { node: this.d.node, group: snap.group.metadata.name, holder, renewDeadlineMs, now });
    await lease.beforeDeadline(() => this.d.record(snap.group, 'Warning', 'Fenced', message, undefined, f.epoch), 0).catch(() => undefined);
    // One write per fence: the group's history outlives the Event (issue 18 item 2).
    const entry = fenceEntry(f, this.d.node, holder, renewDeadlineMs);
    await lease.beforeDeadline(() => this.d.writer.appendHistory(snap.group, [entry]), 0).catch(() => undefined);
  }

  private stateOf(key: string, snap: GroupSnapshot): GroupState {
    let g = this.groups.get(key);
    if (!g) {
      const [ns, name] = key.split('/') as [string, string];
      const deps = {
        leases: this.d.store.leases,
        node: this.d.node,
        clock: this.d.clock,
        log: this.d.log,
        health: this.d.health,
        wake: () => {
          this.woke(key);
          this.d.wake(key);
        },
        running: this.d.running,
        ...(this.sharedReads.available ? { sharedRead: this.sharedReads } : {}),
      };
      g = { lease: new GroupLease(deps, groupLeaseName(ns, name), timingOf(snap.cluster)), mem: newGroupMemory(checkPhase(key)) };
      this.groups.set(key, g);
    }
    return g;
  }

  private async checks(
    lease: GroupLease,
    snap: GroupSnapshot,
    mem: GroupMemory,
    mono: number,
    now: boolean,
    after: (ms: number) => void,
  ): Promise<string | undefined> {
    const deps = {
      driver: this.checkDriver,
      node: this.d.node,
      metrics: this.d.metrics,
      writer: this.d.writer,
      note: this.d.record,
      secrets: this.d.secrets,
    };
    // A check's host calls wait at most renewDeadline too (a deep check's probe has its own timeout); one the host
    // does not answer starts the blind count, so the next unanswered observation gives the group up in time.
    const o = lease.callOptions(undefined, 0, timingOf(snap.cluster).renewDeadlineMs);
    let failure: Awaited<ReturnType<typeof runDueChecks>>;
    try {
      failure = await runDueChecks(deps, snap.sites, snap.cluster, mem.checks, mono, o, now, mem.checkPhase);
      delete mem.checksUnansweredSince;
    } catch (err) {
      if (!isDriverError(err) || this.d.host.busy) throw err;
      // Checks the host never answers are no proof that it serves: past renewDeadline, the holder is blind.
      mem.checksUnansweredSince ??= mono;
      if (this.d.clock.monotonic() - mem.checksUnansweredSince < timingOf(snap.cluster).renewDeadlineMs) throw err;
      mem.unobservedSince = mem.checksUnansweredSince;
      delete mem.checksUnansweredSince;
      return `${err.code}: ${err.message} (health check)`;
    }
    if (failure) {
      mem.facts.failure = failure;
      after(0);
    }
  }

  /**
   * The host does not answer its own agent: nothing safe to decide (host-unobservable.ts). A read that waited
   * behind this agent's own long action (one PowerShell host runs one call at a time) proves the host busy, not
   * blind: the action's own deadline bounds it.
   */
  private unobservable(snap: GroupSnapshot, mem: GroupMemory, lease: GroupLease, t: Timing, mono: number, error: string) {
    if (this.d.host.busy) {
      delete mem.unobservedSince;
      return Promise.resolve({ requeueAfterMs: t.retryMs });
    }
    const c = { snap, mem, lease, timing: t, mono, error };
    return lease.holds ? blindHolder(this.d, c) : blindStandby(this.d, c);
  }

  /** This group's part of the host, from the observation all groups share (at most `maxAgeMs` old). */
  private async observeHost(
    snap: GroupSnapshot,
    o: ReturnType<GroupLease['callOptions']>,
    maxAgeMs: number,
    heldEpoch: number | undefined,
  ): Promise<{ facts: HostFacts; report: HostReport } | { failed: string }> {
    try {
      const sitesInfo = await this.d.host.sites(o, maxAgeMs);
      const addrs = await this.d.host.addresses(o, maxAgeMs);
      const probePorts = snap.vips.some((v) => probePortOf(v) !== undefined) ? await this.d.host.probeListeners(o, maxAgeMs) : [];
      const cloudHere = new Map<string, boolean | undefined>();
      for (const v of snap.vips) {
        if (!movedByApi(v) || heldEpoch === undefined || !this.cloud) continue;
        cloudHere.set(v.metadata.name, await this.cloud.here(v, interfaceFor(v, this.d.node), heldEpoch, o, CLOUD_CHECK_INTERVAL_MS));
      }
      const mirrors = new Map<string, MirrorLocal>();
      for (const m of snap.mirrors) {
        try {
          mirrors.set(m.metadata.name, observeMirror(await this.d.host.mirror(volumeLetter(m.spec.volume), o, maxAgeMs)));
        } catch {
          // unknown is not "no mirror" (docs/spec/seed003-datakeeper.md §10.6 invariant 6): leave it out of the view
        }
      }
      const facts: HostFacts = {
        sites: snap.sites.map((s) => observeSite(s, sitesInfo)),
        vips: snap.vips.map((v) => observeVip(v, addrs, probePorts, cloudHere.get(v.metadata.name))),
        mirrors,
      };
      return { facts, report: { sites: sitesInfo, addrs, mirrors } };
    } catch (err) {
      this.d.log.warn({ err: String(err) }, 'cannot observe this host');
      return { failed: isDriverError(err) ? `${err.code}: ${err.message}` : String(err) };
    }
  }
}
