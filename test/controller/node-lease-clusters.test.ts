/**
 * Two Clusters in one store may each name a node `node1` (different machines: the examples reuse node names).
 * Each Cluster's node1 renews its own node lease, so a dead node1 of one Cluster is not kept alive by the other's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { openMemoryStore, type MemoryStore } from '../../src/store/memory.js';
import { Agent, groupLeaseName } from '../../src/controller/agent.js';
import { legacyNodeLeaseName, nodeLeaseName, readNodeLease } from '../../src/controller/lease/node-liveness.js';
import { readStatus } from '../../src/cli/commands/status.js';
import { emptyHost } from '../support/empty-host.js';

const cluster = (namespace: string, name: string) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'Cluster',
  metadata: { namespace, name },
  spec: {
    nodes: [
      { name: 'node1', address: '10.0.0.11' },
      { name: 'node2', address: '10.0.0.12' },
    ],
  },
});
const group = (namespace: string) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'FailoverGroup',
  metadata: { namespace, name: 'web' },
  spec: {
    nodes: [
      { name: 'node1', priority: 1 },
      { name: 'node2', priority: 2 },
    ],
  },
});

const A = { namespace: 'prod', name: 'a' };
const B = { namespace: 'staging', name: 'b' };

async function world(): Promise<{ clock: VirtualClock; store: MemoryStore }> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const store = openMemoryStore('', { clock });
  for (const o of [cluster(A.namespace, A.name), group(A.namespace), cluster(B.namespace, B.name), group(B.namespace)])
    await store.objects.create(o);
  return { clock, store };
}

function agent(w: { clock: VirtualClock; store: MemoryStore }, node: string, scope: { namespace: string; name: string }): Agent {
  return new Agent({ node, store: w.store, driver: emptyHost(node), clock: w.clock, cluster: scope });
}

async function nodeStates(store: MemoryStore, namespace: string, now: number): Promise<Record<string, string>> {
  const { view } = await readStatus(store, namespace, () => now);
  return Object.fromEntries(view.clusters[0]!.nodes.map((n) => [n.name, n.state]));
}

async function reported(store: MemoryStore, namespace: string, name: string): Promise<Record<string, string>> {
  const c = await store.objects.get('Cluster', namespace, name);
  const nodes = ((c.status ?? {}) as { nodes?: { name: string; state: string }[] }).nodes ?? [];
  return Object.fromEntries(nodes.map((n) => [n.name, n.state]));
}

test("cluster a's node1 is dead while cluster b's node1 renews: a's peer and winha status see a/node1 Dead, b/node1 Alive", async () => {
  const w = await world();
  // a/node1 has no agent (dead); a/node2, b/node1 and b/node2 run.
  const agents = [agent(w, 'node2', A), agent(w, 'node1', B), agent(w, 'node2', B)];
  for (const a of agents) a.start();
  try {
    for (let i = 0; i < 600; i++) await w.clock.advance(100);
    assert.deepEqual(await reported(w.store, A.namespace, A.name), { node1: 'Dead', node2: 'Alive' }, "a's agent reports a/node1 dead");
    assert.deepEqual(await reported(w.store, B.namespace, B.name), { node1: 'Alive', node2: 'Alive' });
    assert.deepEqual(await nodeStates(w.store, A.namespace, w.clock.now()), { node1: 'Dead', node2: 'Alive' });
    assert.deepEqual(await nodeStates(w.store, B.namespace, w.clock.now()), { node1: 'Alive', node2: 'Alive' });
    // a/node1 being dead, a/node2 serves a's group; b's group stays with b/node1.
    assert.equal((await w.store.leases.get(groupLeaseName(A.namespace, 'web')))?.holder, 'node2');
    assert.equal((await w.store.leases.get(groupLeaseName(B.namespace, 'web')))?.holder, 'node1');
    assert.equal((await w.store.leases.get(legacyNodeLeaseName('node1'))) ?? null, null, 'an upgraded agent writes no legacy lease');
  } finally {
    for (const a of agents) a.stop();
    await w.store.close();
  }
});

test('rolling upgrade: a node whose agent still renews only the legacy node.NODE lease is read by it until it has its own', async () => {
  const w = await world();
  const peer = agent(w, 'node2', A);
  peer.start();
  try {
    // a/node1 runs an older agent: it renews node.node1 only.
    const old = await w.store.leases.acquire(legacyNodeLeaseName('node1'), 'node1', 15);
    for (let i = 0; i < 300; i++) {
      await w.clock.advance(100);
      if (i % 20 === 0) await w.store.leases.renew(legacyNodeLeaseName('node1'), 'node1', old.lease.epoch);
    }
    assert.deepEqual(await nodeStates(w.store, A.namespace, w.clock.now()), { node1: 'Alive', node2: 'Alive' });
    assert.equal(
      (await w.store.leases.get(groupLeaseName(A.namespace, 'web')))?.holder ?? '',
      '',
      'node1 alive, first by priority: node2 waits',
    );
    // node1 upgraded, then dies: its own (per-Cluster) lease is read from now on, though the legacy one still renews.
    await w.store.leases.acquire(nodeLeaseName(A, 'node1'), 'node1', 15);
    for (let i = 0; i < 600; i++) {
      await w.clock.advance(100);
      if (i % 20 === 0) await w.store.leases.renew(legacyNodeLeaseName('node1'), 'node1', old.lease.epoch);
    }
    assert.equal((await readNodeLease(w.store.leases, A, 'node1'))?.name, nodeLeaseName(A, 'node1'));
    assert.deepEqual(await reported(w.store, A.namespace, A.name), { node1: 'Dead', node2: 'Alive' });
    assert.deepEqual(await nodeStates(w.store, A.namespace, w.clock.now()), { node1: 'Dead', node2: 'Alive' });
    assert.equal((await w.store.leases.get(groupLeaseName(A.namespace, 'web')))?.holder, 'node2');
  } finally {
    peer.stop();
    await w.store.close();
  }
});

test('node lease names: per Cluster, distinct from the legacy name, valid Kubernetes names even for a long Cluster name', () => {
  assert.equal(nodeLeaseName(A, 'node1'), 'node.prod.a.node1');
  assert.notEqual(nodeLeaseName(A, 'node1'), nodeLeaseName(B, 'node1'));
  assert.equal(legacyNodeLeaseName('node1'), 'node.node1');
  const long = { namespace: 'prod', name: `${'x'.repeat(200)}.${'y'.repeat(52)}` };
  const name = nodeLeaseName(long, 'node1');
  assert.ok(name.length <= 253, name);
  assert.match(name, /^node\.prod\.h-[0-9a-f]+\.node1$/);
  assert.notEqual(name, nodeLeaseName({ ...long, name: long.name.replace('x', 'z') }, 'node1'));
});

test('an upgraded agent also renews the legacy node.NODE lease (older peers read it) only while no other Cluster names its node', async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const store = openMemoryStore('', { clock });
  await store.objects.create(cluster(A.namespace, A.name));
  const a = new Agent({ node: 'node1', store, driver: emptyHost('node1'), clock, cluster: A, legacyNodeLease: true });
  a.start();
  try {
    for (let i = 0; i < 50; i++) await clock.advance(100);
    const renewed = async () => (await store.leases.get(legacyNodeLeaseName('node1')))?.renewTime;
    const first = await renewed();
    assert.ok(first, 'the legacy lease is renewed while a/node1 is the only node1');
    for (let i = 0; i < 50; i++) await clock.advance(100);
    assert.notEqual(await renewed(), first, 'renewed again');
    // Cluster b names a node1 too: the legacy lease would keep b's node1 alive, so it is no longer renewed.
    await store.objects.create(cluster(B.namespace, B.name));
    for (let i = 0; i < 50; i++) await clock.advance(100);
    const last = await renewed();
    for (let i = 0; i < 300; i++) await clock.advance(100);
    assert.equal(await renewed(), last, 'not renewed once another Cluster names node1');
    assert.equal(
      await nodeStates(store, B.namespace, clock.now()).then((s) => s['node1']),
      'Dead',
      "b's node1 is not kept alive by a's agent",
    );
  } finally {
    a.stop();
    await store.close();
  }
});
