/**
 * Acceptance rows E2, E4 and E5 with real agents (memory store, simulated
 * hosts, virtual time): partitions from the store, restarts, failover time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, cond, ready, mirroring, VIP } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
const MUTATING = new Set(['startSite', 'stopSite', 'addVirtualIp', 'removeVirtualIp', 'switchoverMirror', 'startService', 'stopService', 'ensureSite', 'setServerAutoStart', 'createMirror']);

describe('agents: election, partitions, timing (virtual time)', () => {
  it('E2: the whole store is unreachable: nobody activates anything new; the active fences itself within renewDeadline', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(2000);
      const before = h.world.trace.length;
      h.cutStore('node1', true);
      h.cutStore('node2', true);
      const fencedAfter = await h.until(async () => (await h.serving()).length === 0, 10_000, 100);
      assert.ok(fencedAfter <= 3000 + 1000, `node1 stopped serving ${fencedAfter} ms after the cut (renewDeadline 3 s, retry 1 s)`);
      await h.run(20_000);
      assert.deepEqual(await h.serving(), []);
      assert.equal((await h.inspect()).addressHolders[VIP], undefined);
      const activations = h.world.trace.slice(before).filter((t) => ['startSite', 'addVirtualIp', 'switchoverMirror', 'createMirror'].includes(t.operation));
      assert.deepEqual(activations.map((t) => `${t.host}:${t.operation}`), [], 'nothing new was activated anywhere');
      // The store comes back: the group is served again by one node.
      h.cutStore('node1', false);
      h.cutStore('node2', false);
      await h.until(async () => cond(await h.group(), 'Ready')?.['status'] === 'True' && (await h.serving()).length === 1, 30_000);
      assert.deepEqual((await h.inspect()).lostAcknowledgedWrites, []);
    } finally {
      await h.stopAll();
    }
  });

  it("E4: node2's agent restarted: nothing moves, no host command on node1, same epoch", async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(3000);
      const g0 = await h.group();
      const before = h.world.trace.length;
      h.agents.get('node2')!.stop();
      await h.run(2000);
      h.startAgent('node2');
      await h.run(20_000);
      const g = await h.group();
      assert.equal(g.status?.['activeNode'], 'node1');
      assert.equal(g.status?.['epoch'], g0.status?.['epoch']);
      assert.equal(cond(g, 'Ready')?.['status'], 'True');
      const mutating = h.world.trace.slice(before).filter((t) => MUTATING.has(t.operation));
      assert.deepEqual(mutating.map((t) => `${t.host}:${t.operation}`), []);
      assert.deepEqual(await h.serving(), ['node1']);
      assert.ok(!(await h.reasons()).some((r) => r === 'Failover' || r === 'Released'));
    } finally {
      await h.stopAll();
    }
  });
});

describe('E5: failover time at lease timing 15/10/2 (virtual time, simulated hosts)', () => {
  const E5 = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

  it('E5: node1 crashes: node2 Ready within lease + 1 s (group without a mirror)', async () => {
    const h = await harness({ timing: E5, mirror: false });
    try {
      await ready(h, 'node1');
      await h.run(7_000);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      const t = await ready(h, 'node2', 60_000);
      assert.ok(t <= 16_000, `node2 Ready ${t} ms after the crash (lease 15 s + 1 s)`);
      const lf = (await h.group()).status?.['lastFailover'];
      assert.equal(lf?.['from'], 'node1');
      assert.ok(lf?.['durationSeconds'] <= 2, `activation took ${lf?.['durationSeconds']} s after the lease expired`);
    } finally {
      await h.stopAll();
    }
  });

  it("E5 with a mirror: DataKeeper's switchover with the source unreachable (~35 s, dk-guide §4.2) comes on top: Ready within lease + 35 s + 1 s, no acknowledged write lost", async () => {
    const h = await harness({ timing: E5 });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(7_000);
      await h.fault({ type: 'write', node: 'node1', volume: 'E', count: 5 });
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      const t = await ready(h, 'node2', 120_000);
      assert.ok(t <= 15_000 + 35_000 + 1_000, `node2 Ready ${t} ms after the crash`);
      assert.ok(t >= 15_000 + 35_000 - 2_000, `faster than DataKeeper allows (${t} ms): the sim no longer models the wait`);
      assert.deepEqual((await h.inspect()).lostAcknowledgedWrites, []);
    } finally {
      await h.stopAll();
    }
  });
});
