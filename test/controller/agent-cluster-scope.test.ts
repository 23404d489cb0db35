/**
 * Issue 18 item 4: an agent serves only the Cluster it was started for. Two Clusters may each name a node
 * "node1" (two sites, one store, or a staging namespace): node1 of Cluster a must never take a group of Cluster b,
 * which names another machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { Agent, groupLeaseName } from '../../src/controller/agent.js';
import { emptyHost } from '../support/empty-host.js';

const cluster = (namespace: string, name: string) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'Cluster',
  metadata: { namespace, name },
  spec: { nodes: [{ name: 'node1', address: '10.0.0.11' }] },
});
const group = (namespace: string, name: string, clusterName?: string) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'FailoverGroup',
  metadata: { namespace, name },
  spec: { nodes: [{ name: 'node1', priority: 1 }], ...(clusterName ? { cluster: clusterName } : {}) },
});

async function run(scope: { namespace: string; name: string } | undefined) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const store = openMemoryStore('', { clock });
  for (const o of [
    cluster('prod', 'a'),
    group('prod', 'web'),
    cluster('staging', 'b'),
    group('staging', 'web'),
    // Same namespace, two Clusters: the group says which it belongs to.
    cluster('shared', 'a2'),
    cluster('shared', 'b2'),
    group('shared', 'api', 'b2'),
  ])
    await store.objects.create(o);
  const agent = new Agent({ node: 'node1', store, driver: emptyHost('node1'), clock, ...(scope ? { cluster: scope } : {}) });
  agent.start();
  try {
    for (let i = 0; i < 100; i++) await clock.advance(100);
    const holder = async (ns: string, g: string) => (await store.leases.get(groupLeaseName(ns, g)))?.holder ?? '';
    return { prod: await holder('prod', 'web'), staging: await holder('staging', 'web'), shared: await holder('shared', 'api') };
  } finally {
    agent.stop();
    await store.close();
  }
}

test('an agent started for Cluster prod/a takes only prod/a groups, not those of other Clusters naming a node1', async () => {
  assert.deepEqual(await run({ namespace: 'prod', name: 'a' }), { prod: 'node1', staging: '', shared: '' });
  assert.deepEqual(await run({ namespace: 'shared', name: 'b2' }), { prod: '', staging: '', shared: 'node1' });
});

test('without a Cluster scope (tests, simulation) every group naming the node is served, as before', async () => {
  assert.deepEqual(await run(undefined), { prod: 'node1', staging: 'node1', shared: 'node1' });
});
