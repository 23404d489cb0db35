/** Scenario files: the project's own parse; bad ones are reported at file:line:column with a rule id. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from '../support/paths.js';
import { parseScenarioFile, parseScenarioText, SCENARIO_RULES } from '../../src/sim/scenario/parser.js';
import { scenarioYaml } from '../../src/sim/scenario/writer.js';
import { parseDuration, formatDuration } from '../../src/sim/scenario/duration.js';
import type { Problem } from '../../src/validate/problem.js';

const SCENARIOS = join(ROOT, 'test', 'scenarios');
const scenarioFiles = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** Acceptance rows a scenario expresses (the others are golden or CLI tests, or cannot be expressed). */
const ROWS = [
  'c1',
  'c2',
  'c3',
  'c4',
  'c5',
  'c6',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h8',
  'h9',
  'h10',
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'e1',
  'e2',
  'e3',
  'e4',
  'e5',
  'e7',
];

test('every scenario in test/scenarios parses, and covers its acceptance row', async () => {
  for (const row of ROWS)
    assert.ok(
      scenarioFiles.some((f) => f.startsWith(`${row}-`)),
      `a scenario for ${row.toUpperCase()}`,
    );
  for (const f of scenarioFiles) {
    const r = await parseScenarioFile(join(SCENARIOS, f), { cwd: ROOT });
    assert.deepEqual(r.problems, [], f);
    assert.ok(r.scenario && r.scenario.steps.length > 0 && r.scenario.objects.some((o) => o['kind'] === 'Cluster'), f);
  }
});

test('the scenario timing is applied to every Cluster; steps keep their place', async () => {
  const r = await parseScenarioFile(join(SCENARIOS, 'm1-crash-while-mirroring.yaml'), { cwd: ROOT });
  const cluster = r.scenario!.objects.find((o) => o['kind'] === 'Cluster') as { spec: { timing: unknown } };
  assert.deepEqual(cluster.spec.timing, { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 });
  const crash = r.scenario!.steps.find((s) => s.type === 'fault' && s.fault.type === 'nodeCrash')!;
  assert.deepEqual(crash.place, { file: join(SCENARIOS, 'm1-crash-while-mirroring.yaml'), line: 15, column: 7 });
  assert.deepEqual(r.scenario!.invariants, ['singleActive', 'noUnsafePromotion', 'noLostWrites', 'converges']);
});

async function problemsOf(text: string): Promise<Problem[]> {
  const r = await parseScenarioText('bad.yaml', text, { baseDir: SCENARIOS, cwd: ROOT });
  assert.equal(r.scenario, undefined, 'a bad scenario yields no scenario');
  return r.problems;
}
const at = (p: Problem) => `${p.line}:${p.column} ${p.rule}`;
const HEAD = 'apiVersion: winha.io/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  manifests: [fixtures/web.yaml]\n';

test('bad steps: each problem at its line and column, with its rule id', async () => {
  const p = await problemsOf(`${HEAD}  steps:
    - waitFor: {group: web, ready: true, within: 30 s}
    - fault: {type: nodeCrash, nod: node1}
    - fault: {type: explode}
    - waitFr: {group: web}
    - {sleep: 3s, expect: {group: web, ready: true}}
    - expect: {group: web, activeNode: node9}
    - expect: {mirror: web-data, state: Mirorring}
    - switchover: {group: webb, to: node2}
    - write: {node: node2, volume: Q}
`);
  assert.deepEqual(p.map(at), [
    '7:50 scenario-duration',
    '8:7 scenario-fault',
    '8:37 scenario-fault',
    '9:21 scenario-fault',
    '10:7 scenario-step',
    '11:7 scenario-step',
    '12:40 scenario-reference',
    '13:41 scenario-schema',
    '14:27 scenario-reference',
    '15:36 scenario-reference',
  ]);
  assert.match(p[4]!.message, /unknown step action waitFr; did you mean "waitFor"\?/);
  assert.match(p[5]!.message, /one action per step; this one has sleep, expect/);
  assert.match(p[3]!.message, /unknown fault type "explode"; known: nodeCrash/);
  assert.match(p[7]!.message, /mirror state must be one of None, Mirroring/);
  for (const x of p) assert.ok(x.rule in SCENARIO_RULES, x.rule);
});

test('bad documents: kind, unknown fields, timing, missing manifests, invalid manifests', async () => {
  assert.deepEqual(
    (
      await problemsOf('apiVersion: winha.io/v1alpha1\nkind: Scenaro\nmetadata: {name: x}\nspec: {steps: [{sleep: 1s}], manifests: [a]}\n')
    ).map(at),
    ['2:7 scenario-kind'],
  );
  assert.deepEqual((await problemsOf(`${HEAD}  stpes: []\n  steps: [{sleep: 1s}]\n`)).map(at), ['6:3 scenario-schema']);
  assert.match((await problemsOf(`${HEAD}  stpes: []\n  steps: [{sleep: 1s}]\n`))[0]!.message, /did you mean "steps"/);
  assert.deepEqual(
    (await problemsOf(`${HEAD}  timing: {leaseDurationSeconds: 4, renewDeadlineSeconds: 5}\n  steps: [{sleep: 1s}]\n`)).map(at),
    ['6:3 scenario-timing-unsafe'],
  );
  const missing = await problemsOf(HEAD.replace('fixtures/web.yaml', 'nowhere.yaml') + '  steps: [{sleep: 1s}]\n');
  assert.deepEqual(missing.map(at), ['5:15 scenario-manifest-missing']);
  const inlineBad = await problemsOf(`apiVersion: winha.io/v1alpha1
kind: Scenario
metadata: {name: inline}
spec:
  objects:
    - apiVersion: winha.io/v1alpha1
      kind: FailoverGroup
      metadata: {name: web}
      spec: {nodes: [{name: node1, priority: 1000}]}
  steps: [{sleep: 1s}]
`);
  assert.ok(
    inlineBad.some((x) => at(x) === '9:46 priority-out-of-range'),
    JSON.stringify(inlineBad.map(at)),
  );
  assert.deepEqual((await problemsOf(`${HEAD}  objects: [{}]\n  steps: [{sleep: 1s}]\n`)).map(at), ['4:1 scenario-schema']);
  assert.deepEqual((await problemsOf('- just\n- a list\n')).map(at), ['1:1 scenario-kind']);
  assert.deepEqual((await problemsOf(`${HEAD}  steps: [{sleep: 1s}]\n---\n${HEAD}  steps: [{sleep: 1s}]\n`)).map(at), [
    '8:1 scenario-kind',
  ]);
  assert.deepEqual(
    (await problemsOf('a: [\n')).map((x) => x.rule),
    ['yaml-syntax'],
  );
  assert.deepEqual(
    (await problemsOf(`${HEAD}  steps: [{sleep: 1s}]\n  steps: [{sleep: 2s}]\n`)).map((x) => x.rule),
    ['duplicate-key'],
  );
});

test('hostile input never crashes: alias bombs, deep nesting, huge numbers', async () => {
  const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
  const t0 = performance.now();
  assert.deepEqual(
    (await problemsOf(bomb)).map((x) => x.rule),
    ['alias-limit'],
  );
  assert.ok(performance.now() - t0 < 1000);
  const p = await problemsOf(
    `${HEAD}  steps:\n    - sleep: 99999999999h\n    - fault: {type: write, node: node1, volume: E, count: 1e30}\n`,
  );
  assert.deepEqual(
    p.map((x) => x.rule),
    ['scenario-duration', 'scenario-fault'],
  );
});

test('durations: a number and a unit', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  for (const bad of ['30', '30 s', '-1s', '1.5ms', 's', '1d']) assert.equal(parseDuration(bad), undefined, bad);
  for (const ms of [500, 1500, 30_000, 120_000, 3_600_000, 0]) assert.equal(parseDuration(formatDuration(ms)), ms);
});

test('a written scenario parses back to the same steps (fuzz reproductions round-trip)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-scenario-'));
  try {
    for (const f of scenarioFiles) {
      const original = (await parseScenarioFile(join(SCENARIOS, f), { cwd: ROOT })).scenario!;
      const path = join(dir, 'sub', f);
      const text = scenarioYaml(original, path, `copy of ${f}`);
      const again = await parseScenarioText(path, text, { baseDir: join(dir, 'sub'), cwd: ROOT });
      assert.deepEqual(again.problems, [], f);
      const strip = (s: typeof original) => s.steps.map(({ place: _p, ...rest }) => rest);
      assert.deepEqual(strip(again.scenario!), strip(original), f);
      assert.deepEqual(again.scenario!.objects, original.objects, f);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('winha sim check / run: exit 2 and the place for a bad scenario; a good one runs on the agents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-scenario-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: winha.io/v1alpha1\nkind: Scenario\nmetadata: {name: b}\nspec:\n  manifests: [x.yaml]\n  steps: [{sleep: 1s}]\n',
    );
    for (const cmd of ['check', 'run']) {
      const r = spawnSync(process.execPath, [BIN, 'sim', cmd, bad], { encoding: 'utf8' });
      assert.equal(r.status, 2, cmd);
      assert.match(r.stderr, /bad\.yaml:5:15: error scenario-manifest-missing: x\.yaml/);
    }
    const good = join(SCENARIOS, 'c1-fresh-apply.yaml');
    const check = spawnSync(process.execPath, [BIN, 'sim', 'check', good], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const run = spawnSync(process.execPath, [BIN, 'sim', 'run', good], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASSED/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('new scenario fields: siteStuck, commandHeal, event since/min/max, lease, condition message; bad input at file:line:column', async () => {
  const head = 'apiVersion: winha.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  manifests: [fixtures/web.yaml]\n  steps:\n';
  const good = await parseScenarioText(
    't.yaml',
    head +
      [
        '    - name: stuck',
        '      fault: {type: siteStuck, node: node1, site: website1, checks: 12}',
        '    - fault: {type: commandHeal, node: node1, operation: startSite}',
        '    - expect: {event: {reason: Failover, since: stuck, min: 0, max: 1}}',
        "    - expect: {group: web, lease: {holder: node2, maxEpoch: 3}, condition: {type: Failed, code: 9556, messageContains: stop, messageMatches: '^Unable'}}",
        '',
      ].join('\n'),
    { baseDir: SCENARIOS, cwd: ROOT },
  );
  assert.deepEqual(good.problems, []);
  const s = good.scenario!.steps;
  assert.deepEqual(s[0], {
    name: 'stuck',
    place: s[0]!.place,
    type: 'fault',
    fault: { type: 'siteStuck', node: 'node1', site: 'website1', checks: 12 },
  });
  const third = s[2]!;
  assert.deepEqual(third.type === 'expect' ? third.condition : undefined, {
    kind: 'event',
    match: { reason: 'Failover' },
    absent: false,
    since: 'stuck',
    min: 0,
    max: 1,
  });

  const bad = await parseScenarioText(
    't.yaml',
    head +
      [
        '    - fault: {type: siteStuck, node: node1, site: website1, checks: 0}',
        '    - name: later',
        '      expect: {event: {reason: Failover, since: nosuch}}',
        '    - expect: {noEvent: {reason: Failover, max: 1}}',
        '    - expect: {event: {reason: Failover, min: 3, max: 1}}',
        "    - expect: {group: web, lease: {holder: node9}, condition: {type: Failed, messageMatches: '('}}",
        '    - expect: {event: {reason: Failover, since: later2}}',
        '',
      ].join('\n'),
    { baseDir: SCENARIOS, cwd: ROOT },
  );
  const at = (p: Problem) => `${p.line}:${p.column} ${p.message}`;
  const msgs = bad.problems.map(at);
  const has = (re: RegExp) =>
    assert.ok(
      msgs.some((m) => re.test(m)),
      `${re} in\n${msgs.join('\n')}`,
    );
  has(/^7:\d+ checks must be an integer from 1/);
  has(/^9:\d+ since names no earlier step: nosuch/);
  has(/^10:\d+ max does not apply to noEvent/);
  has(/^11:\d+ min 3 is more than max 1/);
  has(/^12:\d+ node node9 is not a node of group web/);
  has(/^12:\d+ not a regular expression/);
  has(/^13:\d+ since names no earlier step: later2; did you mean "later"\?/);
});
