/**
 * Random fault schedules over a manifest set, and a shrinker that turns a
 * failing schedule into a minimal one (design §5, `winha sim fuzz`).
 *
 * A schedule is a list of atoms — wait, then inject one fault — followed by a
 * tail that heals whatever is still broken, so `converges` is checked at the
 * end. Run i of `--seed S` uses seed S+i for both the schedule and the
 * cluster, so `--runs 1 --seed S+i` replays it exactly.
 *
 * Faults that damage a host for good (siteDelete, bindingSteal: nothing heals
 * them) are left out of random schedules; scenarios cover them (H3, H9).
 */
import { SeededRandom, type Random } from '../../lib/random.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import { INVARIANT_NAMES, type LeaseTiming, type Scenario, type Step } from './model.js';
import { runScenario, type ScenarioReport } from './runner.js';
import type { ScenarioTargetFactory } from './target.js';
import { isCloudRouted, topologyOf, type Topology } from '../world/topology.js';

export interface Atom {
  /** Virtual ms to wait before the fault. */
  waitMs: number;
  /** Absent: only wait (the shrinker drops a fault but keeps the time it gave the cluster). */
  fault?: Fault;
}

export interface FuzzManifestSet {
  /** Shown in names and reports, e.g. "two-node-web". */
  name: string;
  objects: Record<string, unknown>[];
  /** Absolute paths the objects came from (written into reproductions). */
  files: string[];
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  sets: readonly FuzzManifestSet[];
  target: ScenarioTargetFactory;
  /** Lease timing of every run (default 4/3/1: short runs). */
  timing?: LeaseTiming;
  /** Faults per schedule (default 1–8). */
  minFaults?: number;
  maxFaults?: number;
  convergeWithinMs?: number;
  tickMs?: number;
  /** Most runs the shrinker may spend on one failure (default 150). */
  shrinkBudget?: number;
  /** Called after each run (progress output). */
  onRun?: (run: { index: number; seed: number; set: string; passed: boolean }) => void;
}

export interface FuzzFailure {
  seed: number;
  set: string;
  /** The schedule as drawn. */
  original: Scenario;
  /** The smallest schedule found that still violates the same invariant. */
  minimal: Scenario;
  report: ScenarioReport;
  minimalReport: ScenarioReport;
}

export interface FuzzResult {
  runs: number;
  failures: FuzzFailure[];
}

export const DEFAULT_FUZZ_TIMING: LeaseTiming = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

/** What is broken at the end of a prefix of atoms, to be healed. */
interface Open {
  crashed: Set<string>;
  agentStopped: Set<string>;
  storeCut: Set<string>;
  replication: Set<string>;
  skewed: Set<string>;
  conflicts: Set<string>;
  /** EC2 misbehaves (cloudApiFault) or remaps slowly (cloudAssignDelay). */
  cloudApi: boolean;
  assignDelay: boolean;
}

function openAfter(atoms: readonly Atom[]): Open {
  const o: Open = {
    crashed: new Set(),
    agentStopped: new Set(),
    storeCut: new Set(),
    replication: new Set(),
    skewed: new Set(),
    conflicts: new Set(),
    cloudApi: false,
    assignDelay: false,
  };
  for (const { fault: f } of atoms) {
    if (!f) continue;
    switch (f.type) {
      case 'nodeCrash':
        o.crashed.add(f.node);
        break;
      case 'nodeRestore':
        o.crashed.delete(f.node);
        break;
      case 'agentStop':
        o.agentStopped.add(f.node);
        break;
      case 'agentStart':
        o.agentStopped.delete(f.node);
        break;
      case 'storePartition':
        o.storeCut.add(f.node);
        break;
      case 'storeHeal':
        o.storeCut.delete(f.node);
        break;
      case 'replicationPartition':
        o.replication.add(f.node);
        break;
      case 'replicationHeal':
        o.replication.delete(f.node);
        break;
      case 'clockSkew':
        if (f.offsetMs === 0) o.skewed.delete(f.node);
        else o.skewed.add(f.node);
        break;
      case 'ipConflict':
        o.conflicts.add(f.address);
        break;
      case 'ipConflictClear':
        o.conflicts.delete(f.address);
        break;
      case 'cloudApiFault':
        o.cloudApi = true;
        break;
      case 'cloudApiHeal':
        o.cloudApi = false;
        break;
      case 'cloudAssignDelay':
        o.assignDelay = f.ms > 0;
        break;
      default:
        break;
    }
  }
  return o;
}

/** Faults that undo everything still broken after `atoms`, in a fixed order. */
export function healingTail(atoms: readonly Atom[]): Fault[] {
  const o = openAfter(atoms);
  const sorted = (s: Set<string>) => [...s].sort();
  return [
    ...sorted(o.conflicts).map((address): Fault => ({ type: 'ipConflictClear', address })),
    ...sorted(o.replication).map((node): Fault => ({ type: 'replicationHeal', node })),
    ...sorted(o.storeCut).map((node): Fault => ({ type: 'storeHeal', node })),
    ...sorted(o.skewed).map((node): Fault => ({ type: 'clockSkew', node, offsetMs: 0 })),
    ...sorted(o.crashed).map((node): Fault => ({ type: 'nodeRestore', node })),
    ...sorted(o.agentStopped).map((node): Fault => ({ type: 'agentStart', node })),
    ...(o.cloudApi ? [{ type: 'cloudApiHeal' } as const] : []),
    ...(o.assignDelay ? [{ type: 'cloudAssignDelay', ms: 0 } as const] : []),
  ];
}

/** Faults of the cloud network, drawn only for a topology with cloud-routed addresses (others keep their schedules). */
function cloudChoices(t: Topology, random: Random, o: Open, node: string): (() => Fault | undefined)[] {
  const aws = t.vips.filter((v) => isCloudRouted(v) && v.provider?.type !== 'azureLoadBalancer');
  if (!t.vips.some(isCloudRouted)) return [];
  return [
    () => ({ type: 'cloudApiFault', mode: random.next() < 0.7 ? 'throttle' : 'hang', times: random.int(1, 4) }),
    () => (o.cloudApi ? { type: 'cloudApiHeal' } : undefined),
    () => ({ type: 'cloudAssignDelay', ms: random.int(0, 15) * 1000 }),
    () => (aws.length ? { type: 'cloudDrift', address: random.pick(aws).address, node } : undefined),
  ];
}

/** Draw one schedule. Crashes never take down the last running node (nothing would be left to test). */
export function drawAtoms(t: Topology, random: Random, count: number): Atom[] {
  const nodes = t.nodes.map((n) => n.name);
  const atoms: Atom[] = [];
  if (nodes.length === 0) return atoms;
  for (let i = 0; i < count; i++) {
    const o = openAfter(atoms);
    const up = nodes.filter((n) => !o.crashed.has(n));
    const node = random.pick(nodes);
    const choices: (() => Fault | undefined)[] = [
      () => (up.length > 1 && !o.crashed.has(node) ? { type: 'nodeCrash', node } : undefined),
      () => (o.crashed.size ? { type: 'nodeRestore', node: random.pick([...o.crashed].sort()) } : undefined),
      () => ({ type: 'agentStop', node }),
      () => (o.agentStopped.size ? { type: 'agentStart', node: random.pick([...o.agentStopped].sort()) } : undefined),
      () => ({ type: 'storePartition', node }),
      () => (o.storeCut.size ? { type: 'storeHeal', node: random.pick([...o.storeCut].sort()) } : undefined),
      () => ({ type: 'replicationPartition', node }),
      () => (o.replication.size ? { type: 'replicationHeal', node: random.pick([...o.replication].sort()) } : undefined),
      () => ({
        type: 'serviceStop',
        node,
        service: t.sites.some((s) => s.bindings.some((b) => b.protocol === 'ftp')) && random.next() < 0.3 ? 'FTPSVC' : 'W3SVC',
      }),
      () => (t.sites.length ? { type: 'siteStop', node, site: random.pick(t.sites).siteName } : undefined),
      () => ({ type: 'commandFail', node, times: random.int(1, 3) }),
      () => ({ type: 'clockSkew', node, offsetMs: random.int(-5, 5) * 1000 || 1000 }),
      () => (t.vips.length && random.next() < 0.5 ? { type: 'ipConflict', address: random.pick(t.vips).address } : undefined),
      () => (o.conflicts.size ? { type: 'ipConflictClear', address: random.pick([...o.conflicts].sort()) } : undefined),
      () => {
        const m = t.mirrors.filter((x) => x.endpoints.some((e) => e.node === node));
        return m.length ? { type: 'write', node, volume: random.pick(m).volume, count: random.int(1, 10) } : undefined;
      },
      ...cloudChoices(t, random, o, node),
    ];
    let fault: Fault | undefined;
    for (let attempt = 0; attempt < 20 && !fault; attempt++) fault = random.pick(choices)();
    if (!fault) continue;
    atoms.push({ waitMs: random.int(1, 40) * 500, fault });
  }
  return atoms;
}

export function scheduleScenario(
  name: string,
  set: FuzzManifestSet,
  atoms: readonly Atom[],
  opts: { timing: LeaseTiming; seed: number; convergeWithinMs: number },
): Scenario {
  const steps: Step[] = [{ type: 'sleep', ms: 20_000, name: 'initial convergence' }];
  for (const a of atoms) {
    if (a.waitMs > 0) steps.push({ type: 'sleep', ms: a.waitMs });
    if (a.fault) steps.push({ type: 'fault', fault: a.fault });
  }
  for (const f of healingTail(atoms)) steps.push({ type: 'fault', fault: f, name: 'heal' });
  const objects = set.objects.map((o) => {
    const copy = structuredClone(o);
    if (copy['kind'] === 'Cluster') {
      const spec = (copy['spec'] ?? {}) as Record<string, unknown>;
      spec['timing'] = { ...opts.timing };
      copy['spec'] = spec;
    }
    return copy;
  });
  return {
    name,
    file: '',
    manifestPaths: [],
    manifestFiles: [...set.files],
    objects,
    timing: { ...opts.timing },
    steps,
    invariants: [...INVARIANT_NAMES],
    convergeWithinMs: opts.convergeWithinMs,
    seed: opts.seed,
  };
}

/** The invariants a report violated (the shrinker keeps a candidate only if it still violates one of them). */
function violated(r: ScenarioReport): Set<string> {
  const s = new Set<string>(r.violations.map((v) => v.invariant));
  if (r.steps.some((x) => x.status === 'failed')) s.add('step');
  return s;
}

/**
 * Delta debugging (Zeller's ddmin, simplified): drop chunks of atoms while the
 * run still violates the same invariant; then shorten the waits.
 */
export async function shrink(
  atoms: readonly Atom[],
  build: (atoms: readonly Atom[]) => Scenario,
  run: (s: Scenario) => Promise<ScenarioReport>,
  target: ReadonlySet<string>,
  budget: number,
): Promise<{ atoms: Atom[]; report?: ScenarioReport; runs: number }> {
  let best = [...atoms];
  let bestReport: ScenarioReport | undefined;
  let runs = 0;
  const stillFails = async (candidate: Atom[]) => {
    if (runs >= budget) return false;
    runs++;
    const r = await run(build(candidate));
    const hit = [...violated(r)].some((x) => target.has(x));
    if (hit) bestReport = r;
    return hit;
  };
  let chunk = Math.max(1, Math.floor(best.length / 2));
  while (chunk >= 1 && runs < budget) {
    let removed = false;
    for (let start = 0; start < best.length && runs < budget;) {
      const candidate = [...best.slice(0, start), ...best.slice(start + chunk)];
      if (candidate.length < best.length && (await stillFails(candidate))) {
        best = candidate;
        removed = true;
      } else start += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  // Drop single faults but keep their time (the cluster may need it to reach the failing state).
  for (let i = 0; i < best.length && runs < budget; i++) {
    if (!best[i]!.fault) continue;
    const candidate = best.map((a, j) => (j === i ? { waitMs: a.waitMs } : a));
    if (await stillFails(candidate)) best = candidate;
  }
  best = mergeWaits(best);
  for (let i = 0; i < best.length && runs < budget; i++) {
    while (best[i]!.waitMs > 500 && runs < budget) {
      const candidate = best.map((a, j) => (j === i ? { ...a, waitMs: Math.max(500, Math.floor(a.waitMs / 1000) * 500) } : a));
      if (await stillFails(candidate)) best = candidate;
      else break;
    }
  }
  const out: { atoms: Atom[]; report?: ScenarioReport; runs: number } = { atoms: best, runs };
  if (bestReport) out.report = bestReport;
  return out;
}

/** Fold fault-less atoms into the next atom's wait (a trailing one stays: it is the time before the heals). */
function mergeWaits(atoms: readonly Atom[]): Atom[] {
  const out: Atom[] = [];
  let carry = 0;
  for (const a of atoms) {
    if (!a.fault) {
      carry += a.waitMs;
      continue;
    }
    out.push({ waitMs: a.waitMs + carry, fault: a.fault });
    carry = 0;
  }
  if (carry > 0) out.push({ waitMs: carry });
  return out;
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const timing = opts.timing ?? DEFAULT_FUZZ_TIMING;
  const convergeWithinMs = opts.convergeWithinMs ?? 120_000;
  const failures: FuzzFailure[] = [];
  const runOne = (s: Scenario) => runScenario(s, opts.target(), { seed: s.seed ?? 0, ...(opts.tickMs ? { tickMs: opts.tickMs } : {}) });
  for (let i = 0; i < opts.runs; i++) {
    const seed = (opts.seed + i) >>> 0;
    const set = opts.sets[seed % opts.sets.length]!;
    const random = new SeededRandom(seed);
    const t = topologyOf(set.objects);
    const atoms = drawAtoms(t, random, random.int(opts.minFaults ?? 1, opts.maxFaults ?? 8));
    const build = (a: readonly Atom[]) => scheduleScenario(`fuzz-${set.name}-${seed}`, set, a, { timing, seed, convergeWithinMs });
    const original = build(atoms);
    const report = await runOne(original);
    opts.onRun?.({ index: i, seed, set: set.name, passed: report.passed });
    if (report.passed) continue;
    const target = violated(report);
    const shrunk = await shrink(atoms, build, runOne, target, opts.shrinkBudget ?? 150);
    const minimal = build(shrunk.atoms);
    minimal.name = `fuzz-${set.name}-${seed}-minimal`;
    failures.push({ seed, set: set.name, original, minimal, report, minimalReport: shrunk.report ?? report });
  }
  return { runs: opts.runs, failures };
}
