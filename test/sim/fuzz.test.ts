/** The fault-schedule generator and shrinker, against the fake cluster under test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES_DIR, ROOT } from '../support/paths.js';
import { SeededRandom } from '../../src/lib/random.js';
import { drawAtoms, fuzz, healingTail, type Atom, type FuzzManifestSet } from '../../src/sim/scenario/fuzz.js';
import { topologyOf } from '../../src/sim/world/topology.js';
import { scenarioYaml } from '../../src/sim/scenario/writer.js';
import { parseScenarioText } from '../../src/sim/scenario/parser.js';
import { runScenario } from '../../src/sim/scenario/runner.js';
import { validateInputs } from '../../src/validate/validate.js';
import { setClusterUnderTest } from '../../src/sim/harness/cluster-under-test.js';
import { main } from '../../src/cli/main.js';
import { FakeTarget, type FakeBugs } from './fake-target.js';
import { PassThrough } from 'node:stream';

function set(file: string): FuzzManifestSet {
  const path = join(EXAMPLES_DIR, file);
  const objects = validateInputs([{ name: path, content: readFileSync(path) }]).objects.map((o) => o.obj);
  return { name: file.replace('.yaml', ''), objects, files: [path] };
}
const SETS = [set('two-node-web.yaml'), set('active-active.yaml'), set('three-node-cascade.yaml')];
const target =
  (bugs: FakeBugs = {}) =>
  () =>
    new FakeTarget(bugs);

test('schedules are deterministic per seed, name only declared nodes, and end healed', () => {
  const t = topologyOf(SETS[0]!.objects);
  const a = drawAtoms(t, new SeededRandom(9), 30);
  assert.deepEqual(drawAtoms(t, new SeededRandom(9), 30), a);
  assert.notDeepEqual(drawAtoms(t, new SeededRandom(10), 30), a);
  const nodes = new Set(t.nodes.map((n) => n.name));
  for (const { fault } of a) if (fault && 'node' in fault) assert.ok(nodes.has(fault.node), JSON.stringify(fault));
  // Never every node down at once.
  let down = 0;
  for (const { fault } of a) {
    if (fault?.type === 'nodeCrash') down++;
    if (fault?.type === 'nodeRestore') down--;
    assert.ok(down < nodes.size);
  }
  const tail = healingTail([
    { waitMs: 500, fault: { type: 'nodeCrash', node: 'node1' } },
    { waitMs: 500, fault: { type: 'replicationPartition', node: 'node2' } },
    { waitMs: 500, fault: { type: 'ipConflict', address: '10.0.0.50' } },
    { waitMs: 500, fault: { type: 'clockSkew', node: 'node2', offsetMs: 3000 } },
    { waitMs: 500, fault: { type: 'agentStop', node: 'node2' } },
    { waitMs: 500, fault: { type: 'storePartition', node: 'node1' } },
  ] satisfies Atom[]);
  assert.deepEqual(
    tail.map((f) => f.type),
    ['ipConflictClear', 'replicationHeal', 'storeHeal', 'clockSkew', 'nodeRestore', 'agentStart'],
  );
});

test('a cloud topology also draws cloud faults (healed at the end); a topology without one draws none', () => {
  const cloud = topologyOf(set('aws-secondary-ip.yaml').objects);
  const a = drawAtoms(cloud, new SeededRandom(3), 200);
  const types = new Set(a.map((x) => x.fault?.type));
  for (const t of ['cloudApiFault', 'cloudAssignDelay', 'cloudDrift'] as const) assert.ok(types.has(t), `${t} never drawn`);
  for (const { fault } of a) if (fault?.type === 'cloudDrift') assert.equal(fault.address, '10.0.1.50');
  const tail = healingTail([
    { waitMs: 500, fault: { type: 'cloudApiFault', mode: 'hang', times: 2 } },
    { waitMs: 500, fault: { type: 'cloudAssignDelay', ms: 8000 } },
  ] satisfies Atom[]);
  assert.deepEqual(tail, [{ type: 'cloudApiHeal' }, { type: 'cloudAssignDelay', ms: 0 }]);
  const onPrem = drawAtoms(topologyOf(SETS[0]!.objects), new SeededRandom(3), 200);
  assert.ok(!onPrem.some((x) => x.fault?.type.startsWith('cloud')), 'no cloud fault without a cloud');
});

test('200 random schedules over the examples: no violation on the fake target', async () => {
  const r = await fuzz({ runs: 200, seed: 1000, sets: SETS, target: target(), tickMs: 500 });
  assert.equal(r.runs, 200);
  assert.deepEqual(
    r.failures.map((f) => `${f.seed}: ${f.report.violations.map((v) => v.message).join('; ')}`),
    [],
  );
});

test('a broken mirror gate is found, shrunk to a few faults, and written as a scenario that reproduces it', async () => {
  const r = await fuzz({ runs: 30, seed: 1, sets: [SETS[0]!], target: target({ unsafePromotion: true }) });
  assert.ok(r.failures.length > 0, 'the fuzzer finds the bug');
  const f = r.failures[0]!;
  assert.ok(f.report.violations.some((v) => v.invariant === 'noUnsafePromotion'));
  const faults = (s: typeof f.minimal) => s.steps.filter((x) => x.type === 'fault' && x.name !== 'heal').length;
  assert.ok(faults(f.minimal) <= faults(f.original), 'never larger');
  assert.ok(faults(f.minimal) <= 3, `minimal has ${faults(f.minimal)} faults`);
  assert.ok(f.minimalReport.violations.some((v) => v.invariant === 'noUnsafePromotion'));
  // Written, parsed back, replayed: the same violation.
  const dir = mkdtempSync(join(tmpdir(), 'winha-fuzz-'));
  try {
    const path = join(dir, `${f.minimal.name}.yaml`);
    const parsed = await parseScenarioText(path, scenarioYaml(f.minimal, path), { baseDir: dir, cwd: ROOT });
    assert.deepEqual(parsed.problems, []);
    const replay = await runScenario(parsed.scenario!, new FakeTarget({ unsafePromotion: true }), { seed: parsed.scenario!.seed! });
    assert.ok(replay.violations.some((v) => v.invariant === 'noUnsafePromotion'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function io(cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  err.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return { io: { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd }, text: () => ({ stdout, stderr }) };
}

test('winha sim fuzz with a cluster under test: prints the seed and writes the minimal reproduction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-fuzz-'));
  setClusterUnderTest(target({ unsafePromotion: true }));
  try {
    const c = io(ROOT);
    const code = await main(
      ['sim', 'fuzz', '--runs', '8', '--seed', '1', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--out', dir],
      c.io,
    );
    const { stdout } = c.text();
    assert.equal(code, 1, stdout);
    const m = /FAILED run seed (\d+) \(two-node-web\): noUnsafePromotion.*minimal reproduction: (\S+)/.exec(stdout);
    assert.ok(m, stdout);
    const written = readFileSync(m[2]!, 'utf8');
    assert.match(written, /^# Minimal reproduction written by winha sim fuzz \(run seed \d+/);
    assert.match(written, /manifests:\n {4}- .*manifests\/examples\/two-node-web\.yaml/);
    const run = io(ROOT);
    assert.equal(await main(['sim', 'run', m[2]!, '-o', 'json'], run.io), 1);
    assert.equal((JSON.parse(run.text().stdout) as { passed: boolean }).passed, false);
    setClusterUnderTest(target());
    const clean = io(ROOT);
    assert.equal(
      await main(['sim', 'run', join(ROOT, 'test', 'scenarios', 'm1-crash-while-mirroring.yaml')], clean.io),
      0,
      clean.text().stdout,
    );
    assert.match(clean.text().stdout, /PASSED/);
  } finally {
    setClusterUnderTest(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
