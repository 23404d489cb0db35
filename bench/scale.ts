/**
 * Scale benchmark (issue 19, design §6): N groups of one VIP and two IIS sites on two nodes, the real agents with
 * their default workers on simulated hosts, lease 15/10/2, the default checks (quick 10 s, deep 60 s).
 * One JSON line per size (10, 100, 500 groups unless sizes are given):
 *   - applyToAllReadyS: from the first lease taken to the last group Ready (virtual time; target ≤ 5 s);
 *   - crashToLastReadyS: node1 crashes (right after a renewal: the worst phase); until the last group is Ready on
 *     node2 (virtual; target ≤ lease + 1 s + 1 s = 17 s);
 *   - decisionToActionMsP50/P99: from node2's decision to take a group to its first host action for it (adding the
 *     group's VIP), virtual (targets 100 ms / 1 s);
 *   - idleCpuPctPerAgent, rssMb: real processes (bench/scale-processes.ts): two `winha agent` processes, a world
 *     server and the file store, converged, idling 60 s of real time; per agent process (targets 2 %, 150 MB);
 *   - inProcess: the same cluster in this one process (both agents, the world and the memory store) running 60 s of
 *     converged virtual time: CPU it took as a share of 60 s, and the top CPU consumers when run with --cpu-prof.
 * Run: node --expose-gc dist/bench/scale.js [sizes, e.g. 10,100,500] [--no-processes]
 */
import { SystemClock } from '../src/lib/clock.js';
import type { WorldRequest } from '../src/drivers/sim/world-protocol.js';
import { startCluster, stats, TakeoverLatency, untilReady } from './cluster.js';
import { measureIdleProcesses } from './scale-processes.js';
import { profiled } from './profile.js';

const wall = new SystemClock();
const SITES_PER_GROUP = 2;
const args = process.argv.slice(2);
const sizes = (args.find((a) => /^\d+(,\d+)*$/.test(a)) ?? '10,100,500').split(',').map(Number);
const withProcesses = !args.includes('--no-processes');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function virtualRun(groups: number) {
  const began = wall.monotonic();
  let phase: 'apply' | 'crash' | 'idle' = 'apply';
  let firstLeaseAt: number | undefined;
  const took = new TakeoverLatency(
    groups,
    'node2',
    () => phase === 'crash',
    () => t.now(),
  );
  const t = await startCluster(groups, SITES_PER_GROUP, {
    logger: (node) => ({
      info: (o) => {
        const actions = o['actions'];
        if (phase === 'apply' && Array.isArray(actions) && actions.includes('acquireLease')) firstLeaseAt ??= t.now();
        took.decision(node, o);
      },
      warn: () => undefined,
      error: () => undefined,
    }),
    onWorldCall: (node: string, r: WorldRequest) => took.worldCall(node, r),
  });
  const ready1 = await untilReady(t, 'node1', 100, 3_600_000);
  const applyToAllReadyMs = Math.max(...ready1.values()) - (firstLeaseAt ?? t.now());
  // 60 s of converged steady state on virtual time: the CPU this process spends for it (both agents and the world).
  phase = 'idle';
  await t.advance(70_000); // past every site's first deep check (60 s), whose first record is not idle
  const cpu0 = process.cpuUsage();
  const { profile } = await profiled(() => t.advance(60_000));
  const cpu = process.cpuUsage(cpu0);
  // Crash right after node1's renewal (the worst phase: the whole lease to wait out).
  await t.advance(2_000 - (t.now() % 2_000));
  phase = 'crash';
  const crashAt = t.now();
  await t.injectFault({ type: 'nodeCrash', node: 'node1' });
  const ready2 = await untilReady(t, 'node2', 10, 3_600_000);
  await t.stop();
  const latency = took.latencies();
  const l = latency.length ? stats(latency) : undefined;
  return {
    applyToAllReadyS: round(applyToAllReadyMs / 1000, 2),
    crashToLastReadyS: round((Math.max(...ready2.values()) - crashAt) / 1000, 2),
    crashToFirstReadyS: round((Math.min(...ready2.values()) - crashAt) / 1000, 2),
    decisionToActionMsP50: l?.median ?? null,
    decisionToActionMsP99: l?.p99 ?? null,
    inProcessIdleCpuPctOf60sVirtual: round(((cpu.user + cpu.system) / 1000 / 60_000) * 100),
    inProcessIdleTopConsumers: profile,
    wallSecondsToSimulate: round((wall.monotonic() - began) / 1000),
  };
}

for (const groups of sizes) {
  const v = await virtualRun(groups);
  const p = withProcesses ? await measureIdleProcesses(groups) : undefined;
  const line = {
    bench: 'scale',
    groups,
    sites: groups * SITES_PER_GROUP,
    crashToLastReadyS: v.crashToLastReadyS,
    decisionToActionMsP50: v.decisionToActionMsP50,
    decisionToActionMsP99: v.decisionToActionMsP99,
    applyToAllReadyS: v.applyToAllReadyS,
    idleCpuPctPerAgent: p ? Math.max(...p.idleCpuPctPerAgent) : null,
    rssMb: p ? Math.max(...p.rssMb) : null,
    targets: {
      crashToLastReadyS: 17,
      decisionToActionMsP50: 100,
      decisionToActionMsP99: 1000,
      applyToAllReadyS: 5,
      idleCpuPctPerAgent: 2,
      rssMb: 150,
    },
    detail: { ...v, ...(p ? { processes: p } : {}) },
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
