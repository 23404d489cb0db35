/** The decision's action lists: bringing a group into service, taking it out, and standby duties. */
import type { Action, Decision, DecisionCondition, DecisionInput, VipLocal } from './decision-types.js';
import { isSplitBrain, mirrorGate } from './mirror-gate.js';
import { asyncRefusal, asyncRisk } from './async-failover.js';
import { isAlive, membersByPriority } from './candidacy.js';

/**
 * Deactivation (a fence, a hand-over, OutOfService): VIPs first, then sites (issue 15). Removing an address is one
 * quick call and clients stop reaching this node at once; a site stop may take up to 10 checks, and a fence must
 * not let it outrun the few seconds between renewDeadline and lease expiry with the address still up (nor may a
 * site stuck in stopping keep it up). The mirror stays source until a new node takes it over, and that node's
 * promotion locks the volume only once the sites here have stopped (the lease is released after them).
 * `handOver`: the holder leaves, so a site missing from IIS still gets the kit's remove (it warns 9563 and succeeds, H3).
 */
export function deactivation(input: DecisionInput, handOver = false): Action[] {
  const epoch = input.lease.epoch;
  const out: Action[] = closeProbes(input, 'deactivate');
  for (const v of input.local.vips)
    if (v.present) out.push({ type: 'removeVip', vip: v.name, address: v.address, epoch, why: 'deactivate' });
  for (const s of input.local.sites)
    if (s.started || (handOver && !s.exists)) out.push({ type: 'stopSite', site: s.name, siteName: s.siteName, epoch, why: 'deactivate' });
  return out;
}

/** Standby duties (docs/spec/seed-iis.md §14.5): VIP absent, site Stopped with serverAutoStart off; drift is undone (VIP first, as a fence). */
export function standbyDuties(input: DecisionInput): Action[] {
  const epoch = input.lease.epoch;
  const out: Action[] = closeProbes(input, 'standbyDrift');
  for (const v of input.local.vips)
    if (v.present) out.push({ type: 'removeVip', vip: v.name, address: v.address, epoch, why: 'standbyDrift' });
  for (const s of input.local.sites)
    if (s.started) out.push({ type: 'stopSite', site: s.name, siteName: s.siteName, epoch, why: 'standbyDrift' });
  for (const s of input.local.sites)
    if (s.exists && s.serverAutoStart) out.push({ type: 'disableAutoStart', site: s.name, siteName: s.siteName, epoch });
  return out;
}

export function describeSteps(steps: Action[]): string {
  return steps
    .map((a) => {
      switch (a.type) {
        case 'promoteMirror':
          return `make ${a.volume}: source${a.force ? ' (forced)' : ''}`;
        case 'addVip':
          return `add ${a.address}`;
        case 'awaitAddress':
          return `wait for duplicate address detection on ${a.address}`;
        case 'startSite':
          return `start ${a.siteName}`;
        case 'openProbe':
          return `answer the load balancer probe on ${a.port}`;
        case 'disableAutoStart':
          return `turn serverAutoStart off for ${a.siteName}`;
        case 'createMirror':
          return `create the mirror of ${a.volume}:`;
        case 'continueMirror':
          return `continue the mirror of ${a.volume}:`;
        default:
          return a.type;
      }
    })
    .join(', ');
}

/** Open probe listeners to close, before anything else leaves (the load balancer must stop choosing this node first). */
function closeProbes(input: DecisionInput, why: 'deactivate' | 'standbyDrift'): Action[] {
  const epoch = input.lease.epoch;
  return input.local.vips
    .filter((v) => v.probe?.open)
    .map((v) => ({ type: 'closeProbe' as const, vip: v.name, port: v.probe!.port, epoch, why }));
}

/**
 * A VIP serves only once duplicate address detection is over and found no conflict (VipLocal.state), and, for a
 * cloud-routed one, once the cloud sends its traffic here (an Elastic IP is not on the host at all).
 */
export function vipAnswers(v: VipLocal): boolean {
  const onHost = v.cloud?.local === false || (v.present && (v.state === undefined || v.state === 'Preferred' || v.state === 'Deprecated'));
  return onHost && (v.cloud === undefined || v.cloud.here === true);
}

/** An address on this host whose duplicate address detection is not over (the add was made; only its outcome is awaited). */
function inDetection(v: VipLocal): boolean {
  return v.present && v.state === 'Tentative' && v.cloud?.local !== false;
}

/** Activation in dependency order: mirror source → VIP → site (design §4 Ordering), only what is missing. */
export function activation(input: DecisionInput, epoch: number, forced: boolean, raised: DecisionCondition[]): Action[] {
  const { local } = input;
  const self = input.self;
  const g = input.group;
  const out: Action[] = [];
  for (const m of input.mirrors) {
    if (m.local?.role !== 'target') continue;
    const gate = mirrorGate(m, self);
    const refusal = gate.ok ? asyncRefusal(input, m, self) : undefined;
    if ((!gate.ok || refusal) && !forced) {
      // Even the lease holder never promotes through the gate (its copy may be stale since it
      // took the lease): nothing after the mirror may start either, so activation stops here.
      const why = gate.ok ? refusal! : gate;
      raised.push({
        type: 'PromotionBlocked',
        status: 'True',
        reason: why.reason,
        message: `${why.message}; ${g.name} waits on ${self} for \`winha switchover ${g.name} --to ${self} --force\``,
      });
      return [];
    }
    const risk = asyncRisk(input, m, self);
    out.push({
      type: 'promoteMirror',
      mirror: m.name,
      volume: m.volume,
      force: forced && !gate.ok,
      epoch,
      ...(risk ? { asyncRisk: forced ? { ...risk, forced: true } : risk } : {}),
    });
  }
  const detecting = local.vips.filter(inDetection);
  for (const v of local.vips) if (!vipAnswers(v) && !inDetection(v)) out.push({ type: 'addVip', vip: v.name, address: v.address, epoch });
  // Nothing starts on an address still in duplicate address detection (a site bound to it fails 9706).
  if (detecting.length > 0)
    return [...out, ...detecting.map((v) => ({ type: 'awaitAddress' as const, vip: v.name, address: v.address, epoch }))];
  for (const s of local.sites) if (!s.started) out.push({ type: 'startSite', site: s.name, siteName: s.siteName, epoch });
  for (const v of local.vips) if (v.probe && !v.probe.open) out.push({ type: 'openProbe', vip: v.name, port: v.probe.port, epoch });
  for (const s of local.sites)
    if (s.exists && s.serverAutoStart) out.push({ type: 'disableAutoStart', site: s.name, siteName: s.siteName, epoch });
  out.push(...mirrorCreation(input, epoch));
  return out;
}

/**
 * Mirrors to create, after the site runs (not in the critical path): a volume never mirrored yet gets a mirror to
 * every live other endpoint; the source adds one to each endpoint that has none (one that was down, multi-target).
 */
function mirrorCreation(input: DecisionInput, epoch: number): Action[] {
  const self = input.self;
  const out: Action[] = [];
  for (const m of input.mirrors) {
    // In priority order, so the decision does not depend on the order the manifest lists the nodes in.
    const endpoints = membersByPriority(input)
      .map((n) => n.name)
      .filter((n) => n !== self && isAlive(input, n));
    if (m.local?.role === 'none' && (m.source === undefined || m.source === self) && m.claimedSources.length === 0) {
      if (endpoints.length > 0) out.push({ type: 'createMirror', mirror: m.name, volume: m.volume, epoch, targets: endpoints });
    } else if (m.local?.role === 'source' && m.source === self && !isSplitBrain(m) && (m.unmirrored ?? []).length > 0) {
      const targets = endpoints.filter((n) => m.unmirrored!.includes(n));
      if (targets.length > 0) out.push({ type: 'createMirror', mirror: m.name, volume: m.volume, epoch, targets, add: true });
    }
  }
  return out;
}

/** Split-brain resolution on a loser (a forced switchover chose another node): give up the source role, said loudly. */
export function loserPreparation(input: DecisionInput, self: string, events: Decision['events']): Action[] {
  const sw = input.switchover;
  if (!sw || !sw.force || sw.to === self) return [];
  const out: Action[] = [];
  for (const m of input.mirrors) {
    if (isSplitBrain(m) && m.claimedSources.includes(sw.to) && m.local?.role === 'source') {
      events.push({
        type: 'Warning',
        reason: 'SplitBrainResolved',
        message: `operator chose ${sw.to} as source of ${m.volume}: on ${self}; ${self}'s changes to ${m.volume}: since the split are discarded`,
      });
      out.push({ type: 'prepareToBecomeTarget', mirror: m.name, volume: m.volume, epoch: input.lease.epoch });
    }
  }
  return out;
}
