/**
 * Issue 13 item 4: resource status does not speak for a node that cannot. Item 8: every retry has a floor delay. A holder cut from the store fences, and its stop keeps failing:
 * it must keep trying (the site must come down) but not spin (thousands of attempts in one virtual millisecond).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cond, harness, mirroring, ready, type Harness } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

/** node1 serves web with its mirror in sync, then crashes; resolves once node2 has taken over (DataKeeper's wait shortened). */
async function crashedActive(): Promise<Harness> {
  const h = await harness({ timing: FAST, worldTiming: { switchoverUnreachableMs: 500 } });
  await ready(h, 'node1');
  await mirroring(h);
  await h.run(3000);
  await h.fault({ type: 'nodeCrash', node: 'node1' });
  await ready(h, 'node2', 60_000);
  return h;
}

/** The SplitBrain warnings written so far, as "node: message". */
async function splitBrainWarnings(h: Harness): Promise<string[]> {
  return (await h.events()).filter((e) => e['reason'] === 'SplitBrain').map((e) => `${String(e['node'])}: ${String(e['message'])}`);
}

describe('retries have a floor delay', () => {
  it('a fence whose site stop keeps failing retries a few times a second, not in a hot loop', { timeout: 60_000 }, async () => {
    const h = await harness({ timing: FAST });
    try {
      await h.until(
        async () => (await h.group()).status?.['activeNode'] === 'node1' && cond(await h.group(), 'Ready')?.['status'] === 'True',
      );
      await h.fault({ type: 'commandFail', node: 'node1', operation: 'stopSite', times: 1_000_000 });
      h.cutStore('node1', true);
      const from = h.clock.now();
      await h.clock.advance(10_000);
      const stops = h.world.trace.filter((e) => e.host === 'node1' && e.operation === 'stopSite' && e.at >= from);
      assert.ok(stops.length > 0, 'the fence tried to stop the site');
      const perInstant = new Map<number, number>();
      for (const e of stops) perInstant.set(e.at, (perInstant.get(e.at) ?? 0) + 1);
      // The kit re-checks a stopping site 10 times per stop; more than that at one instant is a retry without delay.
      assert.ok(Math.max(...perInstant.values()) <= 10, `${Math.max(...perInstant.values())} stop attempts at one instant`);
      assert.ok(stops.length <= 10 * 50, `${stops.length} stop attempts in 10 s`);
    } finally {
      await h.stopAll();
    }
  });
});

describe('status of silent nodes', () => {
  it('a crashed node is Unknown in the site and address status, not its last report', async () => {
    const h = await crashedActive();
    try {
      await h.until(async () => {
        const site = (await h.admin.get('IISSite', 'default', 'website1')) as { status?: { nodes?: { name: string; state?: string }[] } };
        const vip = (await h.admin.get('VirtualIP', 'default', 'web-vip')) as {
          status?: { nodes?: { name: string; addressState?: string }[] };
        };
        return (
          site.status?.nodes?.find((n) => n.name === 'node1')?.state === 'Unknown' &&
          vip.status?.nodes?.find((n) => n.name === 'node1')?.addressState === 'Unknown'
        );
      }, 10_000);
    } finally {
      await h.stopAll();
    }
  });
});

describe('no false split brain', () => {
  it('an active cut from the store that fenced and comes back raises no SplitBrain warning', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(700);
      h.cutStore('node1', true);
      await ready(h, 'node2');
      await h.run(5000);
      h.cutStore('node1', false);
      await h.run(15_000);
      assert.deepEqual(await splitBrainWarnings(h), []);
      assert.deepEqual(await h.serving(), ['node2']);
    } finally {
      await h.stopAll();
    }
  });

  it('a crashed active that returns raises no SplitBrain warning', async () => {
    const h = await crashedActive();
    try {
      await h.fault({ type: 'nodeRestore', node: 'node1' });
      await h.run(15_000);
      assert.deepEqual(await splitBrainWarnings(h), []);
    } finally {
      await h.stopAll();
    }
  });
});
