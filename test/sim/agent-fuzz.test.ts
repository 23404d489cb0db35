/**
 * Random fault schedules over the examples on the real agents (issue 6:
 * at least 200 in make test; make bench runs 1,000).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES_DIR } from '../support/paths.js';
import { fuzz, type FuzzManifestSet } from '../../src/sim/scenario/fuzz.js';
import { validateInputs } from '../../src/validate/validate.js';
import { agentTargetFactory } from '../../src/sim/harness/agent-target.js';
import { realAgents } from '../../src/cli/agent-factory.js';

function set(file: string): FuzzManifestSet {
  const path = join(EXAMPLES_DIR, file);
  const objects = validateInputs([{ name: path, content: readFileSync(path) }]).objects.map((o) => o.obj);
  return { name: file.replace('.yaml', ''), objects, files: [path] };
}

test('200 random fault schedules over the examples on the real agents: no invariant violation, no failed step', async () => {
  const sets = [set('two-node-web.yaml'), set('active-active.yaml'), set('three-node-cascade.yaml')];
  const r = await fuzz({ runs: 200, seed: 1, sets, target: agentTargetFactory({ agentFactory: realAgents }) });
  assert.equal(r.runs, 200);
  assert.deepEqual(
    r.failures.map(
      (f) =>
        `seed ${f.seed} (${f.set}): ${f.report.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ') || f.report.steps.find((s) => s.status === 'failed')?.message}`,
    ),
    [],
  );
});
