/**
 * Scale benchmark (design §6): 1,000 IIS sites in 500 groups on two nodes,
 * the real agents (both in this process, with the simulated world and the
 * memory store), lease 15/10/2 and the default checks (quick 10 s, deep 60 s).
 *   - apply → every group Ready, in real time (targets: ≤ 5 s) and on virtual time;
 *   - idle CPU over 60 s once converged (target ≤ 2 % of one core), for both
 *     agents and the world together;
 *   - RSS of this process (target ≤ 150 MB), which holds both agents and the world.
 * Prints JSON. Run: node dist/bench/scale.js [idleSeconds]
 */
import { SystemClock } from '../src/lib/clock.js';
import { startCluster, untilReady } from './cluster.js';

const wall = new SystemClock();
const GROUPS = 500;
const SITES_PER_GROUP = 2;
const idleSeconds = Number(process.argv[2] ?? 60);
const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;

// Virtual time first (what the agents need, without the host's modelled waits counted in wall time).
let began = wall.monotonic();
const v = await startCluster(GROUPS, SITES_PER_GROUP);
const v0 = v.now();
await untilReady(v, 'node1', 100, 600_000);
const virtualReadyMs = v.now() - v0;
const virtualWallMs = wall.monotonic() - began;
await v.stop();
(globalThis as { gc?: () => void }).gc?.();

// Real time.
began = wall.monotonic();
const t = await startCluster(GROUPS, SITES_PER_GROUP, { clock: wall });
const applied = wall.monotonic() - began;
await untilReady(t, 'node1', 100, 600_000);
const readyMs = wall.monotonic() - began;
const rssReady = process.memoryUsage().rss;
await t.advance(5_000);
const cpu0 = process.cpuUsage();
const idle0 = wall.monotonic();
let rssMax = 0;
for (let i = 0; i < idleSeconds; i++) {
  await t.advance(1_000);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}
const cpu = process.cpuUsage(cpu0);
const idleWall = wall.monotonic() - idle0;
const obs = await t.observe();
await t.stop();
const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / idleWall) * 1000) / 10;
process.stdout.write(`${JSON.stringify({
  bench: 'scale',
  sites: GROUPS * SITES_PER_GROUP,
  groups: GROUPS,
  nodes: 2,
  applyMs: Math.round(applied),
  applyToAllReadyMs: Math.round(readyMs),
  targetApplyToAllReadyMs: 5000,
  virtual: { applyToAllReadyMs: virtualReadyMs, wallMs: Math.round(virtualWallMs) },
  idle: { seconds: Math.round(idleWall / 100) / 10, cpuPercentOfOneCore: cpuPercent, target: 2, groupsStillReady: obs.groups.filter((g) => g.ready).length },
  rssMB: { atReady: mb(rssReady), maxIdle: mb(rssMax), target: 150 },
}, null, 2)}\n`);
