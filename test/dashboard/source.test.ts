/**
 * The dashboard's live source: it re-reads node leases only while someone watches (the agent serves the pages
 * beside lease renewal: a tab closed long ago must cost it nothing), and a model asked for after a quiet spell is
 * built on leases read then, not on the old ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock } from '../../src/lib/clock.js';
import { MemoryStore } from '../../src/store/index.js';
import { DashboardSource } from '../../src/dashboard/index.js';
import { OBJECTS } from './fixture.js';

test('leases are re-read while a view is open, not after; a later model reads them afresh', async () => {
  const store = new MemoryStore('memory://dashboard-source');
  for (const o of OBJECTS) await store.objects.create(o);
  await store.leases.acquire('node.default.prod.node1', 'node1', 15);
  let reads = 0;
  const get = store.leases.get.bind(store.leases);
  store.leases.get = (name: string) => {
    reads++;
    return get(name);
  };
  const clock = new SystemClock();
  const source = new DashboardSource(store, { clock, leaseIntervalMs: 20 });
  try {
    await source.start();
    const unsubscribe = source.subscribe(() => undefined);
    await clock.sleep(200);
    assert.ok(reads >= 6, `re-read while watched: ${reads}`);
    unsubscribe();
    await clock.sleep(60);
    const quiet = reads;
    await clock.sleep(200);
    assert.equal(reads, quiet, 'nobody watching: no lease reads');
    const renewed = await store.leases.acquire('node.default.prod.node1', 'node1', 15);
    const model = await source.model();
    assert.ok(reads > quiet, 'a model after the quiet spell reads the leases first');
    assert.equal(
      model.nodes.find((n) => n.name === 'node1')?.leaseExpiresAt,
      Date.parse(renewed.acquired ? renewed.lease.renewTime : '') + 15_000,
    );
  } finally {
    source.stop();
    await store.close();
  }
});
