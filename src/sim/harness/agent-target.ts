/**
 * The real cluster under test (issue 6): the node agent, unchanged, one per
 * node, on simulated hosts — everything on one VirtualClock, so `winha sim run`
 * is deterministic and fast. The agents come from an injected NodeAgentFactory
 * (./node-agent.ts; the real one is `realAgents`, src/cli/agent-factory.ts).
 *
 *   - the store: one private memory store; the scenario's objects are applied
 *     through the same library `winha apply` uses (src/apply/apply.ts); every
 *     agent has its own connection (its own lease observations), wrapped so a
 *     storePartition can cut it (src/sim/cuttable-store.ts);
 *   - the hosts: worldFromManifests(...), one SimHostDriver per node from
 *     createDriver({world, node}) (src/drivers/factory.ts);
 *   - faults: agentStop/agentStart stop and start that node's agent (a fresh
 *     Agent object, as a new process: it remembers nothing), storePartition /
 *     storeHeal cut and heal its store connection, nodeCrash takes the agent
 *     down with its host and nodeRestore boots a fresh one (the service starts
 *     with Windows), clockSkew moves that agent's wall clock (not its
 *     monotonic clock, which leases are judged on); every fault also goes to
 *     the world, whose inspection shows the host flags;
 *   - operators: src/apply/operate.ts, what `winha switchover|clear|maintenance`
 *     run; desiredState changes are a re-apply of the manifests with the field
 *     changed (what an operator does in git);
 *   - observations: group status and Event objects as the agents wrote them.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import { VirtualClock } from '../../lib/clock.js';
import { SeededRandom } from '../../lib/random.js';
import { createDriver } from '../../drivers/factory.js';
import type { HostDriver } from '../../drivers/types.js';
import { apply } from '../../apply/apply.js';
import { clearGroup, requestSwitchover, setMaintenance, type OperateResult } from '../../apply/operate.js';
import { openMemoryStore, type MemoryStore } from '../../store/memory.js';
import type { StoredObject } from '../../store/types.js';
import { CuttableStore } from './cuttable-store.js';
import type { NodeAgent, NodeAgentFactory, NodeAgentLogger } from './node-agent.js';
import type { Fault, FaultResult } from '../../drivers/sim/world-faults.js';
import { performManualAction } from '../scenario/manual-actions.js';
import type { ManualAction, OperatorAction } from '../scenario/model.js';
import type { CommandResult, EventObservation, GroupObservation, Observation, ScenarioTarget, TargetSetup } from '../scenario/target.js';
import { topologyOf, type Topology } from '../world/topology.js';
import { LocalWorldApi, callWorld, type WorldApi, type WorldRequest } from '../../drivers/sim/world-protocol.js';
import { simCloudAccess } from '../../drivers/sim/sim-cloud.js';
import { worldFromManifests } from '../world/world-from-manifests.js';
import type { World } from '../world/world.js';

/** A node's wall clock off by a skew; its monotonic time (lease judgments) is the host's. */
class SkewedClock implements Clock {
  constructor(
    private readonly base: Clock,
    private readonly skew: () => number,
  ) {}
  now(): number {
    return this.base.now() + this.skew();
  }
  monotonic(): number {
    return this.base.monotonic();
  }
  setTimer(ms: number, fn: () => void): Timer {
    return this.base.setTimer(ms, fn);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.base.sleep(ms, signal);
  }
}

export interface AgentTargetOptions {
  /** Builds each node's agent (the real ones: `realAgents` of src/cli/agent-factory.ts). */
  agentFactory: NodeAgentFactory;
  /** Start of virtual time (default 2026-01-01T12:00:00Z). */
  startMs?: number;
  /** Run on this clock instead of a fresh VirtualClock (benchmarks run the same cluster in real time). */
  clock?: Clock;
  /** Groups each agent reconciles at once (AgentOptions.workers; default the agent's own). */
  workers?: number;
  /** Sees every request a node's driver makes to the world (benchmarks time actions). */
  onWorldCall?: (node: string, request: WorldRequest) => void;
  /** Every agent's log lines, prefixed with the node (default: the last 400 are kept in `logs`). */
  logger?: (node: string) => NodeAgentLogger;
  /** Wraps each node's driver (benchmarks count calls, or offer a Windows-like driver's optional reads). */
  wrapDriver?: (node: string, driver: HostDriver) => HostDriver;
}

type Obj = Record<string, unknown>;

export class AgentTarget implements ScenarioTarget {
  readonly clock: Clock;
  world!: World;
  private api!: LocalWorldApi;
  /** The operator's connection (never cut). */
  admin!: MemoryStore;
  private topology!: Topology;
  private manifests: Obj[] = [];
  private seed = 0;
  readonly agents = new Map<string, NodeAgent>();
  private readonly conns = new Map<string, CuttableStore>();
  /** Ends the running agent process of a node (its host calls fail from then on). */
  private readonly killProcess = new Map<string, () => void>();
  private readonly cut = new Set<string>();
  private readonly skews = new Map<string, number>();
  private starts = 0;
  private requests = 0;
  /** Events seen so far, in the order the target first saw each write. */
  private readonly seenEvents: EventObservation[] = [];
  private readonly seenVersions = new Map<string, string>();
  /** The last agent log lines (diagnostics for a failed scenario). */
  readonly logs: string[] = [];

  constructor(private readonly options: AgentTargetOptions) {
    this.clock = options.clock ?? new VirtualClock(options.startMs ?? Date.UTC(2026, 0, 1, 12, 0, 0));
  }

  async start(setup: TargetSetup): Promise<void> {
    this.seed = setup.seed >>> 0;
    this.manifests = setup.objects.map((o) => structuredClone(o) as Obj);
    this.topology = topologyOf(this.manifests);
    this.world = worldFromManifests(this.manifests, this.clock, new SeededRandom(this.seed), setup.world ? { timing: setup.world } : {});
    this.api = new LocalWorldApi(this.world);
    this.admin = openMemoryStore('', { clock: this.clock, random: new SeededRandom((this.seed ^ 0x9e3779b9) >>> 0) });
    await apply(this.admin.objects, this.manifests);
    for (const n of this.topology.nodes) this.startAgent(n.name);
  }

  private logger(node: string): NodeAgentLogger {
    if (this.options.logger) return this.options.logger(node);
    const push = (level: string, o: Obj, msg: string) => {
      this.logs.push(
        `${new Date(this.clock.now()).toISOString()} ${node} ${level}${msg}${typeof o['reason'] === 'string' && o['reason'] ? ` (${o['reason']})` : ''}`,
      );
      if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
    };
    return { info: (o, m) => push('', o, m), warn: (o, m) => push('WARN ', o, m), error: (o, m) => push('ERROR ', o, m) };
  }

  private startAgent(node: string): void {
    if (this.agents.has(node)) return;
    const clock = new SkewedClock(this.clock, () => this.skews.get(node) ?? 0);
    const n = ++this.starts;
    const conn = new CuttableStore(
      this.admin.connect({ clock, random: new SeededRandom((this.seed + n * 0x2545f491) >>> 0) }),
      this.cut.has(node),
    );
    this.conns.set(node, conn);
    const hook = this.options.onWorldCall;
    // The agent's process dies with a crash or agentStop: a call it still had in flight (an await that resumes
    // after the stop) must not reach the host, even one restored at the same instant.
    let running = true;
    this.killProcess.set(node, () => (running = false));
    const api: WorldApi = {
      call: (r) => {
        if (!running) return Promise.reject(new Error(`the agent process of ${node} is gone`));
        hook?.(node, r);
        return this.api.call(r);
      },
    };
    const agent = this.options.agentFactory({
      node,
      store: conn,
      driver: (this.options.wrapDriver ?? ((_n: string, d: HostDriver) => d))(node, createDriver({ world: api, node }, { clock })),
      clock,
      logger: this.logger(node),
      ...(this.options.workers ? { workers: this.options.workers } : {}),
      // Through the process's own connection: a dead agent's cloud calls die with it.
      ...(this.world.cloud ? { cloud: simCloudAccess(api, node) } : {}),
    });
    this.agents.set(node, agent);
    agent.start();
  }

  private stopAgent(node: string): void {
    const a = this.agents.get(node);
    if (!a) return;
    a.stop();
    this.killProcess.get(node)?.();
    this.killProcess.delete(node);
    this.agents.delete(node);
    void this.conns.get(node)?.close();
    this.conns.delete(node);
  }

  now(): number {
    return this.clock.now();
  }

  async advance(ms: number): Promise<void> {
    if (this.clock instanceof VirtualClock) await this.clock.advance(ms);
    else await this.clock.sleep(ms);
  }

  async observe(): Promise<Observation> {
    const world = await callWorld(this.api, 'world.inspect', {});
    const clusters = (await this.admin.list('Cluster')).items;
    const clusterMaintenance = new Set(
      clusters
        .filter(
          (c) => (c.spec as { maintenance?: boolean }).maintenance === true || c.metadata.annotations?.['winha.io/maintenance'] === 'true',
        )
        .map((c) => c.metadata.namespace),
    );
    const groups = (await this.admin.list('FailoverGroup')).items.map((g) =>
      groupObservation(g, clusterMaintenance.has(g.metadata.namespace)),
    );
    groups.sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
    for (const g of groups) {
      const lease = await this.admin.readLease(groupLeaseName(g.namespace, g.name));
      if (lease) g.lease = { holder: lease.holder, epoch: lease.epoch };
    }
    return { at: this.clock.now(), world, groups };
  }

  async events(): Promise<EventObservation[]> {
    const items = (await this.admin.list('Event')).items;
    const fresh = items.filter((e) => this.seenVersions.get(`${e.metadata.namespace}/${e.metadata.name}`) !== e.metadata.resourceVersion);
    fresh.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion) || cmp(a.metadata.name, b.metadata.name));
    for (const e of fresh) {
      this.seenVersions.set(`${e.metadata.namespace}/${e.metadata.name}`, e.metadata.resourceVersion);
      this.seenEvents.push(this.eventObservation(e));
    }
    return this.seenEvents;
  }

  private eventObservation(e: StoredObject): EventObservation {
    const x = e as unknown as Obj;
    const inv = (x['involvedObject'] ?? {}) as { kind?: string; name?: string; namespace?: string };
    const o: EventObservation = {
      at: this.clock.now(),
      type: x['type'] === 'Warning' ? 'Warning' : 'Normal',
      reason: typeof x['reason'] === 'string' ? x['reason'] : '',
      message: typeof x['message'] === 'string' ? x['message'] : '',
      involvedObject: {
        kind: String(inv.kind ?? ''),
        name: String(inv.name ?? ''),
        ...(inv.namespace ? { namespace: inv.namespace } : {}),
      },
    };
    if (typeof x['code'] === 'number') o.code = x['code'];
    if (typeof x['node'] === 'string') o.node = x['node'];
    const group = this.groupOf(o.involvedObject.kind, inv.namespace ?? 'default', o.involvedObject.name);
    if (group) o.group = group;
    return o;
  }

  private groupOf(kind: string, ns: string, name: string): string | undefined {
    if (kind === 'FailoverGroup') return name;
    const t = this.topology;
    const pool = kind === 'IISSite' ? t.sites : kind === 'VirtualIP' ? t.vips : kind === 'Mirror' ? t.mirrors : [];
    return pool.find((r) => r.namespace === ns && r.name === name)?.group;
  }

  async injectFault(f: Fault): Promise<FaultResult> {
    switch (f.type) {
      case 'nodeCrash':
        this.stopAgent(f.node);
        return callWorld(this.api, 'world.fault', { fault: f });
      case 'nodeRestore': {
        const r = await callWorld(this.api, 'world.fault', { fault: f });
        // The agent is a service that starts with Windows: a fresh process.
        await callWorld(this.api, 'world.fault', { fault: { type: 'agentStart', node: f.node } });
        this.startAgent(f.node);
        return r;
      }
      case 'agentStop':
        this.stopAgent(f.node);
        return callWorld(this.api, 'world.fault', { fault: f });
      case 'agentStart': {
        const r = await callWorld(this.api, 'world.fault', { fault: f });
        if ((await callWorld(this.api, 'world.inspect', {})).hosts[f.node]?.up) this.startAgent(f.node);
        return r;
      }
      case 'storePartition':
        this.cut.add(f.node);
        this.conns.get(f.node)?.setCut(true);
        return callWorld(this.api, 'world.fault', { fault: f });
      case 'storeHeal':
        this.cut.delete(f.node);
        this.conns.get(f.node)?.setCut(false);
        return callWorld(this.api, 'world.fault', { fault: f });
      case 'clockSkew':
        this.skews.set(f.node, f.offsetMs);
        return callWorld(this.api, 'world.fault', { fault: f });
      default:
        return callWorld(this.api, 'world.fault', { fault: f });
    }
  }

  private findGroup(ref: string): { namespace: string; name: string } | undefined {
    return this.topology.groups.find((g) => g.name === ref || `${g.namespace}/${g.name}` === ref);
  }

  async operator(a: OperatorAction): Promise<CommandResult> {
    const result = (r: OperateResult): CommandResult => ({ accepted: r.ok, message: r.message });
    const g = 'group' in a && a.group !== undefined ? this.findGroup(a.group) : undefined;
    if ('group' in a && a.group !== undefined && !g) return { accepted: false, message: `group ${a.group} not found` };
    const namespace = g?.namespace ?? 'default';
    switch (a.action) {
      case 'switchover':
        return result(
          await requestSwitchover(this.admin.objects, {
            namespace,
            group: g!.name,
            to: a.to,
            force: a.force,
            id: `sim-request-${++this.requests}`,
            requestedAt: new Date(this.clock.now()).toISOString(),
          }),
        );
      case 'clear':
        return result(await clearGroup(this.admin.objects, { namespace, group: g!.name, ...(a.node ? { node: a.node } : {}) }));
      case 'maintenance':
        return result(
          await setMaintenance(this.admin.objects, {
            namespace,
            enabled: a.enabled,
            ...(g ? { group: g.name } : {}),
            ...(a.node ? { node: a.node } : {}),
          }),
        );
      case 'setDesiredState': {
        // As in git: change the manifest, winha apply the set.
        for (const o of this.manifests) {
          const meta = (o['metadata'] ?? {}) as Obj;
          if (o['kind'] === 'FailoverGroup' && meta['name'] === g!.name && (meta['namespace'] ?? 'default') === namespace) {
            o['spec'] = { ...((o['spec'] ?? {}) as Obj), desiredState: a.state };
          }
        }
        const outcomes = await apply(this.admin.objects, this.manifests);
        const changed = outcomes.filter((x) => x.action !== 'unchanged').map((x) => `${x.kind}/${x.name} ${x.action}`);
        return {
          accepted: true,
          message: `applied desiredState ${a.state} for ${g!.name}${changed.length ? ` (${changed.join(', ')})` : ' (unchanged)'}`,
        };
      }
    }
  }

  async manual(a: ManualAction): Promise<CommandResult> {
    return performManualAction(this.api, a);
  }

  async stop(): Promise<void> {
    for (const node of [...this.agents.keys()]) this.stopAgent(node);
    await this.advance(0);
    await this.admin?.close();
  }
}

/** The store name of a group's lease: the agent's naming (src/controller/lease/group-lease.ts), which this layer may not import. */
function groupLeaseName(ns: string, name: string): string {
  return `group.${ns}.${name}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function groupObservation(g: StoredObject, clusterMaintenance: boolean): GroupObservation {
  const spec = (g.spec ?? {}) as { desiredState?: string; maintenance?: boolean };
  const st = (g.status ?? {}) as {
    activeNode?: string;
    epoch?: number;
    phase?: string;
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; code?: number; message?: string }[];
    nodes?: { name: string; state: string; bannedUntil?: string }[];
  };
  const conditions = (st.conditions ?? []).map((c) => {
    const o: GroupObservation['conditions'][number] = { type: c.type, status: c.status };
    if (c.reason !== undefined) o.reason = c.reason;
    if (c.code !== undefined) o.code = c.code;
    if (c.message !== undefined) o.message = c.message;
    return o;
  });
  const o: GroupObservation = {
    namespace: g.metadata.namespace,
    name: g.metadata.name,
    desiredState: spec.desiredState === 'OutOfService' ? 'OutOfService' : 'InService',
    maintenance: spec.maintenance === true || g.metadata.annotations?.['winha.io/maintenance'] === 'true' || clusterMaintenance,
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    conditions,
    nodes: (st.nodes ?? []).map((n) => {
      const until = n.bannedUntil ? Date.parse(n.bannedUntil) : NaN;
      return { name: n.name, state: n.state, ...(Number.isFinite(until) ? { bannedUntil: until } : {}) };
    }),
  };
  if (st.activeNode) o.activeNode = st.activeNode;
  if (st.epoch !== undefined) o.epoch = st.epoch;
  if (st.phase) o.phase = st.phase;
  return o;
}

/** The factory `winha sim run` and `winha sim fuzz` use. */
export function agentTargetFactory(options: AgentTargetOptions): () => AgentTarget {
  return () => new AgentTarget(options);
}
