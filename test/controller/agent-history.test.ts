/**
 * The group's history in its status (issue 18 item 2), written by real agents on virtual time: the start, a
 * crash of the active (Failover node1 → node2, with the outage) and an operator's switchover, each once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, ready } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

describe('agents: status.history (virtual time)', () => {
  it('start on node1, node1 crashes (Failover node1 → node2, outage > 0), switchover to node3: each once, oldest first', async () => {
    const h = await harness({ timing: FAST, nodes: 3 });
    try {
      await ready(h, 'node1');
      await h.run(3000);
      const crashedAt = h.clock.now();
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await ready(h, 'node2');
      await h.run(3000);
      await h.switchover('node3');
      await ready(h, 'node3');
      await h.run(5000);
      const history = ((await h.group()).status?.['history'] ?? []) as Record<string, any>[];
      assert.deepEqual(
        history.map((e) => `${e['kind']} ${e['from'] ?? '-'} → ${e['to']}`),
        ['Start - → node1', 'Failover node1 → node2', 'Switchover node2 → node3'],
        JSON.stringify(history, null, 1),
      );
      const [start, failover, switchover] = history as [Record<string, any>, Record<string, any>, Record<string, any>];
      assert.ok(failover['outageSeconds'] > 0, `outage ${failover['outageSeconds']}`);
      assert.ok(Date.parse(failover['at']) >= crashedAt, 'the failover began after the crash');
      assert.ok(failover['epoch'] > start['epoch'], 'a new term');
      assert.ok(switchover['epoch'] > failover['epoch'], 'a new term');
      assert.ok(switchover['outageSeconds'] >= 0);
      for (const e of history) assert.ok(typeof e['reason'] === 'string' && e['reason'].length > 0, 'a reason');
      assert.equal(failover['epoch'], (await h.group()).status?.['epoch'] - 1);
    } finally {
      await h.stopAll();
    }
  });
});
