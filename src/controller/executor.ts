/**
 * The executor: runs a Decision's actions in order on this node, while the group lease is renewed in the
 * background. Before each activation it asks the lease whether it may (E6: only under the epoch held now, never
 * past renewDeadline); a failed step stops the rest. Each kind's steps are its reconciler's (src/reconcilers);
 * what happened comes back as a result (ok, when to reconcile again, what to remember), never as shared state.
 */
import { DEFAULT_SAFETY_PROBE_TIMEOUT_SECONDS } from '../api/defaults.js';
import type { FailoverGroup } from '../api/types.js';
import { isDriverError } from '../drivers/types.js';
import type { HostDriver } from '../drivers/types.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/types.js';
import * as site from '../reconcilers/iis-site.js';
import * as mirror from '../reconcilers/mirror.js';
import * as vip from '../reconcilers/virtual-ip.js';
import { KitFailure, type Note, type StepContext } from '../reconcilers/types.js';
import { asyncPromotionMessage } from './async-failover.js';
import type { GroupSnapshot } from './decision-input.js';
import type { Action, ActionType, ActivationFailure, Decision, DecisionInput } from './decision-types.js';
import { emptyPatch, type MemoryPatch } from './group-memory.js';
import type { GroupLease } from './lease/group-lease.js';
import type { CloudObservation } from './cloud-observation.js';
import type { AgentLogger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import type { StatusWriter } from './status/writer.js';
import { banEntry, type HistoryEntry } from './status/group-history.js';
import type { Timing } from './timing.js';
import { transientRetryDelayMs, transientRetryPolicy } from './transient-retry.js';

export interface ExecutorDeps {
  node: string;
  store: Store;
  driver: HostDriver;
  clock: Clock;
  log: AgentLogger;
  metrics: AgentMetrics;
  writer: StatusWriter;
  /** Record an Event (never throws). */
  record: Note;
  /** Where the cloud routes API-moved addresses, and how to take them (absent: no cloud). */
  cloud?: CloudObservation;
}

export interface ExecuteRequest {
  key: string;
  snapshot: GroupSnapshot;
  decision: Decision;
  input: DecisionInput;
  lease: GroupLease;
  timing: Timing;
  /** Since when (monotonic) this group has waited for duplicate address detection of an address it added. */
  addressWaitSince?: number | undefined;
  /** Called before a long wait (a switchover, a retry's backoff): the caller may stop waiting and free its worker. */
  detach?: () => void;
}

export interface ExecutionResult {
  /** Every action ran. */
  ok: boolean;
  /** Not every action ran because an address is still in duplicate address detection: nothing failed. */
  detecting?: true;
  /** Reconcile the group again after this many ms (undefined: at the next beat). */
  requeueAfterMs?: number;
  /** What the agent should remember (applied even when a step threw). */
  patch: MemoryPatch;
}

/** A step that threw something other than a kit failure; carries what was done before it. */
export class StepError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly patch: MemoryPatch,
  ) {
    super(String(cause));
  }
}

/** A failed step is tried again no sooner than this (a failing fence must not spin: issue 13 item 8). */
export const FAILURE_RETRY_FLOOR_MS = 250;

/** How often a group waiting for duplicate address detection comes back (Windows detects in about a second). */
export const ADDRESS_POLL_MS = 200;

/**
 * An address still Tentative this long after it was added will not settle (a disconnected interface keeps it so):
 * the bring-up fails (9408) rather than wait for ever or start a site on it.
 */
export const ADDRESS_DETECTION_LIMIT_MS = 10_000;

const ACTIVATING: ReadonlySet<ActionType> = new Set<ActionType>([
  'promoteMirror',
  'addVip',
  'startSite',
  'openProbe',
  'createMirror',
  'recoverSite',
  'continueMirror',
]);

/** The steps still run while an address of the group is in duplicate address detection. */
const AROUND_DETECTION: ReadonlySet<ActionType> = new Set<ActionType>(['addVip', 'awaitAddress', 'completeSwitchover']);

/** One run's state, handed to each step. */
interface Run {
  req: ExecuteRequest;
  group: FailoverGroup;
  ctx: StepContext;
  patch: MemoryPatch;
  requeue: boolean;
  deactivating: boolean;
  /** Addresses added (or found) still in duplicate address detection: later steps wait for the next cycle. */
  detecting: string[];
}

type Stop = { stop: Omit<ExecutionResult, 'patch'> };
type Step<T extends ActionType> = (a: Extract<Action, { type: T }>, run: Run) => Promise<Stop | void>;

export class Executor {
  private readonly steps: { [T in ActionType]: Step<T> };

  constructor(private readonly d: ExecutorDeps) {
    this.steps = this.buildSteps();
  }

  /** Run the decided actions while the group lease is renewed in the background (GroupLease.whileRenewing). */
  execute(req: ExecuteRequest): Promise<ExecutionResult> {
    return req.lease.whileRenewing(() => this.run(req));
  }

  private async run(req: ExecuteRequest): Promise<ExecutionResult> {
    const { decision, lease } = req;
    const group = req.snapshot.group;
    // Self-fencing must not wait for the store (likely what failed): its events go in the background; other
    // events are waited for only until renewDeadline (a holder's silent store must not delay its fence).
    const note: Note = (...args) => {
      const w = this.d.record(...args);
      return decision.role === 'fencing' ? Promise.resolve() : lease.beforeDeadline(() => w, 0).catch(() => undefined);
    };
    const run: Run = {
      req,
      group,
      patch: emptyPatch(),
      requeue: false,
      deactivating: false,
      detecting: [],
      ctx: { driver: this.d.driver, node: this.d.node, note, epoch: 0, o: lease.callOptions(0) },
    };
    // Fencing takes the group out of service on purpose: a site found down after it is our doing, not a failed
    // check; should the lease still be ours when the store answers again, the holder brings the group back.
    if (decision.role === 'fencing') run.patch.served = false;
    for (const a of decision.actions) {
      // Nothing more starts on an address in detection; the request that moved the lease to us is done all the same.
      if (run.detecting.length > 0 && !AROUND_DETECTION.has(a.type)) continue;
      const epoch = 'epoch' in a ? a.epoch : req.input.lease.epoch;
      if (ACTIVATING.has(a.type)) {
        const refused = await this.unlicensed(a, run, epoch);
        if (refused) return { ...refused.stop, patch: run.patch };
      }
      run.ctx = { ...run.ctx, epoch, o: lease.callOptions(epoch), ...this.cloudOf(run, epoch) };
      try {
        const stop = await this.withTransientRetries(a, run);
        if (stop) return { ...stop.stop, patch: run.patch };
      } catch (err) {
        const stop = await this.failed(a, err, run);
        if (stop) return { ...stop.stop, patch: run.patch };
        throw new StepError(err, run.patch);
      }
    }
    // The worker is free meanwhile: the group comes back when detection should be over (the sites start then).
    if (run.detecting.length > 0) return { ok: false, detecting: true, requeueAfterMs: ADDRESS_POLL_MS, patch: run.patch };
    // Cleared by a deactivation that succeeded, or by a standby's cycle that left nothing serving here (its drift
    // stops all succeeded): a failed stop that later succeeds must not block every other node for ever.
    if ((run.deactivating || !lease.holds) && req.input.local.deactivationFailed) {
      run.patch.facts.deactivationFailed = null;
      await this.history(run, (h) => {
        const { deactivationFailed: _d, ...rest } = h;
        return rest;
      });
    }
    const again =
      run.requeue ||
      decision.actions.some((a) => a.type === 'acquireLease' || a.type === 'releaseLease' || a.type === 'completeSwitchover');
    return { ok: true, ...(again ? { requeueAfterMs: 0 } : {}), patch: run.patch };
  }

  /**
   * E6: an activation only under the lease epoch held now (a lease lost during a long call, seen by the background
   * renewer, stops the bring-up at the next step), and never past renewDeadline without a renewal (the watchdog has
   * queued the group, whose next cycle fences).
   */
  private async unlicensed(a: Action, run: Run, epoch: number): Promise<Stop | undefined> {
    const { lease } = run.req;
    const may = lease.mayActivate(epoch);
    if (may.ok) return undefined;
    if (may.why === 'staleEpoch') {
      const held = lease.epoch === undefined ? 'no lease' : `epoch ${lease.epoch}`;
      await run.ctx.note(run.group, 'Warning', 'StaleEpochRefused', `refused ${a.type} with epoch ${epoch}: ${this.d.node} holds ${held}`);
    } else {
      const renewDeadlineMs = run.req.timing.renewDeadlineMs;
      this.d.log.warn(
        { group: run.req.key, action: a.type, epoch, renewDeadlineMs },
        `${a.type} not begun: the lease was not renewed within renewDeadline`,
      );
    }
    return { stop: { ok: false, requeueAfterMs: FAILURE_RETRY_FLOOR_MS } };
  }

  /** A step threw: a kit failure or a failed activation stops the bring-up; a failed deactivation blocks others. */
  private async failed(a: Action, err: unknown, run: Run): Promise<Stop | undefined> {
    const { group } = run;
    const { note, epoch } = run.ctx;
    const floor: Stop = { stop: { ok: false, requeueAfterMs: FAILURE_RETRY_FLOOR_MS } };
    if (err instanceof KitFailure) {
      run.patch.facts.activationFailed = this.activationFailure(run, err.code, err.message, err.transient);
      await note(group, 'Warning', err.reason, err.message, err.endCode ?? err.code, epoch);
      return floor;
    }
    if (ACTIVATING.has(a.type)) {
      run.patch.facts.activationFailed = this.activationFailure(run, 9408, `${a.type} failed: ${String(err)}`, isTransient(err));
      await note(group, 'Warning', 'ActivationFailed', `${a.type} on ${this.d.node} failed: ${String(err)}`, 9408, epoch);
      return floor;
    }
    if (a.type === 'removeVip' || a.type === 'stopSite' || a.type === 'closeProbe') {
      run.patch.facts.deactivationFailed = { code: 9556, message: String(err) };
      return floor;
    }
    return undefined;
  }

  /** The step context's cloud claim: under `epoch`, asked of the lease before every call (a stale holder moves nothing). */
  private cloudOf(run: Run, epoch: number): Pick<StepContext, 'claimCloud'> {
    const cloud = this.d.cloud;
    if (!cloud) return {};
    const guard = () => Promise.resolve(run.req.lease.mayActivate(epoch).ok);
    return {
      claimCloud: (v) => cloud.claim(v, vip.interfaceFor(v, this.d.node), epoch, guard, run.ctx.o),
    };
  }

  /** A failed bring-up to remember; transient ones count in a row, for the last eligible node's retry schedule. */
  private activationFailure(run: Run, code: number, message: string, transient: boolean): ActivationFailure {
    if (!transient) return { code, message };
    const before = run.req.input.local.activationFailed;
    const attempts = (before?.transient ? (before.attempts ?? 1) : 0) + 1;
    return { code, message, transient: true, attempts, at: this.d.clock.now() };
  }

  /**
   * Run one step; an activation step that fails with a transient driver error is tried again on this node after
   * a backoff (the group's transientRetryDelaySeconds, doubled each time), up to transientRetryLimit times, each
   * retry a Warning event. The lease is asked again before each retry: a lost term ends the bring-up.
   */
  private async withTransientRetries(a: Action, run: Run): Promise<Stop | void> {
    const step = this.steps[a.type] as Step<ActionType>;
    if (!ACTIVATING.has(a.type)) return step(a, run);
    const policy = transientRetryPolicy(run.group.spec.failurePolicy);
    const limit = policy.limit;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step(a, run);
      } catch (err) {
        if (attempt >= limit || !(isTransient(err) || (err instanceof KitFailure && err.transient))) throw err;
        const why = err instanceof Error ? err.message : String(err);
        const msg = `${a.type} on ${this.d.node} failed with a transient error (${why}); retrying on ${this.d.node} with backoff, up to ${limit} times`;
        await run.ctx.note(run.group, 'Warning', 'TransientFailure', msg, err instanceof KitFailure ? err.code : undefined, run.ctx.epoch);
        run.req.detach?.();
        await this.d.clock.sleep(Math.max(FAILURE_RETRY_FLOOR_MS, transientRetryDelayMs(policy, attempt)));
        const refused = await this.unlicensed(a, run, run.ctx.epoch);
        if (refused) return refused;
      }
    }
  }

  private async history(run: Run, f: Parameters<StatusWriter['ownHistory']>[1], entry?: HistoryEntry): Promise<void> {
    const written = await this.d.writer.ownHistory(run.group, f, undefined, entry);
    // Until the cache shows it, decide on what was just written: a node that banned itself must not win the
    // election it triggers by releasing.
    if (written) run.patch.ownHistory = written;
  }

  /**
   * Record this node as source of `mirrors` before anything serves on them (other nodes' gates read it). A store
   * that refuses is no failure of this node (no ban): stop, and try the group again a beat later.
   */
  private async sourceOnRecord(run: Run, mirrors: GroupSnapshot['mirrors']): Promise<Stop | undefined> {
    for (const m of mirrors) {
      try {
        await run.req.lease.beforeDeadline(() => mirror.recordSource(this.d.store.objects, m, this.d.node, run.ctx.epoch));
      } catch (err) {
        this.d.log.warn(
          { group: run.req.key, mirror: m.metadata.name, err: String(err) },
          'mirror source not on record yet; serving waits for it',
        );
        return { stop: { ok: false, requeueAfterMs: run.req.timing.retryMs } };
      }
    }
    return undefined;
  }

  private buildSteps(): { [T in ActionType]: Step<T> } {
    const find = <T extends { metadata: { name: string } }>(list: T[], name: string): T => list.find((x) => x.metadata.name === name)!;
    return {
      acquireLease: async (a, run) => {
        const { req } = run;
        const r = await req.lease.acquire(a.expectedEpoch);
        if (!r.won) {
          this.d.log.info(
            { group: req.key, expected: a.expectedEpoch, got: r.lease.epoch, holder: r.lease.holder },
            'lost the election race',
          );
          return { stop: { ok: false } };
        }
        run.patch.served = false; // a new term: nothing served under it yet
        run.patch.takeover = {
          node: req.input.lease.holder || req.input.activeNode || '',
          detectedAt: this.d.clock.now(),
          reason: a.reason,
          why: req.decision.reason,
        };
        if (a.reason === 'Failover') this.d.metrics.failovers.inc({ group: req.key });
        await run.ctx.note(run.group, 'Normal', a.reason === 'Start' ? 'Elected' : a.reason, req.decision.reason, undefined, r.lease.epoch);
      },
      releaseLease: async (_a, run) => {
        await run.req.lease.release();
        Object.assign(run.patch.facts, { activationFailed: null, recoveryFailed: null, failure: null });
        run.patch.takeover = null;
        await run.ctx.note(run.group, 'Normal', 'Released', run.req.decision.reason);
      },
      safetyCheck: async (a, run) => {
        // Its own budget, not the operation's: a probe that cannot answer in time is unknown (issue 15 item 2).
        const seconds = run.req.snapshot.cluster?.spec?.safetyCheck?.probeTimeoutSeconds ?? DEFAULT_SAFETY_PROBE_TIMEOUT_SECONDS;
        const address = run.req.snapshot.cluster?.spec.nodes.find((n) => n.name === a.previous)?.address;
        const r = await vip.probePreviousActive(this.d.driver, run.req.snapshot.vips, a.previous, run.ctx.o, seconds * 1000, address);
        run.patch.facts.safetyCheck = { epoch: run.req.input.lease.epoch, at: this.d.clock.now(), ...r };
        run.requeue = true;
      },
      markUnsupervised: async (a, run) => {
        const ns = run.group.metadata.namespace ?? 'default';
        for (const name of a.mirrors) {
          const m = find(run.req.snapshot.mirrors, name);
          if (!(await mirror.markUnsupervised(this.d.store.objects, ns, name, a.node))) continue;
          const vol = mirror.volumeLetter(m.spec.volume);
          const msg = `${a.node} serves ${run.group.metadata.name} past its lease with no agent recording ${vol}: its recorded mirror state no longer counts; no target is promoted without --force until ${a.node}'s agent records it again`;
          await run.ctx.note(m, 'Warning', 'MirrorStateUnknown', msg);
        }
      },
      promoteMirror: async (a, run) => {
        const m = find(run.req.snapshot.mirrors, a.mirror);
        run.req.detach?.(); // 30–40 s when the old source does not answer
        await this.d.driver.switchoverMirror(a.volume, a.force, run.ctx.o);
        const stop = await this.sourceOnRecord(run, [m]);
        if (stop) return stop;
        const warning = a.asyncRisk ? asyncPromotionMessage(this.d.node, a.volume, a.asyncRisk) : undefined;
        await mirror.notePromoted(run.ctx, m, a.volume, a.force, warning);
      },
      createMirror: async (a, run) => {
        const m = find(run.req.snapshot.mirrors, a.mirror);
        // Adding targets keeps the source on record as it is (its epoch is when it became source).
        const record = a.add ? async () => undefined : () => mirror.recordSource(this.d.store.objects, m, this.d.node, a.epoch);
        await mirror.createMirror(run.ctx, m, a.volume, a.targets, record);
      },
      addVip: async (a, run) => {
        // Nothing serves on a mirror whose source role is not on record yet (see sourceOnRecord).
        const { input, snapshot } = run.req;
        const unrecorded = input.mirrors
          .filter((mv) => mv.local?.role === 'source' && mv.source !== this.d.node)
          .map((mv) => find(snapshot.mirrors, mv.name));
        const stop = await this.sourceOnRecord(run, unrecorded);
        if (stop) return stop;
        if ((await vip.addVip(run.ctx, find(snapshot.vips, a.vip))).detecting) run.detecting.push(a.address);
      },
      awaitAddress: async (a, run) => {
        const since = run.req.addressWaitSince;
        const waited = since === undefined ? 0 : this.d.clock.monotonic() - since;
        if (waited < ADDRESS_DETECTION_LIMIT_MS) {
          run.detecting.push(a.address);
          return;
        }
        await this.d.driver.removeVirtualIp(a.address, run.ctx.o);
        const msg = `virtual IP ${a.address} was still Tentative ${Math.round(waited / 1000)} s after it was added on ${this.d.node}: duplicate address detection did not finish (is the interface connected?); removed it`;
        throw new KitFailure(9408, msg, 'AddressDetectionTimeout', undefined, true);
      },
      startSite: async (a, run) => {
        await site.startSite(run.ctx, find(run.req.snapshot.sites, a.site));
      },
      stopSite: async (a, run) => {
        run.deactivating = a.why === 'deactivate' || run.deactivating;
        const r = await site.stopSite(run.ctx, find(run.req.snapshot.sites, a.site), a.why === 'standbyDrift');
        if (r.ok) return;
        run.patch.facts.deactivationFailed = { code: r.codes[0] ?? 9556, message: r.message };
        await this.history(run, (h) => ({ ...h, deactivationFailed: true }));
        return { stop: { ok: false, requeueAfterMs: FAILURE_RETRY_FLOOR_MS } };
      },
      openProbe: async (a, run) => {
        await this.d.driver.setProbeListener(a.port, true, run.ctx.o);
        await run.ctx.note(
          find(run.req.snapshot.vips, a.vip),
          'Normal',
          'ProbeAnswered',
          `${this.d.node} answers the load balancer probe on port ${a.port}`,
          undefined,
          run.ctx.epoch,
        );
      },
      closeProbe: async (a, run) => {
        run.deactivating = a.why === 'deactivate' || run.deactivating;
        await this.d.driver.setProbeListener(a.port, false, run.ctx.o);
      },
      removeVip: async (a, run) => {
        await vip.removeVip(run.ctx, find(run.req.snapshot.vips, a.vip), a.address, a.why === 'standbyDrift');
      },
      disableAutoStart: async (a, run) => {
        await this.d.driver.setServerAutoStart(a.siteName, false, run.ctx.o);
      },
      recoverSite: async (a, run) => {
        run.patch.facts.failure = null;
        await this.history(run, (h) => ({ ...h, restarts: [...(h.restarts ?? []), this.d.clock.now()].slice(-20) }));
        const r = await site.recoverSite(run.ctx, find(run.req.snapshot.sites, a.site), a.code);
        if (!r.ok) {
          run.patch.facts.recoveryFailed = { code: r.codes[0] ?? 9606, message: r.message };
          run.requeue = true;
        }
      },
      banSelf: async (a, run) => {
        const ban = banEntry(this.d.node, a, run.req.input.lease.epoch, this.d.clock.now());
        await this.history(run, (h) => ({ ...h, bannedUntil: a.until, ...(a.code ? { banCode: a.code } : {}), banReason: a.reason }), ban);
        const msg = `${this.d.node} may not run ${run.group.metadata.name} until ${new Date(a.until).toISOString()} (winha clear lifts it): ${a.reason}`;
        await run.ctx.note(run.group, 'Warning', 'Banned', msg, a.code || undefined);
      },
      awaitRetry: (a) => {
        // The retry is the next bring-up, when this wait is over (decide() plans it then).
        return Promise.resolve({ stop: { ok: false, requeueAfterMs: Math.max(FAILURE_RETRY_FLOOR_MS, a.at - this.d.clock.now()) } });
      },
      prepareToBecomeTarget: async (a, run) => {
        await mirror.becomeTarget(run.ctx, find(run.req.snapshot.mirrors, a.mirror), a.volume);
      },
      continueMirror: async (a, run) => {
        const losers = run.req.input.mirrors.find((x) => x.name === a.mirror)?.preparedTargets ?? [];
        await mirror.continueMirror(run.ctx, find(run.req.snapshot.mirrors, a.mirror), a.volume, losers);
      },
      completeSwitchover: async (a, run) => {
        await this.d.writer.clearSwitchover(run.group, a.id);
        const done = a.outcome === 'Done';
        await run.ctx.note(run.group, done ? 'Normal' : 'Warning', done ? 'SwitchoverDone' : 'SwitchoverRefused', a.message);
      },
    };
  }
}

function isTransient(err: unknown): boolean {
  return isDriverError(err) && err.transient;
}
