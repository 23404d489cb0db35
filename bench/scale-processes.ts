/**
 * Per-process scale benchmark (issue 19): the processes the demo runs — a world
 * server (`winha sim world`) and one `winha agent --driver sim://ADDR/NODE` per
 * node — on a real single-member etcd (the default, what production runs; /usr/bin/etcd) or the embedded file
 * store, with bench/cluster.ts's N groups (a VIP and 2 IIS sites each, lease 15/10/2), in REAL time. Once every
 * group is Ready with an active node, and 70 s more (past the first deep checks), it samples each process's CPU (utime+stime from
 * /proc/PID/stat) over an idle window (60 s) and its VmRSS at the end (etcd's too).
 * Linux only (/proc). Run:
 *   node dist/bench/scale-processes.js [groups] [idleSeconds] [convergeTimeoutSeconds] [--store etcd|file|kubernetes] [--profile[=node2]] [--heap]
 * --heap: a heap snapshot of each agent at the end of the window, summed by kind (`agentHeap`).
 * --profile (or WINHA_BENCH_PROFILE=1): node1's agent (`--profile=node2`: node2's, the standby) runs under --cpu-prof;
 * its top functions by self time during the idle window are `agentProfileTop` (that agent's CPU figure then
 * includes the profiler's own cost).
 * The agents run with the service's Node options (AGENT_NODE_OPTIONS); BENCH_AGENT_NODE_OPTIONS='…' replaces them
 * ('' for none), to compare.
 * Prints one JSON line (also when the groups do not converge in time: how many did).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apply } from '../src/apply/apply.js';
import { AGENT_NODE_OPTIONS } from '../src/service/winsw-config.js';
import { SystemClock } from '../src/lib/clock.js';
import { toYaml } from '../src/lib/yaml.js';
import { agentArgs, ProcessGroup, startWorld, waitFor, WaitTimeout, type Child } from '../src/sim/harness/processes.js';
import { topologyOf } from '../src/sim/world/topology.js';
import { worldConfigOf } from '../src/sim/world/world-from-manifests.js';
import { openStore, type Store, type StoredObject } from '../src/store/index.js';
// Node built-ins and the clock only: no test framework comes with it.
import { EtcdCluster } from '../test/support/etcd-cluster.js';
import { startHarness, type KubeHarness } from '../test/k8s-harness/harness.js';
import { freePorts } from '../test/support/free-port.js';
import { manifests } from './cluster.js';
import { monotonicMicros, summarizeWindow, type WindowProfile } from './cpuprofile-window.js';
import { summarizeHeap, type HeapSummary } from './heap-summary.js';

export type BenchStore = 'file' | 'etcd' | 'kubernetes';

const NODES = ['node1', 'node2'];
const SITES_PER_GROUP = 2;
/** How long the groups may take to converge before the bench gives up (real time), unless told otherwise. */
const CONVERGE_TIMEOUT_MS = 10 * 60_000;

/** The groups were not all Ready within the timeout: how far they got is the finding (the caller may report it). */
export class NotConvergedError extends Error {
  constructor(
    readonly groups: number,
    readonly ready: number,
    readonly afterRealS: number,
    readonly store: BenchStore,
    /** Files in the file store's journal (null on etcd). */
    readonly journalFiles: number | null,
    detail: string,
  ) {
    super(
      `only ${ready} of ${groups} groups were Ready with an active node after ${afterRealS} s of real time on the ${store} store` +
        `${journalFiles === null ? '' : ` (journal: ${journalFiles} files)`}\n${detail}`,
    );
  }
}
/**
 * Converged, then this long before the idle window opens: the last writes settle and every site has had its first
 * deep check (60 s by default; the first writes lastDeepCheck and wakes its group on both nodes — not idle).
 */
const SETTLE_MS = 70_000;
const RSS_SAMPLE_MS = 5_000;

export interface IdleProcessesResult {
  bench: 'scale-processes';
  store: BenchStore;
  groups: number;
  sites: number;
  /** One per agent process (node1, node2): % of one core over the idle window. */
  idleCpuPctPerAgent: number[];
  /** Group reconciles a second in the idle window, per agent (its /metrics' winha_reconcile_total). */
  reconcilesPerS: number[];
  /** Each agent's garbage collection over the window, % of a core, by kind (prom-client's nodejs_gc_duration_seconds). */
  gcPct: Record<string, number>[];
  /** VmRSS of each agent process at the end of the window, MB. */
  rssMb: number[];
  /** The highest VmRSS of each agent sampled every 5 s over the window, MB. */
  rssMaxMb: number[];
  /** Each agent's V8 heap (used, committed) and external memory at the end of the window, MB: what its RSS holds. */
  memoryMb: AgentMemory[];
  /** The world server (the simulated hosts): what the simulation itself costs, not the agents. */
  worldCpuPct: number;
  worldRssMb: number;
  /** The etcd server over the same window (null on the file store). */
  etcdCpuPct: number | null;
  etcdRssMb: number | null;
  /** gRPC calls etcd answered per second over the window, by method (its /metrics; null on the file store). */
  etcdRpcPerS: Record<string, number> | null;
  /** Agents started → every group Ready with an active node, real seconds. */
  convergeRealS: number;
  idleWindowS: number;
  /** Groups Ready with an active node at the end of the window (should be all). */
  readyAtEnd: number;
  /** /proc/loadavg when the window opened and closed: the machine is shared, so figures under load are noisy. */
  loadavg: { start: number[]; end: number[] };
  cpus: number;
  /**
   * Files in the file store's journal/ when the window opened and closed. Every other process's chokidar rescans
   * that directory on each write, so the agents' idle CPU grows with it until compaction caps it (10,000 revisions).
   * Null on etcd.
   */
  journalFiles: { start: number; end: number } | null;
  /** With `heap`: what each agent's heap holds at the end of the window, by kind. */
  agentHeap?: HeapSummary[];
  /** With `profile`: the profiled agent's top functions and files by self time during the idle window. */
  agentProfileTop?: WindowProfile;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (100 on Linux; getconf says for sure). */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** Node's options for the agents: the service's (AGENT_NODE_OPTIONS), or BENCH_AGENT_NODE_OPTIONS ('' for none) to compare. */
function agentNodeOptions(): readonly string[] {
  const env = process.env['BENCH_AGENT_NODE_OPTIONS'];
  return env === undefined ? AGENT_NODE_OPTIONS : env.split(' ').filter(Boolean);
}

/** VmRSS of a process, MB. */
function rssMbOf(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return round1(kb / 1024);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

interface AgentMemory {
  heapUsed: number;
  heapTotal: number;
  spaces: Record<string, number>;
  external: number;
}

interface GroupStatus {
  activeNode?: string;
  conditions?: { type: string; status: string }[];
}

const readyWithActive = (g: StoredObject) => {
  const st = (g.status ?? {}) as GroupStatus;
  return !!st.activeNode && (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
};

export async function measureIdleProcesses(
  groups: number,
  opts: {
    idleMs?: number;
    dir?: string;
    convergeTimeoutMs?: number;
    store?: BenchStore;
    profile?: boolean | 'node2';
    heap?: boolean;
  } = {},
): Promise<IdleProcessesResult> {
  const clock = new SystemClock();
  const idleMs = opts.idleMs ?? 60_000;
  const kind = opts.store ?? 'etcd';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'winha-scale-'));
  const ps = new ProcessGroup(dir);
  // Killed even if the caller exits without waiting for us (Ctrl-C, an uncaught error); EtcdCluster hooks exit itself.
  const onExit = () => ps.killAll();
  process.on('exit', onExit);
  let store: Store | undefined;
  let etcd: EtcdCluster | undefined;
  let kube: KubeHarness | undefined;
  const storeEnv: NodeJS.ProcessEnv = {};
  try {
    let storeUrl = `file://${join(dir, 'store')}`;
    if (kind === 'etcd') {
      // etcd's own defaults (100 ms heartbeat, 1 s election), not the tests' fast ones: its idle CPU is reported.
      etcd = await EtcdCluster.start({ members: 1, heartbeatMs: 100, electionMs: 1000 });
      storeUrl = etcd.url(`/bench-${process.pid}`);
    } else if (kind === 'kubernetes') {
      // The tests' real API server (test/k8s-harness); its own CPU is not reported (it runs its storage in-process).
      kube = await startHarness();
      storeUrl = 'kubernetes://harness';
      storeEnv['KUBECONFIG'] = kube.kubeconfig;
    }
    const etcdPid = () => etcd?.members[0]?.process?.pid;
    const objects = manifests(groups, SITES_PER_GROUP);
    // The world is built from the manifests without the sites: they are Managed (the agents create them), so the
    // world is the same, and `winha sim world` would refuse them (content-not-on-mirror: these groups have no Mirror).
    const worldObjects = objects.filter((o) => o['kind'] !== 'IISSite');
    deepStrictEqual(
      worldConfigOf(topologyOf(worldObjects)),
      worldConfigOf(topologyOf(objects)),
      'the world built without the IIS sites differs from the one with them: pass the sites to the world',
    );
    const manifestFile = join(dir, 'world.yaml');
    writeFileSync(manifestFile, worldObjects.map((o) => toYaml(o)).join('---\n'));
    const world = await startWorld(ps, { manifests: [manifestFile], seed: 1 });
    store = await openStore(storeUrl, { cwd: dir, env: { ...process.env, ...storeEnv } });
    await apply(store.objects, objects);

    const started = clock.monotonic();
    const profDir = join(dir, 'cpuprof');
    const profiled = opts.profile === 'node2' ? 1 : 0;
    const metricsPorts = await freePorts(NODES.length);
    if (opts.heap) for (const n of NODES) mkdirSync(join(dir, `heap-${n}`)); // Node writes there, but makes no directory
    const agents: Child[] = NODES.map((n, i) =>
      ps.start(`agent-${n}`, agentArgs(n, storeUrl, world.address, ['--listen', `127.0.0.1:${metricsPorts[i]}`]), storeEnv, [
        ...(opts.profile && i === profiled ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        ...(opts.heap ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${join(dir, `heap-${n}`)}`] : []),
        ...agentNodeOptions(),
      ]),
    );
    const check = () => {
      for (const c of ps.children)
        if (!ps.alive(c)) throw new Error(`${c.name} exited (${c.proc.exitCode ?? c.proc.signalCode}): ${ps.tail(c)}`);
      if (etcd && etcdPid() === undefined) throw new Error(`etcd exited:\n${etcd.log(etcd.members[0]!)}`);
    };
    let ready = 0;
    const journal = () =>
      kind !== 'file' ? null : existsSync(join(dir, 'store', 'journal')) ? readdirSync(join(dir, 'store', 'journal')).length : 0;
    await waitFor(
      `all ${groups} groups Ready with an active node`,
      opts.convergeTimeoutMs ?? CONVERGE_TIMEOUT_MS,
      async () => {
        const gs = (await store!.objects.list('FailoverGroup')).items;
        ready = gs.filter(readyWithActive).length;
        return gs.length === groups && ready === groups ? true : undefined;
      },
      { everyMs: 1000, clock, check },
    ).catch((e: Error) => {
      if (!(e instanceof WaitTimeout)) throw e;
      throw new NotConvergedError(groups, ready, round1((clock.monotonic() - started) / 1000), kind, journal(), ps.tails(4));
    });
    const convergeRealS = round1((clock.monotonic() - started) / 1000);
    // Closed during the window: this process must not add store traffic the agents would answer.
    await store.close();
    store = undefined;
    await clock.sleep(SETTLE_MS);
    check();

    const tck = clockTicks();
    const pids = [...agents, world.child].map((c) => c.proc.pid!);
    if (etcd) pids.push(etcdPid()!);
    const journal0 = journal();
    const load0 = loadavg();
    const t0 = clock.monotonic();
    const ticks0 = pids.map(cpuTicks);
    const rpc0 = etcd ? await etcdRpcCounts(etcd.members[0]!.clientPort) : undefined;
    const start = await Promise.all(metricsPorts.map(agentMetrics));
    const rec0 = start.map(reconcileCount);
    const profFrom = monotonicMicros();
    // RSS moves with V8's collection cycle: sampled every 5 s, its highest is reported with the end's.
    const rssMax = agents.map(() => 0);
    for (let left = idleMs; left > 0; left -= RSS_SAMPLE_MS) {
      await clock.sleep(Math.min(left, RSS_SAMPLE_MS));
      agents.forEach((a, i) => (rssMax[i] = Math.max(rssMax[i]!, rssMbOf(a.proc.pid!))));
    }
    const profTo = monotonicMicros();
    const rpc1 = etcd ? await etcdRpcCounts(etcd.members[0]!.clientPort) : undefined;
    const end = await Promise.all(metricsPorts.map(agentMetrics));
    const rec1 = end.map(reconcileCount);
    const ticks1 = pids.map(cpuTicks);
    const windowS = (clock.monotonic() - t0) / 1000;
    const load1 = loadavg();
    const journal1 = journal();
    const rss = pids.map(rssMbOf);
    const memory = end.map(memoryOf);
    const agentHeap = opts.heap ? await Promise.all(agents.map((a, i) => heapOf(a, join(dir, `heap-${NODES[i]}`), clock))) : undefined;
    check();
    const pct = pids.map((_, i) => round1(((ticks1[i]! - ticks0[i]!) / tck / windowS) * 100));

    store = await openStore(storeUrl, { cwd: dir, env: { ...process.env, ...storeEnv } });
    const readyAtEnd = (await store.objects.list('FailoverGroup')).items.filter(readyWithActive).length;
    const agentProfileTop = opts.profile ? await profileOf(ps, agents[profiled]!, profDir, profFrom, profTo, clock) : undefined;
    return {
      bench: 'scale-processes',
      store: kind,
      groups,
      sites: groups * SITES_PER_GROUP,
      idleCpuPctPerAgent: pct.slice(0, agents.length),
      reconcilesPerS: rec1.map((r, i) => round1((r - rec0[i]!) / windowS)),
      gcPct: end.map((text, i) => gcPctOf(start[i]!, text, windowS)),
      rssMb: rss.slice(0, agents.length),
      rssMaxMb: rssMax,
      memoryMb: memory,
      worldCpuPct: pct[agents.length]!,
      worldRssMb: rss[agents.length]!,
      etcdCpuPct: etcd ? pct[agents.length + 1]! : null,
      etcdRssMb: etcd ? rss[agents.length + 1]! : null,
      etcdRpcPerS: rpc0 && rpc1 ? ratesOf(rpc0, rpc1, windowS) : null,
      convergeRealS,
      idleWindowS: round1(windowS),
      readyAtEnd,
      loadavg: { start: load0.map(round1), end: load1.map(round1) },
      cpus: cpus().length,
      journalFiles: journal0 === null || journal1 === null ? null : { start: journal0, end: journal1 },
      ...(agentProfileTop ? { agentProfileTop } : {}),
      ...(agentHeap ? { agentHeap } : {}),
    };
  } catch (e) {
    if (e instanceof NotConvergedError) throw e;
    throw new Error(`${(e as Error).message}\n${ps.tails()}`, { cause: e });
  } finally {
    await store?.close().catch(() => undefined);
    // Gone before the directory is removed (they write their logs and the store there).
    // (ProcessGroup unrefs its children: ref them, or Node would exit before their exit events while we wait.)
    await Promise.all(ps.children.map((c) => (c.proc.ref(), ps.kill(c))));
    await etcd?.stop();
    await kube?.stop();
    process.removeListener('exit', onExit);
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** An agent's /metrics, as text. */
async function agentMetrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** One unlabelled sample of an agent's /metrics text (NaN when absent). */
function sample(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** The time an agent spent collecting garbage between two /metrics texts, % of `windowS`, by kind (minor, major, ...). */
function gcPctOf(before: string, after: string, windowS: number): Record<string, number> {
  const b = byLabel(before, 'nodejs_gc_duration_seconds_sum', 'kind');
  const out: Record<string, number> = {};
  for (const [kind, s] of byLabel(after, 'nodejs_gc_duration_seconds_sum', 'kind'))
    out[kind] = Math.round(((s - (b.get(kind) ?? 0)) / windowS) * 1000) / 10;
  return out;
}

/** The samples of one labelled metric in a /metrics text, summed by the value of `label` ('?' where it is absent). */
function byLabel(text: string, metric: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  const value = new RegExp(`(?:^|,)${label}="([^"]*)"`);
  for (const m of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const key = value.exec(m[1]!)?.[1] ?? '?';
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** An agent's winha_reconcile_total. */
function reconcileCount(text: string): number {
  return sample(text, 'winha_reconcile_total');
}

/** Where an agent's memory is (prom-client's Node gauges), MB. */
function memoryOf(text: string): AgentMemory {
  const mb = (name: string) => round1(sample(text, name) / 2 ** 20);
  return {
    heapUsed: mb('nodejs_heap_size_used_bytes'),
    heapTotal: mb('nodejs_heap_size_total_bytes'),
    external: mb('nodejs_external_memory_bytes'),
    spaces: spacesOf(text),
  };
}

/** Each V8 heap space's committed size (new, old, code, large_object, ...), MB: which one holds a high RSS. */
function spacesOf(text: string): Record<string, number> {
  return Object.fromEntries([...byLabel(text, 'nodejs_heap_space_size_total_bytes', 'space')].map(([k, v]) => [k, round1(v / 2 ** 20)]));
}

/** etcd's grpc_server_handled_total from its /metrics, summed by method (Range, Txn, LeaseKeepAlive, ...). */
async function etcdRpcCounts(port: number): Promise<Map<string, number>> {
  return byLabel(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'grpc_server_handled_total', 'grpc_method');
}

function ratesOf(before: Map<string, number>, after: Map<string, number>, seconds: number): Record<string, number> {
  const r: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    total += d;
    if (d > 0) r[k] = round1(d / seconds);
  }
  return { total: round1(total / seconds), ...r };
}

/** A heap snapshot of `agent` (SIGUSR2: --heapsnapshot-signal), summed by kind once V8 has written it whole. */
async function heapOf(agent: Child, heapDir: string, clock: SystemClock): Promise<HeapSummary> {
  agent.proc.kill('SIGUSR2');
  const file = await waitFor(
    `${agent.name}'s heap snapshot`,
    120_000,
    async () => {
      const f = existsSync(heapDir) ? readdirSync(heapDir).find((x) => x.endsWith('.heapsnapshot')) : undefined;
      if (!f) return undefined;
      // Written in pieces: whole when its size stops changing.
      const size = statSync(join(heapDir, f)).size;
      await clock.sleep(1000);
      return size > 0 && statSync(join(heapDir, f)).size === size ? join(heapDir, f) : undefined;
    },
    { everyMs: 500, clock },
  );
  return summarizeHeap(file);
}

/** End the profiled agent cleanly (SIGTERM: --cpu-prof writes its file at exit) and summarize the idle window. */
async function profileOf(ps: ProcessGroup, agent: Child, profDir: string, fromUs: number, toUs: number, clock: SystemClock) {
  agent.proc.ref(); // or Node could exit before the exit event we wait for
  const gone = ps.kill(agent, 'SIGTERM');
  await Promise.race([gone, clock.sleep(30_000)]);
  if (ps.alive(agent)) throw new Error(`${agent.name} did not stop within 30 s of SIGTERM: no CPU profile`);
  const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${profDir}, found ${files.length}`);
  return summarizeWindow(join(profDir, files[0]!), fromUs, toUs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = args.indexOf('--store');
  const kind = flag >= 0 ? args[flag + 1] : 'etcd';
  const profile = args.includes('--profile=node2') ? 'node2' : args.includes('--profile') || process.env['WINHA_BENCH_PROFILE'] === '1';
  const heap = args.includes('--heap');
  const pos = args.filter((a, i) => !a.startsWith('--') && (flag < 0 || i !== flag + 1));
  const [groups, idleS, convergeS] = [Number(pos[0] ?? 10), Number(pos[1] ?? 60), Number(pos[2] ?? 600)];
  if (kind !== 'etcd' && kind !== 'file' && kind !== 'kubernetes') {
    process.stderr.write(`scale-processes: [bench-store-invalid] --store ${kind ?? '(nothing)'}: give etcd, file or kubernetes\n`);
    process.exit(2);
  }
  try {
    const r = await measureIdleProcesses(groups, {
      idleMs: idleS * 1000,
      convergeTimeoutMs: convergeS * 1000,
      store: kind,
      profile,
      heap,
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } catch (e) {
    // Not converging is a result too: one JSON line saying how far it got, the details on stderr.
    if (e instanceof NotConvergedError) {
      const { groups: g, ready, afterRealS, store, journalFiles } = e;
      const line = {
        bench: 'scale-processes',
        store,
        groups: g,
        converged: false,
        ready,
        afterRealS,
        journalFiles,
        loadavg: loadavg().map(round1),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    process.stderr.write(`scale-processes: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
