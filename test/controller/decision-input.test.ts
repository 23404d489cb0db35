/**
 * Golden cases of the pure decision input (test/controller/decision-input/<case>/): what one node knows about one
 * group (cache snapshot, lease, liveness, host, remembered facts) → decide()'s input, compared exactly with
 * expected.json. Regenerate on purpose with UPDATE_GOLDEN=1 and review the diff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDecisionInput, type InputFacts } from '../../src/controller/decision-input.js';
import type { MirrorLocal } from '../../src/reconcilers/mirror.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../test/controller/decision-input');
const update = process.env['UPDATE_GOLDEN'] === '1';
const cases = fs
  .readdirSync(root)
  .filter((d) => fs.existsSync(path.join(root, d, 'facts.json')))
  .sort();

/** facts.json keeps the host's mirrors as an object (JSON has no Map). */
function load(name: string): InputFacts {
  const raw = JSON.parse(fs.readFileSync(path.join(root, name, 'facts.json'), 'utf8')) as {
    facts: InputFacts & { host: { mirrors: Record<string, MirrorLocal> } };
  };
  const f = raw.facts;
  return { ...f, host: { ...f.host, mirrors: new Map(Object.entries(f.host.mirrors)) } };
}

describe('decision input golden cases', () => {
  it('has the cases', () => assert.ok(cases.length >= 6, `only ${cases.length} cases`));
  for (const name of cases) {
    it(name, () => {
      const actual = buildDecisionInput(load(name));
      const expectedPath = path.join(root, name, 'expected.json');
      if (update) {
        fs.writeFileSync(expectedPath, JSON.stringify(actual, null, 2) + '\n');
        return;
      }
      assert.ok(fs.existsSync(expectedPath), `${name}: no expected.json (run with UPDATE_GOLDEN=1 and review it)`);
      assert.deepEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(fs.readFileSync(expectedPath, 'utf8')));
    });
  }
});
