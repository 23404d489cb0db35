/** The scenario engine against the fake cluster under test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { parseScenarioFile, parseScenarioText } from '../../src/sim/scenario/parser.js';
import { runScenario } from '../../src/sim/scenario/runner.js';
import { formatReportJson, formatReportText } from '../../src/sim/scenario/report.js';
import type { Scenario } from '../../src/sim/scenario/model.js';
import type { ScenarioTarget } from '../../src/sim/scenario/target.js';
import { FakeTarget, type FakeBugs } from './fake-target.js';

const SCENARIOS = join(ROOT, 'test', 'scenarios');

async function scenario(file: string): Promise<Scenario> {
  const r = await parseScenarioFile(join(SCENARIOS, file), { cwd: ROOT });
  assert.deepEqual(r.problems, []);
  return r.scenario!;
}

async function inline(steps: string, extra = ''): Promise<Scenario> {
  const text = `apiVersion: winha.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  manifests: [fixtures/web.yaml]\n  timing: {leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1}\n${extra}  steps:\n${steps}`;
  const r = await parseScenarioText('t.yaml', text, { baseDir: SCENARIOS, cwd: ROOT });
  assert.deepEqual(r.problems, []);
  return r.scenario!;
}

const run = (s: Scenario, bugs: FakeBugs = {}, seed = 1) => runScenario(s, new FakeTarget(bugs), { seed });

test('M1 on the fake target: every step passes, failover measured from the fault, no violation', async () => {
  const r = await run(await scenario('m1-crash-while-mirroring.yaml'));
  assert.equal(r.passed, true, formatReportText(r, { traceLines: 40 }));
  assert.deepEqual(r.violations, []);
  const failover = r.measurements.find((m) => m.label.startsWith('fault nodeCrash node=node1 → group web activeNode=node2'));
  assert.ok(failover, JSON.stringify(r.measurements));
  assert.ok(failover.ms >= 4000, 'not before the lease (4 s) expired');
  assert.ok(r.trace.some((l) => l.kind === 'fault' && l.text.includes('fault nodeCrash node=node1')));
});

test('same seed, byte-identical report and trace; the trace holds no wall-clock time', async () => {
  const s = await scenario('m5-old-active-returns.yaml');
  const a = formatReportJson([await run(s, {}, 42)]);
  const b = formatReportJson([await run(s, {}, 42)]);
  assert.equal(a, b);
  assert.ok(!/20\d\d-\d\d-\d\dT/.test(a), 'no timestamps');
  // The seed reaches the world: random write blocks differ with another seed, the report's seed too.
  const c = formatReportJson([await run(s, {}, 43)]);
  assert.notEqual(a, c);
});

test('a waitFor that does not come true fails with what was seen, and the rest is skipped', async () => {
  const s = await inline('    - waitFor: {group: web, activeNode: node2, within: 5s}\n    - sleep: 1s\n');
  const r = await run(s);
  assert.equal(r.passed, false);
  assert.equal(r.steps[0]!.status, 'failed');
  assert.match(r.steps[0]!.message, /not within 5s: active=node1 ready=true/);
  assert.equal(r.steps[0]!.endedAt - r.steps[0]!.startedAt, 5000);
  assert.equal(r.steps[1]!.status, 'skipped');
  assert.match(formatReportText(r), /✘ {2}1 waitFor group web activeNode=node2 within 5s .*\(t\.yaml:8:7\)/);
});

test("singleActive catches a controller that leaves the old active's site running on a switchover", async () => {
  const s = await scenario('e7-switchover.yaml');
  const good = await run(s);
  assert.equal(good.passed, true, formatReportText(good, { traceLines: 30 }));
  // A site left running on E: would keep DataKeeper from switching the volume (12035): the world refuses, no two actives.
  // With the site's files off the mirrored volume nothing stops the buggy controller, and the checker must catch it.
  const offVolume = {
    ...s,
    objects: s.objects.map((o) =>
      o['kind'] === 'IISSite' ? { ...o, spec: { ...(o['spec'] as Record<string, unknown>), physicalPath: 'C:\\inetpub\\website1' } } : o,
    ),
  };
  const r = await run(offVolume, { keepOldSite: true });
  const v = r.violations.find((x) => x.invariant === 'singleActive');
  assert.ok(v, formatReportText(r));
  assert.match(v.message, /group default\/web is served by 2 nodes at once/);
  assert.ok(v.excerpt.length > 0 && v.excerpt.some((l) => l.includes('switchover')), v.excerpt.join('\n'));
});

test('noUnsafePromotion catches a controller that ignores the mirror gate (M2)', async () => {
  const s = await scenario('m2-crash-while-resyncing.yaml');
  const good = await run(s);
  assert.equal(good.passed, true, formatReportText(good, { traceLines: 40 }));
  const r = await run(s, { unsafePromotion: true });
  assert.equal(r.passed, false);
  const v = r.violations.find((x) => x.invariant === 'noUnsafePromotion');
  assert.ok(v, formatReportText(r));
  assert.match(v.message, /node2 became source of E: without --force/);
});

test('converges catches a controller that never activates; the report says when and why', async () => {
  const s = await inline('    - sleep: 1s\n', '  convergeWithin: 20s\n');
  const r = await run(s, { lazy: true });
  const v = r.violations.find((x) => x.invariant === 'converges');
  assert.ok(v);
  assert.equal(v.at, 20_000);
  assert.match(v.message, /not Ready 20\.000s after the last disturbance/);
  const text = formatReportText(r);
  // available (in the default set) sees the same idle controller: both healthy nodes could have served web.
  assert.match(text, /Violations \(2\):\n {2}converges at 20\.000s/);
  assert.match(text, /available at 20\.000s: .*although node1, node2 could serve it/);
  const json = JSON.parse(formatReportJson([r])) as {
    passed: boolean;
    scenarios: { violations: { invariant: string; at: number; excerpt: string[] }[] }[];
  };
  assert.equal(json.passed, false);
  assert.equal(json.scenarios[0]!.violations[0]!.invariant, 'converges');
});

test('operator outcome: a refused switchover passes when refusal is expected (M7)', async () => {
  const r = await run(await scenario('m7-switchover-while-resyncing.yaml'));
  assert.equal(r.passed, true, formatReportText(r, { traceLines: 30 }));
  const refused = r.steps.find((s) => s.description.includes('(expect refused)'))!;
  assert.match(refused.message, /^refused: mirror of web on node2 is not Mirroring/);
});

test('a target that throws fails the step with its message, and the run still ends with a report', async () => {
  const s = await inline('    - fault: {type: nodeCrash, node: node1}\n    - sleep: 1s\n');
  const broken = new FakeTarget();
  (broken as unknown as ScenarioTarget).injectFault = async () => {
    throw new Error('agent process died');
  };
  const r = await runScenario(s, broken, { seed: 1 });
  assert.equal(r.steps[0]!.status, 'failed');
  assert.match(r.steps[0]!.message, /the cluster under test failed: agent process died/);
  const dead = new FakeTarget();
  (dead as unknown as ScenarioTarget).start = async () => {
    throw new Error('no world');
  };
  const r2 = await runScenario(s, dead, { seed: 1 });
  assert.match(r2.steps[0]!.message, /did not start: no world/);
});

test('no scenario hangs: the virtual time budget ends a run', async () => {
  const s = await inline('    - waitFor: {group: web, activeNode: node2, within: 100h}\n');
  const r = await runScenario(s, new FakeTarget(), { seed: 1, maxVirtualMs: 60_000, tickMs: 1000 });
  assert.equal(r.steps[0]!.status, 'failed');
  assert.match(r.steps[0]!.message, /virtual time budget/);
});

test('event counts since a named step, lease holder/epoch, step names in text and JSON, structured trace', async () => {
  const steps = [
    '    - waitFor: {group: web, activeNode: node1, ready: true, within: 60s}',
    '    - expect: {group: web, lease: {holder: node1, epoch: 1}}',
    '    - name: crash',
    '      fault: {type: nodeCrash, node: node1}',
    '    - waitFor: {group: web, activeNode: node2, ready: true, within: 60s}',
    '    - expect: {event: {reason: Failover, since: crash, min: 1, max: 1}}',
    '    - expect: {event: {reason: Activated, since: crash, max: 0}}',
    '    - expect: {event: {reason: Activated}}',
    '    - name: lease moved once',
    '      expect: {group: web, lease: {holder: node2, epoch: 2, maxEpoch: 2}}',
    '',
  ].join('\n');
  const r = await run(await inline(steps));
  assert.equal(r.passed, true, formatReportText(r, { traceLines: 30 }));
  assert.equal(r.steps[2]!.name, 'crash');
  const text = formatReportText(r);
  assert.match(text, /✔ {2}3 crash: fault nodeCrash node=node1/);
  assert.match(text, /✔ {2}5 expect event reason=Failover min=1 max=1 since step crash/);
  assert.match(text, /✔ {2}8 lease moved once: expect group web lease holder=node2 epoch=2 epoch<=2/);
  const json = JSON.parse(formatReportJson([r])) as { scenarios: { steps: { name?: string }[]; trace: Record<string, unknown>[] }[] };
  assert.equal(json.scenarios[0]!.steps[2]!.name, 'crash');
  const trace = json.scenarios[0]!.trace;
  assert.ok(trace.every((e) => typeof e['at'] === 'number' && typeof e['kind'] === 'string' && typeof e['text'] === 'string'));
  assert.ok(trace.some((e) => e['kind'] === 'fault' && (e['fault'] as { type: string }).type === 'nodeCrash'));
  assert.ok(trace.some((e) => e['kind'] === 'event' && e['reason'] === 'Failover' && e['node'] === 'node2'));
  assert.ok(trace.some((e) => e['kind'] === 'step' && e['name'] === 'crash' && e['status'] === 'passed'));

  const bad = await run(
    await inline(
      [
        '    - waitFor: {group: web, activeNode: node1, ready: true, within: 60s}',
        '    - name: crash',
        '      fault: {type: nodeCrash, node: node1}',
        '    - waitFor: {group: web, activeNode: node2, ready: true, within: 60s}',
        '    - expect: {event: {reason: Failover, since: crash, max: 0}}',
        '',
      ].join('\n'),
    ),
  );
  assert.equal(bad.passed, false);
  assert.match(bad.steps[3]!.message, /^1 matching since step crash, e\.g\. Failover/);
  const wrongLease = await run(await inline('    - waitFor: {group: web, lease: {holder: node2}, within: 3s}\n'));
  assert.match(wrongLease.steps[0]!.message, /lease=node1\/epoch 1/);
});
