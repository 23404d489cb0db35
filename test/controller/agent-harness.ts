/**
 * Two or three real agents in one process: one shared memory store, one
 * simulated world, one VirtualClock. Store partitions are modelled by a store
 * wrapper that fails every call from a cut node.
 */
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { World, type SimHostConfig } from '../../src/sim/world.js';
import { LocalWorldApi, callWorld } from '../../src/sim/world-api.js';
import { SimHostDriver } from '../../src/drivers/sim/sim-host-driver.js';
import type { Fault } from '../../src/sim/faults.js';
import { openMemoryStore, type MemoryStore } from '../../src/store/memory.js';
import { UnavailableError } from '../../src/store/errors.js';
import type { LeaseStore, ObjectStore, Store, StoredObject, Watch, WatchEvent } from '../../src/store/types.js';
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
}

/** A store connection that can be cut from the store (storePartition). */
class CuttableStore implements Store {
  cut = false;
  readonly objects: ObjectStore;
  readonly leases: LeaseStore;
  constructor(private readonly inner: MemoryStore) {
    const guard = <T>(fn: () => Promise<T>): Promise<T> => (this.cut ? Promise.reject(new UnavailableError('store unreachable (partition)')) : fn());
    const self = this;
    this.objects = {
      get: (k, n, name) => guard(() => inner.get(k, n, name)),
      list: (k, o) => guard(() => inner.list(k, o)),
      watch: (k, o): Watch => {
        if (self.cut) throw new UnavailableError('store unreachable (partition)');
        const w = inner.watch(k, o);
        return {
          close: () => w.close(),
          async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
            for await (const ev of w) {
              if (self.cut) throw new UnavailableError('store unreachable (partition)');
              yield ev;
            }
          },
        } as Watch;
      },
      create: (o) => guard(() => inner.create(o)),
      update: (o) => guard(() => inner.update(o)),
      updateStatus: (o) => guard(() => inner.updateStatus(o)),
      delete: (k, n, name, o) => guard(() => inner.delete(k, n, name, o)),
      batch: (ops) => guard(() => inner.batch(ops)),
    };
    this.leases = {
      get: (n) => guard(() => inner.leases.get(n)),
      acquire: (n, h, d) => guard(() => inner.leases.acquire(n, h, d)),
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
    { apiVersion: 'winha.io/v1alpha1', kind: 'Cluster', metadata: { name: 'c1', namespace: 'default' }, spec: { nodes: names.map((x, i) => ({ name: x, address: `10.0.0.1${i + 1}` })), ...(o.timing ? { timing: o.timing } : {}) } },
    { apiVersion: 'winha.io/v1alpha1', kind: 'FailoverGroup', metadata: { name: 'web', namespace: 'default' }, spec: { nodes: names.map((x, i) => ({ name: x, priority: prios[i] })), ...(o.switchback ? { switchback: o.switchback } : {}) } },
    { apiVersion: 'winha.io/v1alpha1', kind: 'VirtualIP', metadata: { name: 'web-vip', namespace: 'default' }, spec: { group: 'web', address: VIP, prefixLength: 24 } },
    {
      apiVersion: 'winha.io/v1alpha1', kind: 'IISSite', metadata: { name: 'website1', namespace: 'default' },
      spec: { group: 'web', siteName: 'website1', bindings: [{ protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' }], physicalPath: 'E:\\sites\\website1', ...(o.management ? { management: o.management } : {}) },
    },
  ];
  if (o.mirror !== false && n === 2) {
    objs.push({ apiVersion: 'winha.io/v1alpha1', kind: 'Mirror', metadata: { name: 'web-data', namespace: 'default' }, spec: { group: 'web', volume: 'E:', endpoints: names.map((x, i) => ({ node: x, address: `172.16.0.1${i + 1}` })) } });
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
  }));
  const world = new World(clock, new SeededRandom(o.seed ?? 7), { hosts, ...(o.worldTiming ? { timing: o.worldTiming } : {}) });
  const api = new LocalWorldApi(world);
  const storeName = `agent-test-${++storeSeq}`;
  const admin = openMemoryStore(storeName, { clock });
  for (const m of manifests(o)) await admin.create(withDefaults(m) as never);
  const conns = new Map<string, CuttableStore>();
  const agents = new Map<string, Agent>();
  const logs: string[] = [];
  const startAgent = (node: string) => {
    const store = new CuttableStore(openMemoryStore(storeName, { clock }));
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
      const serving = Object.entries(insp.startedSites).filter(([, s]) => s.includes('website1')).map(([h]) => h);
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
    return Object.entries(insp.startedSites).filter(([, s]) => s.includes('website1')).map(([h]) => h);
  };
  const stopAll = async () => {
    for (const a of agents.values()) a.stop();
    await clock.advance(10);
  };
  const cutStore = (node: string, cut: boolean) => {
    conns.get(node)!.cut = cut;
  };
  return { clock, world, api, admin, agents, startAgent, fault, inspect, group, events, run, until, serving, stopAll, cutStore, logs };
}

export function cond(g: { status?: Record<string, any> }, type: string): Record<string, any> | undefined {
  return (g.status?.['conditions'] as Record<string, any>[] | undefined)?.find((c) => c['type'] === type);
}
