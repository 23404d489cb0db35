/**
 * The real cluster under test (src/sim/harness/agent-target.ts): every acceptance
 * scenario in test/scenarios passes on the real agents, and the same seed
 * gives a byte-identical report and trace.
 */
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from '../support/paths.js';
import { parseScenarioFile } from '../../src/sim/scenario/parser.js';
import { runScenario } from '../../src/sim/scenario/runner.js';
import { formatReportJson, formatReportText } from '../../src/sim/scenario/report.js';
import type { Scenario } from '../../src/sim/scenario/model.js';
import { AgentTarget } from '../../src/sim/harness/agent-target.js';
import { realAgents } from '../../src/cli/agent-factory.js';
import { CuttableStore } from '../../src/sim/harness/cuttable-store.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { isStoreError } from '../../src/store/errors.js';

const SCENARIOS = join(ROOT, 'test', 'scenarios');
const FILES = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

async function scenario(file: string): Promise<Scenario> {
  const r = await parseScenarioFile(join(SCENARIOS, file), { cwd: ROOT });
  assert.deepEqual(r.problems, []);
  return r.scenario!;
}

describe('acceptance scenarios on the real agents (virtual time)', () => {
  for (const file of FILES) {
    it(file, { timeout: 120_000 }, async () => {
      const s = await scenario(file);
      const target = new AgentTarget({ agentFactory: realAgents });
      const r = await runScenario(s, target, { seed: s.seed ?? 1 });
      assert.equal(r.passed, true, `${formatReportText(r, { traceLines: 60 })}\nagent log:\n${target.logs.slice(-40).join('\n')}`);
    });
  }
});

test('determinism with real agents: same seed, byte-identical report and trace; another seed differs', async () => {
  for (const file of ['m1-crash-while-mirroring.yaml', 'e1-store-partition-active.yaml', 'm4-split-brain.yaml']) {
    const s = await scenario(file);
    const a = formatReportJson([await runScenario(s, new AgentTarget({ agentFactory: realAgents }), { seed: 42 })]);
    const b = formatReportJson([await runScenario(s, new AgentTarget({ agentFactory: realAgents }), { seed: 42 })]);
    assert.equal(a, b, file);
    assert.ok(JSON.parse(a).scenarios[0].trace.length > 20, 'a real trace');
    if (file.startsWith('m1')) {
      // The seed reaches the world (random write blocks): another seed, another trace.
      const c = formatReportJson([await runScenario(s, new AgentTarget({ agentFactory: realAgents }), { seed: 43 })]);
      assert.notEqual(a, c);
    }
  }
});

test('winha sim run: every scenario file passes through the CLI; -o json says so', () => {
  // Every trace of every scenario: over spawnSync's 1 MiB default, which would kill the child (status null).
  const r = spawnSync(process.execPath, [BIN, 'sim', 'run', '-o', 'json', ...FILES.map((f) => join(SCENARIOS, f))], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr);
  const json = JSON.parse(r.stdout) as { passed: boolean; scenarios: { scenario: string; passed: boolean }[] };
  assert.equal(json.passed, true);
  assert.equal(json.scenarios.length, FILES.length);
});

test('a cut store connection fails every call with Unavailable and breaks open watches; heal restores it', async () => {
  const clock = new VirtualClock();
  const base = openMemoryStore('', { clock });
  const conn = new CuttableStore(base.connect({ clock }));
  await base.create({ apiVersion: 'winha.io/v1alpha1', kind: 'Event', metadata: { name: 'a', namespace: 'default' } });
  const w = conn.objects.watch('Event', {});
  const it = w[Symbol.asyncIterator]();
  const pending = it.next();
  conn.setCut(true);
  await assert.rejects(pending, (e) => isStoreError(e, 'Unavailable'));
  await assert.rejects(conn.objects.list('Event'), (e) => isStoreError(e, 'Unavailable'));
  await assert.rejects(conn.leases.get('x'), (e) => isStoreError(e, 'Unavailable'));
  assert.throws(
    () => conn.objects.watch('Event', {}),
    (e) => isStoreError(e, 'Unavailable'),
  );
  conn.setCut(false);
  assert.equal((await conn.objects.list('Event')).items.length, 1);
  w.close();
});
