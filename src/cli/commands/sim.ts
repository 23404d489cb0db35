/**
 * `winha sim world | fault | inspect | check | run | fuzz`: the simulated
 * world served to other processes, faults and inspection of a running world,
 * and scenarios (design §5).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SystemClock } from '../../lib/clock.js';
import { SeededRandom, freshSeed } from '../../lib/random.js';
import { isDriverError } from '../../drivers/errors.js';
import type { Problem } from '../../validate/problem.js';
import { InputError, readInputs } from '../../validate/sources.js';
import { validateInputs } from '../../validate/validate.js';
import { clusterUnderTest, setClusterUnderTest } from '../../sim/harness/cluster-under-test.js';
import type { ScenarioTargetFactory } from '../../sim/scenario/target.js';
import { FAULT_FIELDS, FAULT_TYPES, describeFault, parseFault } from '../../sim/world/fault-spec.js';
import { fuzz, type FuzzManifestSet } from '../../sim/scenario/fuzz.js';
import { mirrorStateName } from '../../sim/scenario/history.js';
import { parseDuration } from '../../sim/scenario/duration.js';
import { RemoteWorldApi } from '../../drivers/sim/remote-world.js';
import { parseScenarioFile } from '../../sim/scenario/parser.js';
import { formatReportJson, formatReportText } from '../../sim/scenario/report.js';
import { runScenario, type ScenarioReport } from '../../sim/scenario/runner.js';
import { scenarioYaml } from '../../sim/scenario/writer.js';
import { topologyOf } from '../../sim/world/topology.js';
import { WorldAddressError, parseWorldAddress } from '../../drivers/sim/world-address.js';
import { callWorld, type WorldInspection } from '../../drivers/sim/world-protocol.js';
import { worldFromManifests } from '../../sim/world/world-from-manifests.js';
import { startWorldServer } from '../../sim/world/world-server.js';
import { renderTable } from '../table.js';
import { EXIT, UsageError, type CliIO } from '../io.js';

function problemLines(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.severity} ${p.rule}: ${p.message}\n`).join('');
}

function worldAddress(text: string | undefined, listen = false): ReturnType<typeof parseWorldAddress> {
  if (!text)
    throw new UsageError(
      listen ? 'say where to listen: --listen 127.0.0.1:PORT (0 for any free port)' : 'name the world: --world 127.0.0.1:PORT',
    );
  try {
    return parseWorldAddress(text, listen);
  } catch (e) {
    if (e instanceof WorldAddressError) throw new UsageError(`${e.message} [${e.id}]`);
    throw e;
  }
}

function seedOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff)
    throw new UsageError(`--seed must be an integer from 0 to 4294967295, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** Read and validate manifests; prints problems and returns undefined when invalid. */
async function loadManifests(
  paths: readonly string[],
  recursive: boolean,
  io: CliIO,
  command: string,
): Promise<Record<string, unknown>[] | undefined> {
  let inputs;
  try {
    inputs = await readInputs(paths, recursive, io.cwd, io.stdin);
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(`${command}: ${e.message}`);
    throw e;
  }
  const report = validateInputs(inputs);
  const errors = report.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    io.stderr.write(problemLines(errors));
    io.stderr.write(`${command}: the manifests are invalid (${errors.length} error${errors.length === 1 ? '' : 's'})\n`);
    return undefined;
  }
  return report.objects.map((o) => o.obj);
}

// ───────────── sim world ─────────────

export interface WorldFlags {
  listen?: string;
  switchoverUnreachable?: string;
  seed?: string;
  filename?: string[];
  recursive?: boolean;
}

/** Serve a world until SIGINT/SIGTERM (or `until` resolves, for tests). */
export async function runSimWorld(flags: WorldFlags, io: CliIO, until?: Promise<void>): Promise<number> {
  const address = worldAddress(flags.listen, true);
  if (!flags.filename?.length)
    throw new UsageError('name the manifests that describe the world: -f FILE|DIR (Cluster nodes become hosts, Mirrors become volumes)');
  const seed = seedOf(flags.seed) ?? freshSeed();
  const objects = await loadManifests(flags.filename, !!flags.recursive, io, 'winha sim world');
  if (!objects) return EXIT.USAGE;
  const topology = topologyOf(objects);
  if (topology.nodes.length === 0)
    throw new UsageError('winha sim world: the manifests declare no Cluster node, so the world would have no host');
  let timing: { switchoverUnreachableMs: number } | undefined;
  if (flags.switchoverUnreachable !== undefined) {
    const ms = parseDuration(flags.switchoverUnreachable);
    if (ms === undefined)
      throw new UsageError(
        `--switchover-unreachable must be a duration such as 35s or 500ms, not ${JSON.stringify(flags.switchoverUnreachable)}`,
      );
    timing = { switchoverUnreachableMs: ms };
  }
  const world = worldFromManifests(objects, new SystemClock(), new SeededRandom(seed), timing ? { timing } : {});
  let server;
  try {
    server = await startWorldServer(
      world,
      address,
      topology.nodes.map((n) => n.name),
    );
  } catch (e) {
    io.stderr.write(`winha sim world: cannot listen on ${flags.listen}: ${(e as Error).message} [world-listen-failed]\n`);
    world.stop();
    return EXIT.FAILED;
  }
  io.stdout.write(
    `winha sim world: listening on ${server.text} (protocol 1, seed ${seed}; hosts ${topology.nodes.map((n) => n.name).join(', ')})\n`,
  );
  io.stdout.write(
    `  agents:  winha agent --node NODE --driver sim://${server.text}/NODE\n  faults:  winha sim fault --world ${server.text} nodeCrash --node ${topology.nodes[0]!.name}\n  inspect: winha sim inspect --world ${server.text}\n`,
  );
  await (until ??
    new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }));
  await server.close();
  world.stop();
  io.stdout.write('winha sim world: stopped\n');
  return EXIT.OK;
}

// ───────────── sim fault ─────────────

export interface FaultFlags {
  world?: string;
  output?: string;
  [field: string]: unknown;
}

/** CLI flag (camelCase from commander) → fault field. */
const FLAG_FIELDS: Record<string, string> = {
  node: 'node',
  peer: 'peer',
  service: 'service',
  site: 'site',
  address: 'address',
  mac: 'claimantMac',
  times: 'times',
  operation: 'operation',
  offsetMs: 'offsetMs',
  volume: 'volume',
  count: 'count',
  block: 'block',
  checks: 'checks',
  mode: 'mode',
  code: 'code',
  status: 'status',
  ms: 'ms',
};
const INTEGER_FIELDS = new Set(['times', 'offsetMs', 'count', 'block', 'checks', 'status', 'ms']);

export function faultFromFlags(type: string, flags: FaultFlags): ReturnType<typeof parseFault> {
  const raw: Record<string, unknown> = { type };
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    const v = flags[flag];
    if (v === undefined) continue;
    raw[field] = INTEGER_FIELDS.has(field) && typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  }
  return parseFault(raw);
}

export async function runSimFault(type: string, flags: FaultFlags, io: CliIO): Promise<number> {
  const address = worldAddress(flags.world);
  const parsed = faultFromFlags(type, flags);
  if (!parsed.fault) {
    const fields = (FAULT_TYPES as string[]).includes(type)
      ? ` (fields of ${type}: ${Object.keys(FAULT_FIELDS[type as keyof typeof FAULT_FIELDS]).join(', ')})`
      : '';
    throw new UsageError(`${parsed.issues.map((i) => i.message).join('; ')}${fields} [sim-fault-invalid]`);
  }
  const api = new RemoteWorldApi(address);
  try {
    const result = await callWorld(api, 'world.fault', { fault: parsed.fault });
    if (flags.output === 'json') io.stdout.write(`${JSON.stringify({ fault: parsed.fault, result }, null, 2)}\n`);
    else {
      io.stdout.write(`injected ${describeFault(parsed.fault)}\n`);
      if (result.writes) {
        const w = result.writes;
        io.stdout.write(
          `${w.length} writes: ${w.filter((x) => x.accepted).length} accepted, ${w.filter((x) => x.onTarget).length} acknowledged by the target\n`,
        );
      }
    }
    return EXIT.OK;
  } catch (e) {
    if (!isDriverError(e)) throw e;
    io.stderr.write(`winha sim fault: ${e.message} [${e.code}]\n`);
    return EXIT.FAILED;
  } finally {
    api.close();
  }
}

// ───────────── sim inspect ─────────────

export function formatInspection(i: WorldInspection): string {
  const out: string[] = [];
  out.push(
    renderTable(
      ['Host', 'Power', 'Agent', 'Store', 'Clock skew', 'Started sites'],
      Object.keys(i.hosts)
        .sort()
        .map((h) => {
          const f = i.hosts[h]!;
          return [
            h,
            f.up ? 'up' : 'DOWN',
            f.agentRunning ? 'running' : 'stopped',
            f.storeReachable ? 'reachable' : 'cut',
            `${f.clockSkewMs}ms`,
            (i.startedSites[h] ?? []).join(',') || '-',
          ];
        }),
    ),
  );
  out.push(
    renderTable(
      ['Address', 'Held by'],
      Object.keys(i.addressHolders)
        .sort()
        .map((a) => [a, i.addressHolders[a]!.join(',')]),
    ),
  );
  // A cloud routes these addresses itself: where it sends their traffic now.
  if (i.cloudRoutes)
    out.push(
      renderTable(
        ['Cloud-routed address', 'Sent to'],
        Object.keys(i.cloudRoutes)
          .sort()
          .map((a) => [a, i.cloudRoutes![a]!.join(',') || '-']),
      ),
    );
  const mirrored = i.volumes.filter((v) => v.role !== 'none');
  out.push(
    mirrored.length
      ? renderTable(
          ['Volume', 'Host', 'Role', 'State', 'Locked', 'Dirty blocks'],
          mirrored.map((v) => [
            `${v.volume}:`,
            v.host,
            v.role,
            `${mirrorStateName(v.state)} (${v.state})`,
            v.locked ? 'yes' : 'no',
            String(v.dirtyBlocks),
          ]),
        )
      : 'No mirrors.\n',
  );
  for (const c of i.addressConflicts) out.push(`address conflict: ${c.address} held by ${c.holders.join(', ')}\n`);
  for (const s of i.splitBrains) out.push(`split brain: ${s.volume}: is source on ${s.sources.join(', ')}\n`);
  for (const l of i.lostAcknowledgedWrites) out.push(`lost acknowledged writes: ${l.volume}: on ${l.host}: ${l.writeIds.length}\n`);
  return out.join('\n');
}

export async function runSimInspect(flags: { world?: string; output?: string }, io: CliIO): Promise<number> {
  const api = new RemoteWorldApi(worldAddress(flags.world));
  try {
    const i = await callWorld(api, 'world.inspect', {});
    io.stdout.write(flags.output === 'json' ? `${JSON.stringify(i, null, 2)}\n` : formatInspection(i));
    return EXIT.OK;
  } catch (e) {
    if (!isDriverError(e)) throw e;
    io.stderr.write(`winha sim inspect: ${e.message} [${e.code}]\n`);
    return EXIT.FAILED;
  } finally {
    api.close();
  }
}

// ───────────── scenarios ─────────────

/**
 * The cluster scenarios run on: whatever a test installed, else the real one
 * (the agents on simulated hosts, src/sim/harness/agent-target.ts), installed here.
 */
async function cluster(): Promise<ScenarioTargetFactory> {
  const installed = clusterUnderTest();
  if (installed) return installed;
  const { agentTargetFactory } = await import('../../sim/harness/agent-target.js');
  const { realAgents } = await import('../agent-factory.js');
  const f = agentTargetFactory({ agentFactory: realAgents });
  setClusterUnderTest(f);
  return f;
}

export async function runSimCheck(files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('name the scenario files to check');
  let bad = 0;
  for (const f of files) {
    const r = await parseScenarioFile(f, { cwd: io.cwd });
    if (r.scenario) io.stdout.write(`${f}: ok (${r.scenario.steps.length} steps, ${r.scenario.objects.length} objects)\n`);
    else {
      bad++;
      io.stderr.write(problemLines(r.problems));
    }
  }
  return bad > 0 ? EXIT.USAGE : EXIT.OK;
}

export interface RunFlags {
  seed?: string;
  output?: string;
}

export async function runSimRun(files: string[], flags: RunFlags, io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('name the scenario files to run');
  const scenarios = [];
  let bad = false;
  for (const f of files) {
    const r = await parseScenarioFile(f, { cwd: io.cwd });
    if (r.scenario) scenarios.push(r.scenario);
    else {
      bad = true;
      io.stderr.write(problemLines(r.problems));
    }
  }
  if (bad) return EXIT.USAGE;
  const factory = await cluster();
  const seed = seedOf(flags.seed);
  const reports: ScenarioReport[] = [];
  for (const s of scenarios) reports.push(await runScenario(s, factory(), { seed: seed ?? s.seed ?? 1 }));
  io.stdout.write(
    flags.output === 'json'
      ? formatReportJson(reports)
      : reports.map((r) => formatReportText(r, { traceLines: r.passed ? 0 : 40 })).join('\n'),
  );
  return reports.every((r) => r.passed) ? EXIT.OK : EXIT.FAILED;
}

export interface FuzzFlags {
  runs?: string;
  seed?: string;
  filename?: string[];
  out?: string;
  output?: string;
}

export async function runSimFuzz(flags: FuzzFlags, io: CliIO): Promise<number> {
  const runs = Number(flags.runs ?? '100');
  if (!Number.isInteger(runs) || runs < 1 || runs > 1_000_000)
    throw new UsageError(`--runs must be an integer from 1 to 1000000, not ${JSON.stringify(flags.runs)}`);
  const seed = seedOf(flags.seed) ?? freshSeed();
  const paths = flags.filename?.length ? flags.filename : ['manifests/examples'];
  let files: string[];
  try {
    const inputs = await readInputs(paths, true, io.cwd, io.stdin);
    files = inputs.map((i) => resolve(io.cwd, i.name));
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(`winha sim fuzz: ${e.message}`);
    throw e;
  }
  const sets: FuzzManifestSet[] = [];
  for (const f of files) {
    const objects = await loadManifests([f], false, io, 'winha sim fuzz');
    if (!objects) return EXIT.USAGE;
    if (topologyOf(objects).nodes.length > 0) sets.push({ name: basename(f).replace(/\.(ya?ml|json)$/, ''), objects, files: [f] });
  }
  if (sets.length === 0) throw new UsageError('winha sim fuzz: the manifests declare no Cluster');
  const factory = await cluster();
  const wall = new SystemClock();
  const began = wall.monotonic();
  const result = await fuzz({ runs, seed, sets, target: factory });
  const wallSeconds = (wall.monotonic() - began) / 1000;
  const written: { seed: number; set: string; invariants: string[]; file: string }[] = [];
  const outDir = resolve(io.cwd, flags.out ?? '.');
  for (const f of result.failures) {
    await mkdir(outDir, { recursive: true });
    const path = join(outDir, `${f.minimal.name}.yaml`);
    const violations = f.minimalReport.violations.map((v) => `${v.invariant}: ${v.message}`).join('\n');
    await writeFile(
      path,
      scenarioYaml(
        f.minimal,
        path,
        `Minimal reproduction written by winha sim fuzz (run seed ${f.seed}, set ${f.set}).\nReplay: winha sim run ${path}\n${violations}`,
      ),
    );
    written.push({ seed: f.seed, set: f.set, invariants: f.report.violations.map((v) => v.invariant), file: path });
    if (flags.output !== 'json')
      io.stdout.write(
        `FAILED run seed ${f.seed} (${f.set}): ${f.report.violations.map((v) => v.invariant).join(', ') || 'a step failed'}; minimal reproduction: ${path}\n`,
      );
  }
  if (flags.output === 'json') {
    io.stdout.write(
      `${JSON.stringify({ bench: 'fuzz', runs: result.runs, seed, failed: result.failures.length, wallSeconds: Math.round(wallSeconds * 10) / 10, failures: written }, null, 2)}\n`,
    );
  } else io.stdout.write(`${result.runs} runs from seed ${seed}: ${result.failures.length} failed (${wallSeconds.toFixed(1)} s)\n`);
  return result.failures.length === 0 ? EXIT.OK : EXIT.FAILED;
}
