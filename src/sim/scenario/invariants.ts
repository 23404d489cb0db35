/**
 * The safety and liveness invariants of design §5, over a history of world
 * inspections, store states and the actions that caused them.
 *
 *  singleActive       at most one node serves a group's VIP or site at any instant
 *                     (address holders and started sites of the world inspection; a cloud-routed
 *                     address is served by a node the cloud routes it to that holds it, or any such
 *                     node for an Elastic IP, which is NATed to the node's own primary IP).
 *  noUnsafePromotion  a node becomes mirror source only if, when the last source
 *                     epoch ended, it was the source or a target of a Mirroring
 *                     mirror — or an operator forced it (design §4, mirror gate).
 *  noLostWrites       every write a synchronous mirror's source acknowledged is on
 *                     the next source (the world's write ledger); an asynchronous
 *                     mirror's queued writes may be lost (counted apart, ./async-loss.ts)
 *                     unless its asyncFailover is Refuse and nobody forced.
 *  converges          once every fault has healed, every InService group is Ready
 *                     within a bound.
 *  available          the same bound, without excusing a Failed group: once every fault has healed, an
 *                     InService group with a member that is up, runs its agent, reaches the store and is
 *                     neither banned nor in maintenance is Ready (only a blocked promotion, which waits for
 *                     an operator on purpose, is excused); and a Ready group's cloud-routed addresses
 *                     go to its active node and only there (else its status says something untrue).
 *
 * `checkHistory` is a pure function of the history; `InvariantChecker` is the
 * same fold, one entry at a time, for the engine. Every violation carries the
 * invariant, the virtual time and a trace excerpt.
 */
import { entryLines, mirrorStateName, stamp, type HistoryEntry } from './history.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import { MIRROR_STATE_CODE, type InvariantName } from './model.js';
import type { Observation } from './target.js';
import { cloudVipsOf, resolveRef, type Topology, type TopologyGroup } from '../world/topology.js';
import { AsyncLossAccount } from './async-loss.js';

export interface Violation {
  invariant: InvariantName;
  /** Virtual ms since the run's start (InvariantOptions.origin). */
  at: number;
  message: string;
  group?: string;
  node?: string;
  volume?: string;
  /** The last trace lines up to the violation. */
  excerpt: string[];
}

export interface InvariantOptions {
  invariants: readonly InvariantName[];
  /** converges: bound after the last disturbance. */
  convergeWithinMs: number;
  /** Time origin of the trace lines (the run's start). */
  origin: number;
  /** Lines kept for excerpts. */
  excerptLines?: number;
}

const MIRRORING = MIRROR_STATE_CODE.Mirroring;

/** Who may become source of one volume, as it changed over time. */
interface EligibilitySnapshot {
  at: number;
  eligible: ReadonlySet<string>;
  /** Mirror state per host as of the snapshot (for messages). */
  asOf: ReadonlyMap<string, number>;
}

interface VolumeState {
  hadSource: boolean;
  /** Snapshots, oldest first; a new one only when eligibility changes. */
  snapshots: EligibilitySnapshot[];
  roles: Map<string, string>;
  forced: Set<string>;
}

/**
 * Hosts serving a group in an observation (foreign claimants excluded: they are not cluster nodes). With the
 * topology, a cloud-routed address counts on the nodes the cloud routes it to (./invariants.ts header).
 */
export function serversOf(o: Observation, g: TopologyGroup, t?: Topology): string[] {
  const out = new Set<string>();
  for (const a of g.addresses) for (const h of addressServers(o, a, t ? cloudVipsOf(t, g) : [])) out.add(h);
  for (const [host, sites] of Object.entries(o.world.startedSites)) {
    if (sites.some((s) => g.sites.some((gs) => gs.toLowerCase() === s.toLowerCase()))) out.add(host);
  }
  return [...out].sort();
}

/** The nodes serving one address of a group: its holders, or for a cloud-routed one, where the cloud sends it. */
function addressServers(o: Observation, address: string, cloudVips: readonly { address: string; provider?: { type: string } }[]): string[] {
  const holders = (o.world.addressHolders[address] ?? []).filter((h) => !h.startsWith('foreign:'));
  const vip = cloudVips.find((v) => v.address === address);
  const routes = o.world.cloudRoutes;
  if (!vip || !routes) return holders;
  return (routes[address] ?? []).filter((h) => vip.provider?.type === 'awsElasticIp' || holders.includes(h));
}

/** A fault that stays in force until its healing counterpart (for converges). */
function lastingFaultKey(f: Fault): { open?: string; heal?: (key: string) => boolean } {
  switch (f.type) {
    case 'nodeCrash':
      return { open: `node:${f.node}` };
    case 'nodeRestore':
      return { heal: (k) => k === `node:${f.node}` };
    case 'agentStop':
      return { open: `agent:${f.node}` };
    case 'agentStart':
      return { heal: (k) => k === `agent:${f.node}` };
    case 'storePartition':
      return { open: `store:${f.node}` };
    case 'storeHeal':
      return { heal: (k) => k === `store:${f.node}` };
    case 'replicationPartition':
      return { open: `repl:${[f.node, f.peer ?? '*'].sort().join('|')}` };
    case 'replicationHeal':
      return {
        heal: (k) =>
          k.startsWith('repl:') &&
          (f.peer === undefined ? k.slice(5).split('|').includes(f.node) : k === `repl:${[f.node, f.peer].sort().join('|')}`),
      };
    case 'ipConflict':
      return { open: `ip:${f.address}` };
    case 'ipConflictClear':
      return { heal: (k) => k === `ip:${f.address}` };
    case 'clockSkew':
      return f.offsetMs === 0 ? { heal: (k) => k === `skew:${f.node}` } : { open: `skew:${f.node}` };
    default:
      return {};
  }
}

export class InvariantChecker {
  private readonly enabled: ReadonlySet<InvariantName>;
  private readonly ring: string[] = [];
  private prevFacts: string[] = [];
  private readonly excerptLines: number;
  // singleActive
  private readonly doubleServing = new Set<string>();
  private readonly excused = new Set<string>();
  // noUnsafePromotion, per volume letter
  private readonly volumes = new Map<string, VolumeState>();
  // noLostWrites
  private readonly reportedLost = new Set<string>();
  /** Writes lost on asynchronous mirrors: reported apart, a noLostWrites violation only against a Refuse policy. */
  readonly asyncLoss: AsyncLossAccount;
  // converges
  private readonly lasting = new Set<string>();
  private lastDisturbance: number;
  private readonly reportedNotReady = new Set<string>();
  private readonly reportedUnavailable = new Set<string>();
  private readonly reportedMisrouted = new Set<string>();
  private maintenanceOn = 0;

  constructor(
    private readonly topology: Topology,
    private readonly opts: InvariantOptions,
  ) {
    this.enabled = new Set(opts.invariants);
    this.excerptLines = opts.excerptLines ?? 16;
    this.lastDisturbance = opts.origin;
    this.asyncLoss = new AsyncLossAccount(topology, opts.origin);
  }

  /** Faults still in force (a crash not yet restored, a partition not yet healed, …). */
  openFaults(): string[] {
    return [...this.lasting].sort();
  }

  /** When the last fault, heal, operator or manual action happened (converges counts from there). */
  lastDisturbanceAt(): number {
    return this.lastDisturbance;
  }

  /** Whether cluster-wide maintenance is on (converges is suspended). */
  inMaintenance(): boolean {
    return this.maintenanceOn > 0;
  }

  /** Feed one entry; returns the violations it reveals. */
  push(e: HistoryEntry): Violation[] {
    const { lines, facts } = entryLines(e, this.opts.origin, this.prevFacts);
    if (facts) this.prevFacts = facts;
    for (const l of lines) this.ring.push(l);
    if (this.ring.length > this.excerptLines) this.ring.splice(0, this.ring.length - this.excerptLines);
    const out: Omit<Violation, 'excerpt'>[] = [];
    switch (e.kind) {
      case 'fault':
        this.onFault(e.fault, e.at);
        break;
      case 'operator':
        this.onOperator(e);
        this.asyncLoss.onOperator(e);
        break;
      case 'manual':
        this.onManual(e);
        this.asyncLoss.onManual(e);
        break;
      case 'event':
        break;
      case 'observation': {
        const o = e.observation;
        if (this.enabled.has('singleActive')) out.push(...this.singleActive(o));
        if (this.enabled.has('noUnsafePromotion')) out.push(...this.noUnsafePromotion(o));
        if (this.enabled.has('noLostWrites')) out.push(...this.noLostWrites(o));
        const asyncLost = this.asyncLoss.observe(o);
        if (this.enabled.has('noLostWrites')) out.push(...asyncLost);
        if (this.enabled.has('converges')) out.push(...this.converges(o));
        if (this.enabled.has('available')) out.push(...this.available(o));
        break;
      }
    }
    return out.map((v) => ({ ...v, at: v.at - this.opts.origin, excerpt: [...this.ring] }));
  }

  // ───────────── bookkeeping of actions ─────────────

  private onFault(f: Fault, at: number): void {
    if (f.type === 'write') return; // client traffic, not a disturbance
    this.lastDisturbance = at;
    this.reportedNotReady.clear();
    this.reportedUnavailable.clear();
    this.reportedMisrouted.clear();
    const { open, heal } = lastingFaultKey(f);
    if (open) this.lasting.add(open);
    if (heal) for (const k of [...this.lasting]) if (heal(k)) this.lasting.delete(k);
  }

  private onOperator(e: Extract<HistoryEntry, { kind: 'operator' }>): void {
    this.lastDisturbance = e.at;
    this.reportedNotReady.clear();
    this.reportedUnavailable.clear();
    this.reportedMisrouted.clear();
    const a = e.action;
    if (a.action === 'maintenance' && !a.group) this.maintenanceOn += a.enabled ? 1 : -1;
    if (a.action === 'switchover' && a.force && e.accepted) {
      // The operator's --force licenses one promotion of the target on each of the group's volumes.
      const g = resolveRef(this.topology.groups, a.group);
      for (const v of g?.volumes ?? []) this.volume(v).forced.add(a.to);
    }
  }

  private onManual(e: Extract<HistoryEntry, { kind: 'manual' }>): void {
    this.lastDisturbance = e.at;
    this.reportedNotReady.clear();
    this.reportedUnavailable.clear();
    this.reportedMisrouted.clear();
    const a = e.action;
    if (!e.accepted) return;
    if (a.action === 'switchoverMirror' && a.force) this.volume(a.volume).forced.add(a.node);
    // Drift made by hand (C5, C6) is not WinHA serving twice; it is excused until the node stops serving.
    for (const g of this.topology.groups) {
      const mine =
        (a.action === 'startSite' && g.sites.some((s) => s.toLowerCase() === a.site.toLowerCase())) ||
        (a.action === 'addAddress' && g.addresses.includes(a.address));
      if (mine) this.excused.add(`${g.namespace}/${g.name}|${a.node}`);
    }
  }

  private volume(letter: string) {
    let v = this.volumes.get(letter);
    if (!v) {
      v = { hadSource: false, snapshots: [], roles: new Map(), forced: new Set() };
      this.volumes.set(letter, v);
    }
    return v;
  }

  // ───────────── the invariants ─────────────

  private singleActive(o: Observation): Omit<Violation, 'excerpt'>[] {
    const out: Omit<Violation, 'excerpt'>[] = [];
    for (const g of this.topology.groups) {
      const id = `${g.namespace}/${g.name}`;
      const servers = serversOf(o, g, this.topology);
      for (const k of [...this.excused]) {
        const [gid, node] = k.split('|');
        if (gid === id && !servers.includes(node!)) this.excused.delete(k);
      }
      const counted = servers.filter((h) => !this.excused.has(`${id}|${h}`));
      if (counted.length > 1) {
        if (!this.doubleServing.has(id)) {
          this.doubleServing.add(id);
          out.push({
            invariant: 'singleActive',
            at: o.at,
            group: id,
            message: `group ${id} is served by ${servers.length} nodes at once: ${servers.map((h) => `${h} (${this.what(o, g, h)})`).join(', ')}`,
          });
        }
      } else this.doubleServing.delete(id);
    }
    return out;
  }

  private what(o: Observation, g: TopologyGroup, h: string): string {
    const parts: string[] = [];
    const cloud = cloudVipsOf(this.topology, g);
    for (const a of g.addresses) {
      if (!addressServers(o, a, cloud).includes(h)) continue;
      parts.push(cloud.some((v) => v.address === a) ? `${a} routed by the cloud` : a);
    }
    for (const s of o.world.startedSites[h] ?? []) if (g.sites.some((x) => x.toLowerCase() === s.toLowerCase())) parts.push(`site ${s}`);
    return parts.join(', ');
  }

  /**
   * The mirror gate, judged when the promotion was asked for: the world
   * records every accepted SWITCHOVERVOLUME with the old source's own state
   * then, and a request made while it was the one source and Mirroring stays
   * safe even if the mirror paused later (DataKeeper then aborts or switches
   * over gracefully). Without those facts (synthetic histories) the request is
   * judged by the snapshot of its instant, or the latest one without a request.
   */
  private noUnsafePromotion(o: Observation): Omit<Violation, 'excerpt'>[] {
    const out: Omit<Violation, 'excerpt'>[] = [];
    const letters = [...new Set(o.world.volumes.map((v) => v.volume))].sort();
    for (const letter of letters) {
      const st = this.volume(letter);
      const views = o.world.volumes.filter((v) => v.volume === letter).sort((a, b) => (a.host < b.host ? -1 : 1));
      for (const v of views) {
        const before = st.roles.get(v.host);
        if (v.role !== 'source' || before === undefined || before === 'source' || !st.hadSource) continue;
        if (st.forced.has(v.host)) {
          st.forced.delete(v.host);
          continue;
        }
        const request = [...(o.world.switchoverRequests ?? [])]
          .reverse()
          .find((r) => r.host === v.host && r.volume === letter && r.at <= o.at);
        let was: number | undefined;
        if (request?.sourceReachable !== undefined) {
          // The world recorded the mirror as it was at the request: no later event of the same instant can blur it.
          if (request.sourceState === MIRRORING && (request.sources ?? 1) <= 1) continue;
          was = request.sourceState;
        } else {
          const snap = request ? [...st.snapshots].reverse().find((s) => s.at <= request.at) : st.snapshots[st.snapshots.length - 1];
          if (snap?.eligible.has(v.host)) continue;
          was = snap?.asOf.get(v.host);
        }
        out.push({
          invariant: 'noUnsafePromotion',
          at: o.at,
          node: v.host,
          volume: letter,
          message:
            `${v.host} became source of ${letter}: without --force, but ${request ? `when it asked (${stamp(request.at, this.opts.origin).trim()})` : 'when the last source epoch ended'} it was ${before}` +
            `${was !== undefined ? ` in state ${mirrorStateName(was)} (${was})` : ''}; only the source or a Mirroring target may be promoted (design §4, mirror gate)`,
        });
      }
      for (const v of views) st.roles.set(v.host, v.role);
      // Who may be promoted next: decided while a live source exists, frozen when it is gone.
      const live = views.filter((v) => v.role === 'source' && o.world.hosts?.[v.host]?.up !== false);
      if (live.length > 0) {
        st.hadSource = true;
        const eligible = new Set(live.map((v) => v.host));
        const asOf = new Map(views.map((v) => [v.host, v.state]));
        // Each target as the one source's pair to it says (multi-target: each has its own), else as it last heard.
        const pairState = (h: string, own: number) =>
          live.length !== 1 ? own : (live[0]!.targets?.find((t) => t.host === h)?.state ?? live[0]!.state);
        for (const v of views)
          if (v.role === 'target' && live.length === 1 && pairState(v.host, v.state) === MIRRORING) eligible.add(v.host);
        for (const v of views) if (v.role === 'target') asOf.set(v.host, pairState(v.host, v.state));
        const last = st.snapshots[st.snapshots.length - 1];
        const same =
          last &&
          last.eligible.size === eligible.size &&
          [...eligible].every((h) => last.eligible.has(h)) &&
          [...asOf].every(([h, s]) => last.asOf.get(h) === s);
        if (!same) st.snapshots.push({ at: o.at, eligible, asOf });
      }
    }
    return out;
  }

  private noLostWrites(o: Observation): Omit<Violation, 'excerpt'>[] {
    const out: Omit<Violation, 'excerpt'>[] = [];
    for (const l of o.world.lostAcknowledgedWrites) {
      const fresh = l.writeIds.filter((id) => !this.reportedLost.has(`${l.volume}|${l.host}|${id}`));
      if (fresh.length === 0) continue;
      for (const id of fresh) this.reportedLost.add(`${l.volume}|${l.host}|${id}`);
      out.push({
        invariant: 'noLostWrites',
        at: o.at,
        node: l.host,
        volume: l.volume,
        message: `source ${l.host} of ${l.volume}: lacks ${fresh.length} write${fresh.length === 1 ? '' : 's'} a synchronous mirror acknowledged (ids ${fresh.slice(0, 8).join(', ')}${fresh.length > 8 ? ', …' : ''})`,
      });
    }
    return out;
  }

  private available(o: Observation): Omit<Violation, 'excerpt'>[] {
    if (this.lasting.size > 0 || this.maintenanceOn > 0) return [];
    if (o.at - this.lastDisturbance < this.opts.convergeWithinMs) return [];
    const out: Omit<Violation, 'excerpt'>[] = this.misrouted(o);
    for (const g of o.groups) {
      const id = `${g.namespace}/${g.name}`;
      if (g.desiredState !== 'InService' || g.maintenance || g.ready || this.reportedUnavailable.has(id)) continue;
      if (g.conditions.some((c) => c.type === 'PromotionBlocked' && c.status === 'True')) continue;
      const topo = this.topology.groups.find((t) => t.namespace === g.namespace && t.name === g.name);
      const healthy = topo ? healthyMembers(topo, g, o) : [];
      if (healthy.length === 0) continue;
      this.reportedUnavailable.add(id);
      out.push({
        invariant: 'available',
        at: o.at,
        group: id,
        message: `group ${id} is not Ready ${((o.at - this.lastDisturbance) / 1000).toFixed(3)}s after the last disturbance with every fault healed, although ${healthy.join(', ')} could serve it (bound ${this.opts.convergeWithinMs / 1000}s); active=${g.activeNode ?? 'none'} phase=${g.phase ?? '-'}`,
      });
    }
    return out;
  }

  /** A Ready group whose cloud-routed address the cloud sends nowhere, or anywhere but its active node. */
  private misrouted(o: Observation): Omit<Violation, 'excerpt'>[] {
    const routes = o.world.cloudRoutes;
    if (!routes) return [];
    const out: Omit<Violation, 'excerpt'>[] = [];
    for (const g of o.groups) {
      if (g.desiredState !== 'InService' || g.maintenance || !g.ready) continue;
      const id = `${g.namespace}/${g.name}`;
      for (const v of cloudVipsOf(this.topology, g)) {
        const routed = routes[v.address] ?? [];
        const key = `${id}|${v.address}`;
        if (routed.length === 1 && routed[0] === g.activeNode) continue;
        if (this.reportedMisrouted.has(key)) continue;
        this.reportedMisrouted.add(key);
        out.push({
          invariant: 'available',
          at: o.at,
          group: id,
          message: `group ${id} is Ready but the cloud sends ${v.address} to ${routed.join(', ') || 'no node'} (${v.provider?.type ?? 'cloud'}; active=${g.activeNode ?? 'none'}) ${((o.at - this.lastDisturbance) / 1000).toFixed(3)}s after the last disturbance`,
        });
      }
    }
    return out;
  }

  private converges(o: Observation): Omit<Violation, 'excerpt'>[] {
    if (this.lasting.size > 0 || this.maintenanceOn > 0) return [];
    if (o.at - this.lastDisturbance < this.opts.convergeWithinMs) return [];
    const out: Omit<Violation, 'excerpt'>[] = [];
    for (const g of o.groups) {
      const id = `${g.namespace}/${g.name}`;
      if (g.desiredState !== 'InService' || g.maintenance || g.ready || this.reportedNotReady.has(id)) continue;
      // Waiting for an operator is the designed outcome of an unsafe situation (design §4), asserted by expect steps.
      const awaitingOperator =
        g.conditions.some((c) => c.type === 'PromotionBlocked' && c.status === 'True') || g.phase === 'Failed' || g.phase === 'Blocked';
      if (awaitingOperator) continue;
      this.reportedNotReady.add(id);
      out.push({
        invariant: 'converges',
        at: o.at,
        group: id,
        message: `group ${id} is not Ready ${((o.at - this.lastDisturbance) / 1000).toFixed(3)}s after the last disturbance ${stamp(this.lastDisturbance, this.opts.origin)} with every fault healed (bound ${this.opts.convergeWithinMs / 1000}s); active=${g.activeNode ?? 'none'} phase=${g.phase ?? '-'}`,
      });
    }
    return out;
  }
}

/** A member that could serve `g` now: up, agent running, store reachable, not banned (maintenance is the group's). */
function healthyMembers(topo: TopologyGroup, g: Observation['groups'][number], o: Observation): string[] {
  return topo.nodes
    .map((n) => n.name)
    .filter((n) => {
      const h = o.world.hosts[n];
      const ban = g.nodes.find((x) => x.name === n)?.bannedUntil;
      return !!h && h.up && h.agentRunning && h.storeReachable && !(ban !== undefined && ban > o.at);
    });
}

/** All violations of a whole history (pure: the same history gives the same answer). */
export function checkHistory(topology: Topology, history: readonly HistoryEntry[], opts: InvariantOptions): Violation[] {
  const checker = new InvariantChecker(topology, opts);
  return history.flatMap((e) => checker.push(e));
}
