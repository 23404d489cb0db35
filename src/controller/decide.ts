/**
 * decide(input) → Decision: the pure heart of the agent (design §3, §4).
 *
 * One node's view of one FailoverGroup in, that node's role and ordered
 * actions out, with a reason an operator understands. No I/O, no clock, no
 * randomness: the same input always gives the same decision (golden tests in
 * test/scheduler/, properties in test/controller/decide.property.test.ts).
 *
 * The shape of the cycle follows Patroni's HA loop: maintenance → split brain
 * → desired state → "I hold the lock" (stay, recover, or hand over) → "someone
 * else holds it" (standby) → "nobody holds it" (elect the best candidate,
 * after the safety check).
 */
import { DEFAULT_SWITCHBACK_DELAY_SECONDS } from '../api/defaults.js';
import { transientRetryDelayMs, transientRetryPolicy } from './transient-retry.js';
import type { Action, ActivationFailure, Decision, DecisionCondition, DecisionInput, MirrorView } from './decision-types.js';
import {
  bannedUntil,
  blockingDeactivation,
  clockTime,
  ineligibility,
  isAlive,
  membersByPriority,
  firstAlive,
  reporterWithoutHolder,
  type Ineligibility,
} from './candidacy.js';
import { isSplitBrain, mirrorStateName } from './mirror-gate.js';
import { gateBlock } from './gate-block.js';
import { safetyVerdict } from './safety-check.js';
import { groupConditions } from './decide-conditions.js';
import { activation, deactivation, describeSteps, loserPreparation, standbyDuties } from './decide-steps.js';

type Ev = Decision['events'][number];

export function decide(input: DecisionInput): Decision {
  const d = new DecisionBuilder(input);
  return d.run();
}

class DecisionBuilder {
  private readonly g: DecisionInput['group'];
  private readonly self: string;
  private readonly events: Ev[] = [];
  private readonly extraConditions: DecisionCondition[] = [];
  private blocked: true | undefined;

  constructor(private readonly input: DecisionInput) {
    this.g = input.group;
    this.self = input.self;
  }

  run(): Decision {
    const { input, g, self } = this;
    if (!g.nodes.some((n) => n.name === self)) {
      return this.result('standby', [], `${self} is not a node of ${g.name}; nothing to do`, '', false);
    }
    const maintenance = this.maintenanceReason();
    if (maintenance) {
      return this.result(
        'paused',
        [],
        `${g.name} is not managed on ${self}: ${maintenance}; no checks, recoveries or moves until it ends`,
        input.activeNode ?? '',
        this.holds(),
      );
    }
    this.reportSplitBrain();
    if (input.leaseLostBySelf) {
      return this.result(
        'fencing',
        deactivation(this.input),
        `${self} could not renew the lease of ${g.name} within renewDeadline: taking it out of service before the lease expires (self-fencing)`,
        '',
        false,
      );
    }
    if (g.desiredState === 'OutOfService') return this.outOfService();
    if (this.holds()) return this.asHolder();
    if (input.lease.holder !== '' && !input.lease.expired) return this.asStandbyOf(input.lease.holder);
    return this.election();
  }

  // ───────────── situations ─────────────

  private maintenanceReason(): string | undefined {
    if (this.input.clusterMaintenance) return 'the cluster is in maintenance';
    if (this.g.maintenance) return `group ${this.g.name} is in maintenance`;
    if (this.input.nodes[this.self]?.maintenance) return `node ${this.self} is in maintenance`;
    return undefined;
  }

  /** Each node that finds itself one of two sources says so (M4); nothing moves until an operator picks the survivor. */
  private reportSplitBrain(): void {
    const sw = this.input.switchover;
    if (sw?.force) return;
    for (const m of this.input.mirrors) {
      if (!isSplitBrain(m) || !m.claimedSources.includes(this.self)) continue;
      const who = [...new Set(m.claimedSources)].sort().join(' and ');
      this.events.push({
        type: 'Warning',
        reason: 'SplitBrain',
        message: `mirror ${m.volume}: is source on ${who} (split brain); nothing is moved automatically: choose the survivor with winha switchover ${this.g.name} --to NODE --force (the other side's changes are discarded)`,
      });
    }
  }

  private holds(): boolean {
    return this.input.lease.holder === this.self;
  }

  private outOfService(): Decision {
    const actions: Action[] = [...deactivation(this.input)];
    if (this.holds()) actions.push({ type: 'releaseLease', epoch: this.input.lease.epoch, reason: 'OutOfService' });
    const sw = this.input.switchover;
    if (sw && this.holds())
      actions.unshift({
        type: 'completeSwitchover',
        id: sw.id,
        outcome: 'Refused',
        message: `${this.g.name} is OutOfService; switchover refused`,
      });
    const reason = actions.length
      ? `${this.g.name} is desired OutOfService: ${this.self} releases its addresses and stops its sites (mirrors keep replicating)`
      : `${this.g.name} is desired OutOfService: nothing runs on ${this.self}`;
    return this.result(this.holds() ? 'releasing' : 'standby', actions, reason, '', this.holds() || this.isReporterWithoutHolder());
  }

  private asHolder(): Decision {
    const { input, g, self } = this;
    const epoch = input.lease.epoch;
    const local = input.local;
    const sw = input.switchover;

    // A failed bring-up or recovery: ban ourselves and hand the group on (IIS kit 9408; Pacemaker migration-threshold).
    const fatal = local.activationFailed ?? local.recoveryFailed;
    const lastNode = !local.recoveryFailed && local.activationFailed?.transient && this.nextAfter(self, true) === undefined;
    if (lastNode) {
      // The last eligible node is never banned for a transient error: it keeps the group and retries on a schedule.
      const wait = this.transientRetryWait(local.activationFailed!);
      if (wait) return wait;
    } else if (fatal) {
      const what = local.activationFailed ? 'bringing it into service' : 'local recovery';
      const leaving = this.leave('releasing', `${what} on ${self} failed (${fatal.code}: ${fatal.message})`, fatal.code, true);
      // A switchover to this node that failed here is over: closed, never retried by itself (issue 13 item 2).
      if (sw && sw.to === self) {
        const message = `switchover of ${g.name} to ${self}${sw.force ? ' (forced)' : ''} failed: ${what} failed (${fatal.code}: ${fatal.message})`;
        leaving.actions.unshift({ type: 'completeSwitchover', id: sw.id, outcome: 'Refused', message });
      }
      return leaving;
    }
    if (local.failure) {
      const f = local.failure;
      const windowStart = input.now - g.restartWindowSeconds * 1000;
      const recent = (input.history[self]?.restarts ?? []).filter((t) => t > windowStart).length;
      const check = f.check === 'quick' ? 'quickCheck' : 'deepCheck';
      if (f.localRecovery && recent < g.restartLimit) {
        return this.result(
          'active',
          [{ type: 'recoverSite', site: f.site, siteName: f.siteName, code: f.code, epoch }],
          `${check} of ${f.siteName} on ${self} failed (${f.code}: ${f.message}); local recovery ${recent + 1} of ${g.restartLimit} within ${g.restartWindowSeconds} s`,
          self,
          true,
        );
      }
      const why = f.localRecovery
        ? `${check} of ${f.siteName} on ${self} failed (${f.code}) and the restart limit (${g.restartLimit} in ${g.restartWindowSeconds} s) is reached`
        : `${check} of ${f.siteName} on ${self} failed (${f.code}) and local recovery is off`;
      return this.leave('releasing', why, f.code, true);
    }

    // An operator's switchover request.
    if (sw && sw.to !== self) {
      const refusal = this.switchoverRefusal(sw.to, sw.force);
      if (refusal) {
        this.events.push({ type: 'Warning', reason: 'SwitchoverRefused', message: refusal });
        return this.stayActive(
          [{ type: 'completeSwitchover', id: sw.id, outcome: 'Refused', message: refusal }],
          `switchover of ${g.name} to ${sw.to} refused: ${refusal}`,
        );
      }
      if (local.deactivationFailed) {
        const msg = `taking ${g.name} out of service on ${self} failed (${local.deactivationFailed.code}); switchover aborted, ${g.name} stays on ${self}`;
        this.events.push({ type: 'Warning', reason: 'SwitchoverAborted', message: msg, code: local.deactivationFailed.code });
        return this.stayActive([{ type: 'completeSwitchover', id: sw.id, outcome: 'Refused', message: msg }], msg);
      }
      return this.leave(
        'releasing',
        `operator requested a switchover to ${sw.to}${sw.force ? ' (forced)' : ''}`,
        undefined,
        false,
        'Switchover',
      );
    }

    // Automatic switchback: hand back to a better-priority node once its mirrors are Mirroring again (docs/spec/seed003-core.md §9 rule 3: never to a worse one).
    if (g.switchback === 'Automatic' && !local.deactivationFailed) {
      const mine = g.nodes.find((n) => n.name === self)!.priority;
      // Damping (issue 13 item 9): a node that keeps crashing and returning does not pull the group back each time.
      const settled = (n: string) =>
        (input.nodes[n]?.aliveForMs ?? Infinity) >= (g.switchbackDelaySeconds ?? DEFAULT_SWITCHBACK_DELAY_SECONDS) * 1000;
      const better = membersByPriority(input).find((n) => n.priority < mine && !ineligibility(input, n.name, false) && settled(n.name));
      if (better) {
        return this.leave(
          'releasing',
          `switchback is Automatic and ${better.name} (priority ${better.priority}) is back with its mirrors Mirroring`,
          undefined,
          false,
          'Switchback',
        );
      }
    }

    const resolution = sw && sw.to === self ? this.splitBrainResolution(sw.force) : { actions: [], waitingFor: [] };
    const decision = this.stayActive(resolution.actions, '');
    if (resolution.waitingFor.length > 0) {
      decision.reason += `; split brain: waiting for ${resolution.waitingFor.join(', ')} to give up the source role (PREPARETOBECOMETARGET)`;
    }
    if (sw && sw.to === self && decision.actions.length === 0 && resolution.waitingFor.length === 0) {
      decision.actions.push({
        type: 'completeSwitchover',
        id: sw.id,
        outcome: 'Done',
        message: `${g.name} is active on ${self} (epoch ${epoch})`,
      });
    }
    return decision;
  }

  /** The wait before the last eligible node's next bring-up after a transient failure; undefined once it is over. */
  private transientRetryWait(f: ActivationFailure): Decision | undefined {
    const { input, g, self } = this;
    // The schedule goes on from where the in-step retries stopped.
    const policy = transientRetryPolicy(g);
    const delayMs = transientRetryDelayMs(policy, policy.limit + (f.attempts ?? 1) - 1);
    const at = (f.at ?? input.now) + delayMs;
    if (input.now >= at) return undefined;
    const why = `bringing ${g.name} into service on ${self} failed with a transient error ${f.attempts ?? 1} time(s) in a row (${f.code}: ${f.message})`;
    const msg = `${why}; ${self} is the last eligible node, so it keeps ${g.name} and tries again at ${clockTime(at)}`;
    this.events.push({ type: 'Warning', reason: 'ActivationRetrying', message: msg, code: f.code });
    return this.result('active', [{ type: 'awaitRetry', at, code: f.code }], msg, self, true);
  }

  /** Stay the active node: bring whatever is missing into service, in order. */
  private stayActive(prefix: Action[], reason: string): Decision {
    const { input, g, self } = this;
    const epoch = input.lease.epoch;
    const forced = input.switchover?.to === self && input.switchover.force;
    const raised = this.extraConditions.length;
    const steps = activation(this.input, epoch, forced, this.extraConditions);
    const actions = [...prefix, ...steps];
    // Activation stopped at the mirror gate: holding is not serving (issue 13 item 4, a status that says something untrue).
    if (this.extraConditions.slice(raised).some((c) => c.type === 'PromotionBlocked')) this.blocked = true;
    const text =
      reason ||
      (this.blocked
        ? `${self} holds ${g.name} (epoch ${epoch}) but may not promote its copy: ${this.extraConditions[raised]!.message}`
        : steps.length
          ? `${self} holds ${g.name} (epoch ${epoch}) and brings it into service: ${describeSteps(steps)}`
          : `${self} holds ${g.name} (epoch ${epoch}) and serves it`);
    return this.result('active', actions, text, self, true);
  }

  /** Hand the group on: optionally ban ourselves, take everything out of service in reverse order, then release. */
  private leave(
    role: 'releasing',
    why: string,
    code: number | undefined,
    ban: boolean,
    kind: 'Failover' | 'Switchover' | 'Switchback' = 'Failover',
  ): Decision {
    const { input, g, self } = this;
    const actions: Action[] = [];
    if (ban && !g.autoFailover) {
      const msg = `${why}; autoFailover is off, so ${g.name} stays on ${self} as Failed`;
      this.extraConditions.push({
        type: 'Failed',
        status: 'True',
        reason: 'AutoFailoverDisabled',
        message: msg,
        ...(code !== undefined ? { code } : {}),
      });
      return this.result('active', [], msg, self, true);
    }
    if (ban) {
      const until = input.now + g.failureExpirySeconds * 1000;
      actions.push({ type: 'banSelf', until, code: code ?? 0, reason: why });
    }
    actions.push(...deactivation(this.input, true));
    actions.push({ type: 'releaseLease', epoch: input.lease.epoch, reason: kind });
    const next = this.nextAfter(self, ban);
    const then = next ? `${next} takes over` : `no other node is eligible, so ${g.name} will be Failed (OSF)`;
    if (!next)
      this.extraConditions.push({
        type: 'Failed',
        status: 'True',
        reason: 'NoEligibleNode',
        message: `${why}; no other node is eligible`,
        ...(code !== undefined ? { code } : {}),
      });
    return this.result(role, actions, `${self} hands ${g.name} on: ${why}; ${then}`, next ?? '', true);
  }

  private asStandbyOf(holder: string): Decision {
    const { input, g, self } = this;
    const actions = standbyDuties(this.input);
    const sw = input.switchover;
    const waiting = sw && sw.to === self ? `; waiting for ${holder} to hand it over (switchover requested)` : '';
    return this.result(
      'standby',
      actions,
      `${self} is standby for ${g.name}: ${holder} holds it (epoch ${input.lease.epoch})${waiting}`,
      holder,
      false,
    );
  }

  private election(): Decision {
    const { input, g, self } = this;
    const lease = input.lease;
    const sw = input.switchover;
    const previous = lease.holder;

    const blocker = blockingDeactivation(input);
    if (blocker) {
      const msg = `taking ${g.name} out of service on ${blocker} failed; nobody may activate it until ${blocker}'s lease expires`;
      this.extraConditions.push({ type: 'PromotionBlocked', status: 'True', reason: 'DeactivationFailed', message: msg, code: 9556 });
      return this.result('standby', standbyDuties(this.input), msg, '', this.isReporterWithoutHolder());
    }

    // Who may take it? A switchover request names the node (force passes the gate and the ban).
    const members = membersByPriority(input);
    const refused: Ineligibility[] = [];
    const eligible: string[] = [];
    for (const n of members) {
      const forced = !!sw && sw.force && sw.to === n.name;
      const why = ineligibility(input, n.name, forced);
      if (why) refused.push(why);
      else eligible.push(n.name);
    }
    let target: string | undefined;
    let how = '';
    if (sw && eligible.includes(sw.to)) {
      target = sw.to;
      how = `operator requested a switchover to ${sw.to}${sw.force ? ' with --force' : ''}`;
    } else if (
      g.switchback === 'Intelligent' &&
      previous !== '' &&
      lease.expired &&
      input.activeNode === previous &&
      eligible.includes(previous)
    ) {
      // Intelligent switchback is sticky: the node that served keeps it when it is still eligible.
      target = previous;
      how = `${previous} served it before and switchback is Intelligent`;
    } else if (eligible.length > 0) {
      target = eligible[0];
      how = `${target} is the best remaining priority`;
    }

    if (!target) return this.noCandidate(refused);

    if (target !== self) {
      return this.result(
        'standby',
        standbyDuties(this.input),
        `${self} waits: ${how}, not ${self}`,
        target,
        this.isReporterWithoutHolder(),
      );
    }

    const forced = !!sw && sw.force && sw.to === self;
    // LifeKeeper's safety check (docs/spec/seed003-core.md §4): an expired lease proves the agent silent, not the host stopped.
    const safety = safetyVerdict(input, previous, forced);
    if (safety.kind === 'probe') return this.result('candidate', safety.actions, safety.reason, self, true);
    if (safety.kind === 'blocked') {
      this.extraConditions.push(safety.condition);
      if (safety.event) this.events.push(safety.event);
      return this.result('standby', safety.actions, safety.reason, safety.target, true);
    }

    const expectedEpoch = previous === self ? lease.epoch : lease.epoch + 1;
    const kind =
      sw && sw.to === self
        ? 'Switchover'
        : previous === '' && input.activeNode === undefined
          ? 'Start'
          : this.isSwitchback(previous)
            ? 'Switchback'
            : 'Failover';
    const resolution = this.splitBrainResolution(forced, expectedEpoch);
    const actions: Action[] = [
      { type: 'acquireLease', expectedEpoch, reason: kind },
      ...resolution.actions,
      ...activation(this.input, expectedEpoch, forced, this.extraConditions),
    ];
    // A split brain is resolved only once the losers are targets again: the request stays until then.
    if (sw && sw.to === self && resolution.actions.length === 0 && resolution.waitingFor.length === 0)
      actions.push({
        type: 'completeSwitchover',
        id: sw.id,
        outcome: 'Done',
        message: `${g.name} switched over to ${self} (epoch ${expectedEpoch})`,
      });
    return this.result(
      'candidate',
      actions,
      `${self} takes over ${g.name}: ${this.why(previous)}; ${how}${this.mirrorClause()}`,
      self,
      true,
    );
  }

  /** A healthy worse-priority holder released the group to us under Automatic switchback (not a failure). */
  private isSwitchback(previous: string): boolean {
    const { input, g, self } = this;
    const from = input.activeNode;
    if (
      g.switchback !== 'Automatic' ||
      previous !== '' ||
      !from ||
      from === self ||
      !isAlive(input, from) ||
      bannedUntil(input, from) !== undefined
    )
      return false;
    const prio = (n: string) => g.nodes.find((x) => x.name === n)?.priority ?? Infinity;
    return prio(self) < prio(from);
  }

  private noCandidate(refused: Ineligibility[]): Decision {
    const { g, self } = this;
    const gated = refused.filter((r) => r.gate);
    const list = refused.map((r) => r.why).join('; ');
    const sw = this.input.switchover;
    if (sw && !refused.some((r) => r.node === sw.to && !r.gate) && this.isReporterWithoutHolder()) {
      // A non-forced request for a gated node: say so and drop it.
      const r = refused.find((x) => x.node === sw.to);
      if (r) {
        const msg = `switchover of ${g.name} to ${sw.to} refused: ${r.why}; use --force to accept losing data`;
        this.events.push({ type: 'Warning', reason: 'SwitchoverRefused', message: msg });
      }
    }
    if (gated.length > 0) {
      const reporter = this.isReporterWithoutHolder();
      const gates = gated.map((r) => r.gate!);
      const { reason, probe, lead } = gateBlock(this.input, gates, reporter);
      const msg = `${lead}no node may take ${g.name}: ${list}; waiting for the mirror or for winha switchover ${g.name} --to NODE --force`;
      this.extraConditions.push({ type: 'PromotionBlocked', status: 'True', reason, message: msg });
      return this.result('standby', [...probe, ...standbyDuties(this.input)], msg, '', reporter);
    }
    const msg = `no node is eligible to run ${g.name}: ${list}`;
    // The condition carries the cause's kit code (the first ban's), not only the events (issue 13 item 6).
    const code = refused.find((r) => r.code !== undefined)?.code;
    this.extraConditions.push({
      type: 'Failed',
      status: 'True',
      reason: 'NoEligibleNode',
      message: msg,
      ...(code !== undefined ? { code } : {}),
    });
    return this.result(
      'standby',
      standbyDuties(this.input),
      msg,
      '',
      refused.length === 0 ? false : this.isReporterWithoutHolder() || self === firstAlive(this.input),
    );
  }

  // ───────────── pieces ─────────────

  /** Why the lease is free, for the takeover sentence. */
  private why(previous: string): string {
    const lease = this.input.lease;
    if (previous === '') return this.input.activeNode ? `the lease was released` : `nobody holds it yet`;
    if (previous === this.self) return `${this.self} still holds its lease`;
    const at = lease.expiredAt !== undefined ? ` at ${clockTime(lease.expiredAt)}` : '';
    return `${previous}'s lease expired${at}`;
  }

  private mirrorClause(): string {
    const ms = this.input.mirrors.filter((m) => m.source !== undefined && m.source !== this.self);
    if (ms.length === 0) return '';
    return ' and its ' + ms.map((m) => `mirror ${m.volume}: was ${MIRROR_NAME(m.targets[this.self])}`).join(', ');
  }

  private switchoverRefusal(to: string, force: boolean): string | undefined {
    const why = ineligibility(this.input, to, force);
    if (!why) return undefined;
    return why.gate ? `${why.why}; use --force to accept losing data` : why.why;
  }

  /**
   * Split brain, resolved only by a forced switchover naming this node as the survivor (docs/spec/seed003-datakeeper.md
   * §9 rule 7, split-brain FAQ in docs/spec/seed003-dk-guide-troubleshooting.md §15: PREPARETOBECOMETARGET on the loser, then CONTINUEMIRROR on the winner). The survivor
   * waits while a loser still claims the source role, and continues the mirror once the loser has given it
   * up (prepared, role None): the continue takes the loser back as target and overwrites its changes.
   */
  private splitBrainResolution(forced: boolean, epoch = this.input.lease.epoch): { actions: Action[]; waitingFor: string[] } {
    const actions: Action[] = [];
    const waitingFor: string[] = [];
    if (!forced) return { actions, waitingFor };
    for (const m of this.input.mirrors) {
      if (m.local?.role !== 'source') continue;
      const losers = m.claimedSources.filter((n) => n !== this.self);
      if (losers.length > 0) {
        waitingFor.push(...losers.filter((n) => !waitingFor.includes(n)));
        continue;
      }
      if ((m.preparedTargets ?? []).length > 0) {
        actions.push({ type: 'continueMirror', mirror: m.name, volume: m.volume, epoch });
      }
    }
    return { actions, waitingFor };
  }

  private nextAfter(leaving: string, _banned: boolean): string | undefined {
    const input = this.input;
    const sw = input.switchover;
    for (const n of membersByPriority(input)) {
      if (n.name === leaving) continue;
      if (!ineligibility(input, n.name, !!sw && sw.force && sw.to === n.name)) return sw && sw.to !== leaving ? sw.to : n.name;
    }
    return undefined;
  }

  /** With no live holder, one node writes the group status (see reporterWithoutHolder). */
  private isReporterWithoutHolder(): boolean {
    return reporterWithoutHolder(this.input) === this.self;
  }

  // ───────────── result ─────────────

  private result(role: Decision['role'], actions: Action[], reason: string, target: string, reportsStatus: boolean): Decision {
    // Split-brain resolution on a loser (forced switchover to another node): give up the source role after the sites stopped.
    const loser = loserPreparation(this.input, this.self, this.events);
    if (loser.length) {
      const at = actions.findIndex((a) => a.type === 'releaseLease');
      actions = at < 0 ? [...actions, ...loser] : [...actions.slice(0, at), ...loser, ...actions.slice(at)];
    }
    return {
      role,
      actions,
      reason,
      target,
      conditions: groupConditions(this.input, {
        role,
        actions,
        target,
        extra: this.extraConditions,
        maintenance: this.maintenanceReason(),
        ...(this.blocked ? { blocked: this.blocked } : {}),
      }),
      reportsStatus,
      events: this.events,
      ...(this.blocked ? { blocked: this.blocked } : {}),
    };
  }
}

function MIRROR_NAME(state: number | undefined): string {
  return mirrorStateName(state).replace(/ \(\d+\)$/, '');
}

export type { MirrorView };
