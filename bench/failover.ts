/**
 * Failover benchmark (design §6): node crash → standby Ready, lease 15/10/2,
 * the real agents on simulated hosts.
 *   - virtual time, 1 / 100 / 500 groups (for 1 group at every crash phase
 *     between two renewals, 100 ms apart: the spread the lease allows);
 *   - real time, 1 group (in one process: two agents, the world, the memory store);
 *   - decision-to-actions latency at 500 groups, real time: from the standby's
 *     decision to take a group over (its log line) to its first host action for
 *     that group (adding the group's VIP).
 * Target: Ready ≤ lease + 1 s (16 s); decision-to-actions ≤ 100 ms.
 * Prints JSON. Run: node dist/bench/failover.js
 */
import { SystemClock } from '../src/lib/clock.js';
import type { WorldRequest } from '../src/sim/world-api.js';
import { startCluster, stats, untilReady } from './cluster.js';

const wall = new SystemClock();
const LEASE_MS = 15_000;

async function virtualFailover(groups: number, phaseMs: number) {
  const began = wall.monotonic();
  const t = await startCluster(groups, 2);
  await untilReady(t, 'node1', 100, 300_000);
  await t.advance(6_000 + phaseMs);
  const crashAt = t.now();
  await t.injectFault({ type: 'nodeCrash', node: 'node1' });
  const ready = await untilReady(t, 'node2', 10, 300_000);
  await t.stop();
  const times = [...ready.values()].map((x) => x - crashAt);
  return { times, wallSeconds: (wall.monotonic() - began) / 1000 };
}

async function realFailover() {
  const t = await startCluster(1, 2, { clock: wall });
  await untilReady(t, 'node1', 50, 120_000);
  await t.advance(3_000);
  const crashAt = t.now();
  await t.injectFault({ type: 'nodeCrash', node: 'node1' });
  const ready = await untilReady(t, 'node2', 20, 60_000);
  await t.stop();
  return [...ready.values()][0]! - crashAt;
}

async function decisionToActions(groups: number) {
  const decided = new Map<string, number>();
  const acted = new Map<string, number>();
  let crashed = false;
  const vipOf = (g: string) => { const n = Number(g.replace(/^default\/g/, '')); return `10.${1 + (n >> 8)}.${n & 255}.50`; };
  const groupOfVip = new Map<string, string>();
  for (let g = 0; g < groups; g++) groupOfVip.set(vipOf(`default/g${g}`), `default/g${g}`);
  const t = await startCluster(groups, 2, {
    clock: wall,
    logger: (node) => ({
      info: (o) => {
        if (!crashed || node !== 'node2' || typeof o['group'] !== 'string' || !Array.isArray(o['actions']) || o['actions'].length === 0) return;
        if (!decided.has(o['group'])) decided.set(o['group'], wall.now());
      },
      warn: () => undefined,
      error: () => undefined,
    }),
    onWorldCall: (node: string, r: WorldRequest) => {
      if (!crashed || node !== 'node2' || r.op !== 'net.add') return;
      const g = groupOfVip.get((r.args as { vip: { address: string } }).vip.address);
      if (g && !acted.has(g)) acted.set(g, wall.now());
    },
  });
  await untilReady(t, 'node1', 200, 300_000);
  crashed = true;
  const crashAt = t.now();
  await t.injectFault({ type: 'nodeCrash', node: 'node1' });
  const ready = await untilReady(t, 'node2', 100, 600_000);
  await t.stop();
  const lat = [...acted].filter(([g]) => decided.has(g)).map(([g, at]) => at - decided.get(g)!);
  const readyTimes = [...ready.values()].map((x) => x - crashAt);
  return { latency: lat.length ? stats(lat) : undefined, measured: lat.length, readyMs: stats(readyTimes) };
}

const result: Record<string, unknown> = { bench: 'failover', lease: '15/10/2', targetReadyMs: LEASE_MS + 1000, targetDecisionToActionsMs: 100 };
const phases: number[] = [];
for (let p = 0; p < 2000; p += 100) phases.push(p);
const one: number[] = [];
for (const p of phases) one.push((await virtualFailover(1, p)).times[0]!);
result['virtual_1_group_by_crash_phase'] = { phasesMs: phases, readyMs: one, ...stats(one), withinTarget: one.filter((x) => x <= LEASE_MS + 1000).length + `/${one.length}` };
for (const n of [100, 500]) {
  const r = await virtualFailover(n, 0);
  result[`virtual_${n}_groups`] = { readyMs: stats(r.times), withinTarget: r.times.filter((x) => x <= LEASE_MS + 1000).length + `/${r.times.length}`, wallSeconds: r.wallSeconds };
}
result['real_1_group_ms'] = await realFailover();
result['real_500_groups_decision_to_actions'] = await decisionToActions(500);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
