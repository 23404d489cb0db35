/**
 * Scale benchmark (design §6): 1,000 IIS sites in 500 groups on two nodes,
 * the real agents (both in this process, with the simulated world and the
 * memory store), lease 15/10/2 and the default checks (quick 10 s, deep 60 s).
 * Run on virtual time (converging in real time takes as long as it takes on
 * virtual time: the hosts' modelled waits are real waits there):
 *   - apply → every group Ready (target ≤ 5 s), virtual time, and the wall time to simulate it;
 *   - idle CPU: the CPU this process spends to run 60 s of converged steady
 *     state (two agents and the whole simulated world), as a share of 60 s
 *     (target ≤ 2 %; an upper bound for one agent);
 *   - RSS of this process once converged (target ≤ 150 MB).
 * Each activation waits for duplicate address detection (1 s), so groups come
 * up about `workers` at a time: this runs with the agent's default
 * (AgentOptions.workers, DEFAULT_WORKERS = 8) unless told otherwise, and also
 * reports the default's convergence at 100 groups for comparison.
 * Prints JSON. Run: node --expose-gc dist/bench/scale.js [groups] [workers]
 */
import { SystemClock } from '../src/lib/clock.js';
import { DEFAULT_WORKERS } from '../src/controller/agent.js';
import { startCluster, untilReady } from './cluster.js';

const wall = new SystemClock();
const SITES_PER_GROUP = 2;
const GROUPS = Number(process.argv[2] ?? 500);
const WORKERS = Number(process.argv[3] ?? DEFAULT_WORKERS);

/** `workers` undefined: the agent's default. */
async function converge(groups: number, workers: number | undefined) {
  const began = wall.monotonic();
  const t = await startCluster(groups, SITES_PER_GROUP, workers === undefined ? {} : { workers });
  const v0 = t.now();
  const ready = await untilReady(t, 'node1', 100, 7_200_000);
  return {
    t,
    readyMs: Math.max(...ready.values()) - v0,
    firstMs: Math.min(...ready.values()) - v0,
    wallMs: Math.round(wall.monotonic() - began),
  };
}
const dflt = await converge(100, undefined);
await dflt.t.stop();
const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;

const { t, readyMs, firstMs, wallMs } = await converge(GROUPS, WORKERS);
await t.advance(10_000);
(globalThis as { gc?: () => void }).gc?.();
const rss = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
await t.advance(60_000);
const cpu = process.cpuUsage(cpu0);
const rssAfter = process.memoryUsage().rss;
// Live memory (run with --expose-gc): what the objects need, apart from the garbage the simulated world's JSON round trips leave.
(globalThis as { gc?: () => void }).gc?.();
const heapLive = process.memoryUsage().heapUsed;
const obs = await t.observe();
await t.stop();
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'scale',
      sites: GROUPS * SITES_PER_GROUP,
      groups: GROUPS,
      nodes: 2,
      workers: WORKERS,
      applyToAllReadyMs: { virtual: readyMs, target: 5000, firstGroupReadyMs: firstMs, wallMsToSimulate: wallMs },
      defaultWorkers_100_groups: { workers: DEFAULT_WORKERS, applyToAllReadyMs: dflt.readyMs, firstGroupReadyMs: dflt.firstMs },
      idle60s: {
        cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / 60_000) * 1000) / 10,
        target: 2,
        groupsReady: obs.groups.filter((g) => g.ready).length,
      },
      rssMB: {
        converged: mb(rss),
        afterIdle: mb(rssAfter),
        target: 150,
        liveHeapAfterGc: (globalThis as { gc?: unknown }).gc ? mb(heapLive) : 'run with --expose-gc',
      },
    },
    null,
    2,
  )}\n`,
);
