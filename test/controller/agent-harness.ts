/**
 * Two or three real agents in one process: one shared memory store, one
 * simulated world, one VirtualClock. Store partitions are modelled by a store
 * wrapper that fails every call from a cut node.
 */
import { webDataMirror } from '../support/objects.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { World, type SimHostConfig } from '../../src/sim/world/world.js';
import { LocalWorldApi, callWorld, type WorldApi, type WorldRequest, type WorldResponse } from '../../src/drivers/sim/world-protocol.js';
import type { SiteDefinition } from '../../src/drivers/types.js';
import { SimHostDriver } from '../../src/drivers/sim/sim-host-driver.js';
import type { Fault } from '../../src/drivers/sim/world-faults.js';
import { openMemoryStore, type MemoryStore } from '../../src/store/memory.js';
import { UnavailableError } from '../../src/store/errors.js';
import type { LeaseRecord, LeaseStore, ObjectStore, Store, StoredObject, Watch, WatchEvent } from '../../src/store/types.js';
import { Agent } from '../../src/controller/agent.js';
import { withDefaults } from '../../src/api/with-defaults.js';

let storeSeq = 0;

export const VIP = '10.0.0.50';

export interface HarnessOptions {
  nodes?: number;
  priorities?: number[];
  switchback?: 'Intelligent' | 'Automatic';
  timing?: { leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
  mirror?: boolean;
  management?: 'Managed' | 'Adopted';
  worldTiming?: Record<string, number>;
  seed?: number;
  /** Extra FailoverGroup spec fields (desiredState, autoFailover, failurePolicy, ...). */
  group?: Record<string, unknown>;
  /** Extra IISSite spec fields (checks, localRecovery, ...). */
  site?: Record<string, unknown>;
  /** Sites configured on a host before the agents start (Adopted management, foreign sites). */
  hostSites?: Record<string, SiteDefinition[]>;
  /** Objects (by name) not created before the agents start (a test creates them later). */
  omit?: string[];
}

/** The site as the manifests define it, for pre-configuring hosts (Adopted sites). */
export const WEBSITE1: SiteDefinition = {
  name: 'website1',
  bindings: [{ protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' }],
  physicalPath: 'E:\\sites\\website1',
  applicationPool: 'website1',
  serverAutoStart: false,
};

/** A world API whose calls a test may intercept (to model a third party acting at a precise moment). */
class InterceptableWorldApi implements WorldApi {
  before: ((r: WorldRequest) => Promise<void> | void) | undefined;
  constructor(private readonly inner: WorldApi) {}
  async call(r: WorldRequest): Promise<WorldResponse> {
    if (this.before) await this.before(r);
    return this.inner.call(r);
  }
}

/** How long a call on a silent connection waits before failing (a store client's request timeout). */
export const SILENT_STORE_ANSWER_MS = 30_000;

/**
 * A store connection that can be cut from the store (storePartition): every call fails at once, or, 'silent',
 * only after SILENT_STORE_ANSWER_MS (a connection that carries nothing and is not closed: a pulled cable).
 */
class CuttableStore implements Store {
  cut: boolean | 'silent' = false;
  /** While cut, calls fail at once (0: a refused connection) or only after this long (a silent network: the client's deadline). */
  hangMs = 0;
  /** While set, watch events are held back (a lagging watch: the agent's cache falls behind what it wrote). */
  holdWatch = false;
  /** Status writes of these kinds fail (a store that refuses one kind of write for a while). */
  failStatusOf = new Set<string>();
  /** Every call answers, but only after this long (an agent starved of CPU: the answer is right and comes late). */
  slowMs = 0;
  readonly objects: ObjectStore;
  readonly leases: LeaseStore;
  constructor(
    private readonly inner: MemoryStore,
    clock: VirtualClock,
  ) {
    const guard = <T>(fn: () => Promise<T>): Promise<T> => {
      if (!this.cut && this.slowMs > 0) return clock.sleep(this.slowMs).then(fn);
      if (!this.cut) return fn();
      if (this.cut === 'silent') {
        return new Promise<T>((_, reject) =>
          clock.setTimer(SILENT_STORE_ANSWER_MS, () => reject(new UnavailableError('store unreachable (no answer)'))),
        );
      }
      const fail = () =>
        Promise.reject(new UnavailableError(`store unreachable (partition${this.hangMs ? `, no answer within ${this.hangMs} ms` : ''})`));
      return this.hangMs > 0 ? clock.sleep(this.hangMs).then(fail) : fail();
    };
    const isCut = () => this.cut;
    const isHeld = () => this.holdWatch;
    this.objects = {
      get: (k, n, name) => guard(() => inner.get(k, n, name)),
      list: (k, o) => guard(() => inner.list(k, o)),
      watch: (k, o): Watch => {
        if (isCut()) throw new UnavailableError('store unreachable (partition)');
        const w = inner.watch(k, o);
        return {
          close: () => w.close(),
          async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
            for await (const ev of w) {
              if (isCut()) throw new UnavailableError('store unreachable (partition)');
              while (isHeld()) await clock.sleep(100);
              yield ev;
            }
          },
        };
      },
      create: (o) => guard(() => inner.create(o)),
      update: (o) => guard(() => inner.update(o)),
      updateStatus: (o) =>
        this.failStatusOf.has(o.kind)
          ? Promise.reject(new UnavailableError(`store refuses ${o.kind} status writes (test)`))
          : guard(() => inner.updateStatus(o)),
      delete: (k, n, name, o) => guard(() => inner.delete(k, n, name, o)),
      batch: (ops) => guard(() => inner.batch(ops)),
    };
    this.leases = {
      get: (n) => guard(() => inner.leases.get(n)),
      acquire: (n, h, d, v) => guard(() => inner.leases.acquire(n, h, d, v)),
      ...(inner.leases.list ? { list: (p: string) => guard(() => inner.leases.list!(p)) } : {}),
      ...(inner.leases.renewMany ? { renewMany: (r: LeaseRecord[], d: number) => guard(() => inner.leases.renewMany!(r, d)) } : {}),
      renew: (n, h, e) => guard(() => inner.leases.renew(n, h, e)),
      release: (n, h, e) => guard(() => inner.leases.release(n, h, e)),
      remainingMs: (r) => inner.leases.remainingMs(r),
    };
  }
  get url(): string {
    return this.inner.url;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export function manifests(o: HarnessOptions = {}): Record<string, unknown>[] {
  const n = o.nodes ?? 2;
  const names = Array.from({ length: n }, (_, i) => `node${i + 1}`);
  const prios = o.priorities ?? [1, 10, 20].slice(0, n);
  const objs: Record<string, unknown>[] = [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'c1', namespace: 'default' },
      spec: { nodes: names.map((x, i) => ({ name: x, address: `10.0.0.1${i + 1}` })), ...(o.timing ? { timing: o.timing } : {}) },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'FailoverGroup',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodes: names.map((x, i) => ({ name: x, priority: prios[i] })),
        ...(o.switchback ? { switchback: o.switchback } : {}),
        ...(o.group ?? {}),
      },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'VirtualIP',
      metadata: { name: 'web-vip', namespace: 'default' },
      spec: { group: 'web', address: VIP, prefixLength: 24 },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'IISSite',
      metadata: { name: 'website1', namespace: 'default' },
      spec: {
        group: 'web',
        siteName: 'website1',
        bindings: [{ protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' }],
        physicalPath: 'E:\\sites\\website1',
        ...(o.management ? { management: o.management } : {}),
        ...(o.site ?? {}),
      },
    },
  ];
  if (o.mirror !== false && n === 2) {
    objs.push({ ...webDataMirror(n) });
  }
  return objs;
}

export async function harness(o: HarnessOptions = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const n = o.nodes ?? 2;
  const names = Array.from({ length: n }, (_, i) => `node${i + 1}`);
  const hosts: SimHostConfig[] = names.map((x, i) => ({
    name: x,
    interfaces: [
      { alias: 'Ethernet', mac: `00-15-5D-00-00-0${i + 1}`, addresses: [{ address: `10.0.0.1${i + 1}`, prefixLength: 24 }] },
      { alias: 'Replication', mac: `00-15-5D-00-01-0${i + 1}`, addresses: [{ address: `172.16.0.1${i + 1}`, prefixLength: 24 }] },
    ],
    volumes: [{ letter: 'E', totalBlocks: 2048, usedBlocks: 512 }],
    ...(o.hostSites?.[x] ? { sites: o.hostSites[x] } : {}),
  }));
  const world = new World(clock, new SeededRandom(o.seed ?? 7), { hosts, ...(o.worldTiming ? { timing: o.worldTiming } : {}) });
  const api = new InterceptableWorldApi(new LocalWorldApi(world));
  const storeName = `agent-test-${++storeSeq}`;
  const admin = openMemoryStore(storeName, { clock });
  for (const m of manifests(o))
    if (!o.omit?.includes(String((m['metadata'] as { name: string }).name))) await admin.create(withDefaults(m) as never);
  const conns = new Map<string, CuttableStore>();
  const agents = new Map<string, Agent>();
  const logs: string[] = [];
  const startAgent = (node: string) => {
    const store = new CuttableStore(openMemoryStore(storeName, { clock }), clock);
    conns.set(node, store);
    const logger = {
      info: (_o: Record<string, unknown>, msg: string) => logs.push(`${node} ${msg}`),
      warn: (_o: Record<string, unknown>, msg: string) => logs.push(`${node} WARN ${msg}`),
      error: (_o: Record<string, unknown>, msg: string) => logs.push(`${node} ERROR ${msg}`),
    };
    const a = new Agent({ node, store, driver: new SimHostDriver(api, node, clock), clock, logger });
    agents.set(node, a);
    a.start();
    return a;
  };
  for (const x of names) startAgent(x);
  const fault = async (f: Fault) => {
    // A crashed host takes its agent with it; a restored host starts a fresh agent (a new process).
    if (f.type === 'nodeCrash') agents.get(f.node)?.stop();
    const r = await callWorld(api, 'world.fault', { fault: f });
    if (f.type === 'nodeRestore') startAgent(f.node);
    return r;
  };
  const inspect = () => callWorld(api, 'world.inspect', {});
  const group = async () => (await admin.get('FailoverGroup', 'default', 'web')) as StoredObject & { status?: Record<string, any> };
  const events = async () => (await admin.list('Event')).items as (StoredObject & Record<string, any>)[];
  /** Advance virtual time in small steps, checking the world never has two servers (singleActive). */
  const run = async (ms: number, step = 250) => {
    for (let t = 0; t < ms; t += step) {
      await clock.advance(step);
      const insp = await inspect();
      const serving = Object.entries(insp.startedSites)
        .filter(([, s]) => s.includes('website1'))
        .map(([h]) => h);
      if (serving.length > 1) throw new Error(`two nodes serve website1 at ${new Date(clock.now()).toISOString()}: ${serving.join(', ')}`);
    }
  };
  const until = async (cond: () => Promise<boolean>, maxMs = 120_000, step = 250) => {
    for (let t = 0; t < maxMs; t += step) {
      if (await cond()) return t;
      await run(step, step);
    }
    throw new Error(`condition not reached within ${maxMs} ms of virtual time; last log:\n${logs.slice(-15).join('\n')}`);
  };
  const serving = async () => {
    const insp = await inspect();
    return Object.entries(insp.startedSites)
      .filter(([, s]) => s.includes('website1'))
      .map(([h]) => h);
  };
  const stopAll = async () => {
    for (const a of agents.values()) a.stop();
    await clock.advance(10);
  };
  const holdWatch = (node: string, hold: boolean) => {
    conns.get(node)!.holdWatch = hold;
  };
  const failStatusWrites = (node: string, kind: string, fail: boolean) => {
    if (fail) conns.get(node)!.failStatusOf.add(kind);
    else conns.get(node)!.failStatusOf.delete(kind);
  };
  /** Every store call of `node` answers after `ms` (0: at once again). */
  const slowStore = (node: string, ms: number) => {
    conns.get(node)!.slowMs = ms;
  };
  const cutStore = (node: string, cut: boolean | 'silent', hangMs = 0) => {
    conns.get(node)!.cut = cut;
    conns.get(node)!.hangMs = hangMs;
  };
  /** Read-modify-write of a stored object (an operator's `winha apply` or CLI command). */
  const patch = async (kind: string, name: string, f: (o: StoredObject & Record<string, any>) => StoredObject) => {
    for (let i = 0; i < 5; i++) {
      const cur = (await admin.get(kind, 'default', name)) as StoredObject & Record<string, any>;
      try {
        return await admin.update(f(structuredClone(cur)));
      } catch (err) {
        if (i === 4) throw err;
      }
    }
    throw new Error('unreachable');
  };
  /** What `winha switchover web --to NODE [--force]` writes. */
  const switchover = (to: string, force = false, id = `req-${to}-${force}`) =>
    patch('FailoverGroup', 'web', (g) => ({
      ...g,
      metadata: {
        ...g.metadata,
        annotations: { ...(g.metadata.annotations ?? {}), 'winha.io/switchover': JSON.stringify({ id, to, force }) },
      },
    }));
  const annotate = (kind: string, name: string, key: string, value: string | undefined) =>
    patch(kind, name, (o) => {
      const ann = { ...(o.metadata.annotations ?? {}) };
      if (value === undefined) delete ann[key];
      else ann[key] = value;
      return { ...o, metadata: { ...o.metadata, annotations: ann } };
    });
  const sitesOn = async (node: string) =>
    (await callWorld(api, 'site.list', { host: node })) as {
      name: string;
      state: string;
      serverAutoStart: boolean;
      bindings: { protocol: string; address: string; port: number; hostHeader: string }[];
    }[];
  const mirror = async () => (await admin.get('Mirror', 'default', 'web-data')) as StoredObject & { status?: Record<string, any> };
  const reasons = async (node?: string) =>
    (await events()).filter((e) => node === undefined || e['node'] === node).map((e) => e['reason'] as string);
  const hasEvent = async (f: (e: Record<string, any>) => boolean) => (await events()).some(f);
  return {
    clock,
    world,
    api,
    admin,
    agents,
    startAgent,
    fault,
    inspect,
    group,
    events,
    run,
    until,
    serving,
    stopAll,
    cutStore,
    slowStore,
    holdWatch,
    failStatusWrites,
    logs,
    patch,
    switchover,
    annotate,
    sitesOn,
    mirror,
    reasons,
    hasEvent,
  };
}

export type Harness = Awaited<ReturnType<typeof harness>>;

/** Wait until `node` is the group's active node and the group is Ready. */
export function ready(h: Harness, node: string, maxMs = 120_000): Promise<number> {
  return h.until(async () => {
    const g = await h.group();
    return g.status?.['activeNode'] === node && cond(g, 'Ready')?.['status'] === 'True';
  }, maxMs);
}

/** Wait until the group reports MirrorInSync=True. */
export function mirroring(h: Harness, maxMs = 300_000): Promise<number> {
  return h.until(async () => cond(await h.group(), 'MirrorInSync')?.['status'] === 'True', maxMs);
}

export function cond(g: { status?: Record<string, any> }, type: string): Record<string, any> | undefined {
  return (g.status?.['conditions'] as Record<string, any>[] | undefined)?.find((c) => c['type'] === type);
}
