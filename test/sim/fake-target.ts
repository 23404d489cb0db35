/**
 * A fake cluster under test: a tiny, centralised controller acting directly
 * on an in-process simulated world (built from the scenario's manifests) on
 * virtual time. It is NOT the agent: it exists to prove the scenario engine,
 * the invariant checker and the fuzzer. Its `bugs` switch on known-wrong
 * behaviour so tests can see the invariants catch it.
 */
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { LocalWorldApi, callWorld } from '../../src/drivers/sim/world-protocol.js';
import { worldFromManifests } from '../../src/sim/world/world-from-manifests.js';
import type { World } from '../../src/sim/world/world.js';
import { topologyOf, vipInterface, type Topology, type TopologyGroup } from '../../src/sim/world/topology.js';
import { performManualAction } from '../../src/sim/scenario/manual-actions.js';
import type { Fault, FaultResult } from '../../src/drivers/sim/world-faults.js';
import type { ManualAction, OperatorAction } from '../../src/sim/scenario/model.js';
import type {
  CommandResult,
  EventObservation,
  GroupObservation,
  Observation,
  ScenarioTarget,
  TargetSetup,
} from '../../src/sim/scenario/target.js';
import type { WorldInspection } from '../../src/drivers/sim/world-protocol.js';

export interface FakeBugs {
  /** Promote with --force whatever the mirror state (breaks noUnsafePromotion). */
  unsafePromotion?: boolean;
  /** Forget to stop the old active's site (its VIP is removed) on a switchover or drift cleanup (breaks singleActive). */
  keepOldSite?: boolean;
  /** Never activate anything (breaks converges). */
  lazy?: boolean;
}

interface GroupState {
  g: TopologyGroup;
  active?: string;
  epoch: number;
  desiredState: 'InService' | 'OutOfService';
  maintenance: boolean;
  blocked?: string;
  lostAt?: number;
  force: boolean;
}

const LOOP_MS = 500;

export class FakeTarget implements ScenarioTarget {
  private inSync(volumes: string[]): 'True' | 'False' {
    return volumes.every((v) => this.lastSourceState.get(v) === 1) ? 'True' : 'False';
  }

  clock = new VirtualClock();
  world!: World;
  private api!: LocalWorldApi;
  private t!: Topology;
  private groups: GroupState[] = [];
  private readonly evs: EventObservation[] = [];
  private stopped = false;
  private leaseMs = 15_000;
  private readonly lastSourceState = new Map<string, number>();
  calls = 0;

  constructor(private readonly bugs: FakeBugs = {}) {}

  async start(setup: TargetSetup): Promise<void> {
    this.t = topologyOf(setup.objects);
    this.leaseMs = this.t.timing.leaseDurationSeconds * 1000;
    this.world = worldFromManifests(setup.objects, this.clock, new SeededRandom(setup.seed), { timing: { switchoverUnreachableMs: 2000 } });
    this.api = new LocalWorldApi(this.world);
    for (const m of this.t.mirrors) {
      const g = this.t.groups.find((x) => x.namespace === m.namespace && x.name === m.group);
      const order = (g?.nodes ?? []).map((n) => n.name).filter((n) => m.endpoints.some((e) => e.node === n));
      const [src, tgt] = order;
      const addr = (n: string | undefined) => m.endpoints.find((e) => e.node === n)?.address ?? '';
      if (src && tgt)
        this.w('mirror.create', {
          host: src,
          create: { volume: m.volume, sourceAddress: addr(src), targetAddress: addr(tgt), mode: m.mode },
        });
    }
    for (const s of this.t.sites.filter((x) => x.management === 'Managed')) {
      const g = this.t.groups.find((x) => x.namespace === s.namespace && x.name === s.group);
      for (const n of g?.nodes ?? []) {
        this.w('site.ensure', {
          host: n.name,
          def: {
            name: s.siteName,
            bindings: s.bindings.map((b) => ({
              protocol: b.protocol as 'http',
              address: b.address,
              port: b.port,
              hostHeader: b.hostHeader,
            })),
            physicalPath: s.physicalPath,
            applicationPool: s.applicationPool,
            serverAutoStart: false,
          },
        });
      }
    }
    this.groups = this.t.groups.map((g) => ({ g, epoch: 0, desiredState: g.desiredState, maintenance: g.maintenance, force: false }));
    const loop = () => {
      if (this.stopped) return;
      this.reconcile();
      this.clock.setTimer(LOOP_MS, loop);
    };
    this.clock.setTimer(LOOP_MS, loop);
  }

  /** A world call that never throws (the fake ignores refusals and retries next loop). */
  private w(op: Parameters<World['handle']>[0]['op'], args: unknown): { ok: boolean; value?: unknown } {
    this.calls++;
    const r = this.world.handle({ op, args } as Parameters<World['handle']>[0]);
    return r.ok ? { ok: true, value: r.value } : { ok: false };
  }

  private inspect(): WorldInspection {
    return this.world.inspect();
  }

  private alive(i: WorldInspection, node: string): boolean {
    const h = i.hosts[node];
    return !!h && h.up && h.agentRunning && h.storeReachable;
  }

  private event(reason: string, g: TopologyGroup, node: string, message: string, code?: number): void {
    const e: EventObservation = {
      at: this.clock.now(),
      type: 'Normal',
      reason,
      node,
      message,
      involvedObject: { kind: 'FailoverGroup', name: g.name, namespace: g.namespace },
      group: g.name,
    };
    if (code !== undefined) e.code = code;
    this.evs.push(e);
  }

  private gateOk(i: WorldInspection, s: GroupState, node: string): boolean {
    if (this.bugs.unsafePromotion || s.force) return true;
    // The fake is omniscient: it trusts the state the last live source saw (a target's own view goes stale in a partition).
    return s.g.volumes.every((v) => {
      const view = i.volumes.find((x) => x.host === node && x.volume === v);
      return view !== undefined && (view.role === 'source' || (view.role === 'target' && this.lastSourceState.get(v) === 1));
    });
  }

  private deactivate(s: GroupState, node: string): void {
    if (!this.bugs.keepOldSite) for (const site of s.g.sites) this.w('site.stop', { host: node, name: site });
    for (const a of s.g.addresses) this.w('net.remove', { host: node, address: a });
  }

  private reconcile(): void {
    if (this.bugs.lazy) return;
    const i = this.inspect();
    for (const v of i.volumes) if (v.role === 'source' && i.hosts[v.host]?.up) this.lastSourceState.set(v.volume, v.state);
    for (const s of this.groups) {
      if (s.maintenance) continue;
      const members = s.g.nodes.map((n) => n.name);
      if (s.desiredState === 'OutOfService') {
        for (const n of members) if (i.hosts[n]?.up) this.deactivate(s, n);
        s.active = undefined;
        continue;
      }
      // Drift on standbys (C5/C6): take it down.
      for (const n of members) if (n !== s.active && i.hosts[n]?.up && this.alive(i, n)) this.deactivate(s, n);
      if (s.active && !this.alive(i, s.active)) {
        s.lostAt ??= this.clock.now();
        const h = i.hosts[s.active];
        // Self-fencing (design §4): a holder cut from the store takes its resources down.
        if (h?.up && h.agentRunning && !h.storeReachable) this.deactivate(s, s.active);
        if (this.clock.now() - s.lostAt < this.leaseMs) continue;
        const from = s.active;
        s.active = undefined;
        s.lostAt = undefined;
        this.event('LeaseExpired', s.g, from, `${from}'s lease expired`);
        (s as GroupState & { from?: string }).from = from;
      } else s.lostAt = undefined;
      if (!s.active) {
        // Safety check (design §4): never activate while another node still answers on the group's addresses.
        const stillServing = s.g.addresses.some((a) => (i.addressHolders[a] ?? []).some((h) => !h.startsWith('foreign:')));
        const candidate = stillServing ? undefined : members.find((n) => this.alive(i, n) && this.gateOk(i, s, n));
        if (!candidate) {
          s.blocked = stillServing ? 'PreviousActiveStillServing' : 'MirrorNotInSync';
          continue;
        }
        s.blocked = undefined;
        s.active = candidate;
        s.epoch++;
        const from = (s as GroupState & { from?: string }).from;
        this.event(
          from ? 'Failover' : 'Activated',
          s.g,
          candidate,
          from ? `${candidate} takes over ${s.g.name} from ${from}` : `${s.g.name} activated on ${candidate}`,
          9407,
        );
      }
      this.ensure(i, s, s.active);
    }
  }

  private ensure(i: WorldInspection, s: GroupState, node: string): void {
    for (const v of s.g.volumes) {
      const view = i.volumes.find((x) => x.host === node && x.volume === v);
      if (view && view.role === 'target')
        this.w('mirror.switchover', { host: node, volume: v, force: this.bugs.unsafePromotion || s.force });
    }
    const isSource = s.g.volumes.every((v) => i.volumes.find((x) => x.host === node && x.volume === v)?.role === 'source');
    if (!isSource) return;
    s.force = false;
    for (const v of this.t.vips.filter((x) => x.namespace === s.g.namespace && x.group === s.g.name)) {
      if ((i.addressHolders[v.address] ?? []).includes(node)) continue;
      const mine = this.w('net.addresses', { host: node });
      const held = mine.ok ? (mine.value as { address: string; addressState: string }[]).find((x) => x.address === v.address) : undefined;
      if (held?.addressState === 'Duplicate') this.w('net.remove', { host: node, address: v.address });
      else if (!held)
        this.w('net.add', { host: node, vip: { address: v.address, prefixLength: v.prefixLength, interfaceAlias: vipInterface(v, node) } });
    }
    if (!s.g.addresses.every((a) => (i.addressHolders[a] ?? []).includes(node))) return;
    for (const site of this.t.sites.filter((x) => x.namespace === s.g.namespace && x.group === s.g.name)) {
      const name = site.bindings.some((b) => b.protocol === 'ftp') ? 'FTPSVC' : 'W3SVC';
      const svc = this.w('service.query', { host: node, name });
      if (svc.ok && (svc.value as { state: number }).state === 1) this.w('service.start', { host: node, name });
    }
    for (const site of s.g.sites) if (!(i.startedSites[node] ?? []).includes(site)) this.w('site.start', { host: node, name: site });
  }

  now(): number {
    return this.clock.now();
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  async observe(): Promise<Observation> {
    const i = this.inspect();
    const groups: GroupObservation[] = this.groups.map((s) => {
      const a = s.active;
      const ready =
        !!a &&
        s.desiredState === 'InService' &&
        this.alive(i, a) &&
        s.g.addresses.every((x) => (i.addressHolders[x] ?? []).includes(a)) &&
        s.g.sites.every((x) => (i.startedSites[a] ?? []).includes(x));
      const o: GroupObservation = {
        namespace: s.g.namespace,
        name: s.g.name,
        desiredState: s.desiredState,
        maintenance: s.maintenance,
        ready,
        conditions: [
          { type: 'Ready', status: ready ? 'True' : 'False' },
          // As the agents do: the group's mirrors as their live source reports them.
          ...(s.g.volumes.length ? [{ type: 'MirrorInSync', status: this.inSync(s.g.volumes) }] : []),
        ],
        nodes: s.g.nodes.map((n) => ({ name: n.name, state: n.name === a ? (ready ? 'ISP' : 'OSU') : 'OSU' })),
        epoch: s.epoch,
        lease: { holder: a ?? '', epoch: s.epoch },
      };
      if (s.blocked)
        o.conditions.push({ type: 'PromotionBlocked', status: 'True', reason: s.blocked, message: `promotion blocked: ${s.blocked}` });
      if (a) o.activeNode = a;
      return o;
    });
    return { at: this.clock.now(), world: i, groups };
  }

  async events(): Promise<EventObservation[]> {
    return [...this.evs];
  }

  async injectFault(fault: Fault): Promise<FaultResult> {
    return callWorld(this.api, 'world.fault', { fault });
  }

  async operator(a: OperatorAction): Promise<CommandResult> {
    const s = this.groups.find((x) => x.g.name === a.group || `${x.g.namespace}/${x.g.name}` === a.group);
    if (!s) return { accepted: false, message: `no group ${a.group}` };
    switch (a.action) {
      case 'switchover': {
        const i = this.inspect();
        if (s.active === a.to) return { accepted: true, message: `${a.group} already on ${a.to}` };
        if (!a.force && !this.gateOk(i, s, a.to))
          return { accepted: false, message: `mirror of ${a.group} on ${a.to} is not Mirroring; use --force (data may be lost)` };
        if (s.active) this.deactivate(s, s.active);
        const from = s.active;
        s.active = a.to;
        s.epoch++;
        s.force = a.force;
        s.blocked = undefined;
        this.event(
          'Switchover',
          s.g,
          a.to,
          `switchover of ${a.group} from ${from ?? 'none'} to ${a.to}${a.force ? ' (forced: data may be lost)' : ''}`,
        );
        return { accepted: true, message: `switching ${a.group} to ${a.to}` };
      }
      case 'clear':
        return { accepted: true, message: 'cleared' };
      case 'maintenance':
        s.maintenance = a.enabled;
        return { accepted: true, message: `maintenance ${a.enabled ? 'on' : 'off'}` };
      case 'setDesiredState':
        s.desiredState = a.state;
        return { accepted: true, message: `desiredState ${a.state}` };
    }
  }

  async manual(a: ManualAction): Promise<CommandResult> {
    return performManualAction(this.api, a);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
