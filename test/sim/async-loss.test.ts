/**
 * Writes lost on asynchronous mirrors are accounted apart (issue 13 item 7): reported under Allow or after
 * --force, a noLostWrites violation only when the Mirror says Refuse and nobody forced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLossAccount } from '../../src/sim/scenario/async-loss.js';
import type { Observation } from '../../src/sim/scenario/target.js';
import type { Topology } from '../../src/sim/world/topology.js';
import type { HistoryEntry } from '../../src/sim/scenario/history.js';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { parseScenarioFile } from '../../src/sim/scenario/parser.js';
import { runScenario } from '../../src/sim/scenario/runner.js';
import { formatReportJson, formatReportText } from '../../src/sim/scenario/report.js';
import { AgentTarget } from '../../src/sim/harness/agent-target.js';
import { realAgents } from '../../src/cli/agent-factory.js';

function topology(policy: 'Allow' | 'Refuse'): Topology {
  return {
    nodes: [],
    groups: [
      {
        namespace: 'default',
        name: 'web',
        nodes: [],
        desiredState: 'InService',
        switchback: 'Intelligent',
        maintenance: false,
        addresses: [],
        sites: [],
        volumes: ['E'],
      },
    ],
    mirrors: [
      { namespace: 'default', name: 'web-data', group: 'web', volume: 'E', mode: 'Asynchronous', asyncFailover: policy, endpoints: [] },
    ],
    vips: [],
    sites: [],
    timing: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 },
  };
}

function obs(at: number, node2Role: string, lost: number[] = []): Observation {
  return {
    at,
    groups: [],
    world: {
      now: at,
      addressConflicts: [],
      splitBrains: [],
      lostAcknowledgedWrites: [],
      lostAsyncWrites: lost.length ? [{ volume: 'E', host: 'node2', writeIds: lost }] : [],
      addressHolders: {},
      startedSites: {},
      volumes: [
        { host: 'node1', volume: 'E', role: 'source', state: 1, locked: false, dirtyBlocks: 0 },
        { host: 'node2', volume: 'E', role: node2Role, state: 1, locked: true, dirtyBlocks: 0 },
      ],
      switchoverRequests: [],
      hosts: {},
    },
  };
}

const forced = {
  kind: 'operator',
  at: 1500,
  action: { action: 'switchover', group: 'web', to: 'node2', force: true },
  accepted: true,
} as unknown as Extract<HistoryEntry, { kind: 'operator' }>;

test('Allow: the loss is counted, not a violation', () => {
  const a = new AsyncLossAccount(topology('Allow'), 1000);
  assert.deepEqual(a.observe(obs(1000, 'target')), []);
  assert.deepEqual(a.observe(obs(2000, 'source', [7, 8, 9])), []);
  assert.deepEqual(a.observe(obs(3000, 'source', [7, 8, 9])), [], 'each write counted once');
  assert.deepEqual(a.report(), [{ volume: 'E', host: 'node2', at: 1000, writes: 3, policy: 'Allow', forced: false }]);
});

test('Refuse without force: the agent broke the policy, noLostWrites fails', () => {
  const a = new AsyncLossAccount(topology('Refuse'), 1000);
  a.observe(obs(1000, 'target'));
  const v = a.observe(obs(2000, 'source', [7, 8]));
  assert.equal(v.length, 1);
  assert.equal(v[0]!.invariant, 'noLostWrites');
  assert.match(v[0]!.message, /lacks 2 writes its asynchronous mirror had queued, although the Mirror has asyncFailover: Refuse/);
});

test('Refuse with the operator --force: counted as forced, not a violation', () => {
  const a = new AsyncLossAccount(topology('Refuse'), 1000);
  a.observe(obs(1000, 'target'));
  a.onOperator(forced);
  assert.deepEqual(a.observe(obs(2000, 'source', [7, 8])), []);
  assert.deepEqual(a.report(), [{ volume: 'E', host: 'node2', at: 1000, writes: 2, policy: 'Refuse', forced: true }]);
});

test('M11 and M12 on the real agents: the run report counts the lost queued writes, in text and JSON', { timeout: 120_000 }, async () => {
  for (const [file, policy, forced] of [
    ['m11-async-failover.yaml', 'Allow', false],
    ['m12-async-failover-refused.yaml', 'Refuse', true],
  ] as const) {
    const parsed = await parseScenarioFile(join(ROOT, 'test', 'scenarios', file), { cwd: ROOT });
    assert.deepEqual(parsed.problems, []);
    const r = await runScenario(parsed.scenario!, new AgentTarget({ agentFactory: realAgents }), { seed: 1 });
    assert.equal(r.passed, true, formatReportText(r, { traceLines: 40 }));
    assert.equal(r.asyncLoss.length, 1, file);
    const e = r.asyncLoss[0]!;
    assert.deepEqual([e.volume, e.policy, e.forced], ['E', policy, forced]);
    assert.ok(e.writes > 0 && e.writes <= 1000, `${e.writes} lost`);
    assert.match(formatReportText(r), /Writes lost on asynchronous mirrors \(\d+\):\n {2}E: on node\d: \d+ queued writes lost/);
    const json = JSON.parse(formatReportJson([r])) as { scenarios: { asyncLoss: unknown[] }[] };
    assert.deepEqual(json.scenarios[0]!.asyncLoss, r.asyncLoss);
  }
});
