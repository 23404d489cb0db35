/**
 * Agents against the memory store and simulated hosts on virtual time, for
 * the acceptance rows an operator would notice (acceptance/scenarios.md).
 * Assertions are about who serves, the world's inspection, events, conditions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, cond, VIP } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

describe('agents (virtual time)', () => {
  it('C1: fresh apply: node1 serves, node2 standby with auto-start off and mirror target Mirroring; Ready; event 9407', async () => {
    const h = await harness({ timing: FAST });
    try {
      await h.until(async () => cond(await h.group(), 'Ready')?.['status'] === 'True' && (await h.group()).status?.['activeNode'] === 'node1');
      await h.until(async () => (await h.inspect()).volumes.some((v) => v.host === 'node2' && v.role === 'target' && v.state === 1));
      const insp = await h.inspect();
      assert.deepEqual(await h.serving(), ['node1']);
      assert.deepEqual(insp.addressHolders[VIP], ['node1']);
      assert.equal(insp.volumes.find((v) => v.host === 'node1')!.role, 'source');
      const sites2 = await h.api.call({ op: 'site.list', args: { host: 'node2' } });
      const w2 = (sites2 as { ok: true; value: { name: string; state: string; serverAutoStart: boolean }[] }).value.find((s) => s.name === 'website1')!;
      assert.equal(w2.state, 'Stopped');
      assert.equal(w2.serverAutoStart, false);
      const evs = await h.events();
      assert.ok(evs.some((e) => e['code'] === 9407 && e['node'] === 'node1'), 'restore event 9407');
      assert.deepEqual(insp.addressConflicts, []);
    } finally {
      await h.stopAll();
    }
  });
});
