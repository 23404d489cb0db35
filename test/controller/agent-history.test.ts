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

  it('node1 cut from the store fences itself; once the store answers again its Fence entry (node1 → node2, what it stopped) is in the history, before the Failover', async () => {
    const h = await harness({ timing: FAST, nodes: 2, mirror: false });
    try {
      await ready(h, 'node1');
      await h.run(2000);
      h.cutStore('node1', true);
      await h.until(async () => (await h.serving()).length === 0, 10_000, 100);
      await ready(h, 'node2');
      h.cutStore('node1', false);
      await h.until(async () => ((await h.group()).status?.['history'] ?? []).some((e: any) => e.kind === 'Fence'), 20_000);
      await h.run(5000);
      const history = ((await h.group()).status?.['history'] ?? []) as Record<string, any>[];
      assert.deepEqual(
        history.map((e) => `${e['kind']} ${e['from'] ?? '-'} → ${e['to'] ?? '-'}`),
        ['Start - → node1', 'Fence node1 → node2', 'Failover node1 → node2'],
        JSON.stringify(history, null, 1),
      );
      const fence = history[1]!;
      assert.equal(fence['epoch'], 1);
      assert.equal(fence['outageSeconds'], undefined, 'node1 did not serve again');
      assert.match(fence['reason'], /renewDeadline \(3 s\); stopped site website1/);
    } finally {
      await h.stopAll();
    }
  });

  it('W3SVC cannot start on node1: its Ban (9607) in the history, then the Failover to node2', async () => {
    const h = await harness({ timing: FAST, mirror: false });
    try {
      await ready(h, 'node1');
      await h.fault({ type: 'commandFail', node: 'node1', operation: 'startService', times: 100 });
      await h.fault({ type: 'serviceStop', node: 'node1', service: 'W3SVC' });
      await ready(h, 'node2');
      await h.run(3000);
      const history = ((await h.group()).status?.['history'] ?? []) as Record<string, any>[];
      assert.deepEqual(
        history.map((e) => `${e['kind']} ${e['from'] ?? '-'} → ${e['to'] ?? '-'}`),
        ['Start - → node1', 'Ban node1 → -', 'Failover node1 → node2'],
        JSON.stringify(history, null, 1),
      );
      assert.match(history[1]!['reason'], /^\[9607\] .* \(until \d{4}-/);
    } finally {
      await h.stopAll();
    }
  });
});
