/**
 * Scheduler regression tests (Pacemaker's cts-scheduler, anchors-ha §6): each
 * test/scheduler/<case>/input.json holds one node's view of one group; the
 * decision must equal expected.json exactly. Regenerate on purpose with
 * UPDATE_GOLDEN=1 and review the diff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide } from '../../src/controller/decide.js';
import type { DecisionInput } from '../../src/controller/decision-types.js';

// Compiled to dist/test/scheduler; the cases live in the source tree.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../test/scheduler');
const update = process.env['UPDATE_GOLDEN'] === '1';

const cases = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'input.json')))
  .map((d) => d.name)
  .sort();

describe('scheduler golden cases', () => {
  it('has at least 60 cases covering C1–C8, H1–H10, M1–M7, E1–E7', () => {
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    const rows = new Set<string>();
    for (const c of cases) for (const r of (JSON.parse(fs.readFileSync(path.join(root, c, 'input.json'), 'utf8')) as { rows: string[] }).rows) rows.add(r);
    const wanted = [
      ...['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8'],
      ...['H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9', 'H10'],
      ...['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7'],
      ...['E1', 'E2', 'E3', 'E4', 'E5', 'E7'],
    ];
    const missing = wanted.filter((r) => !rows.has(r));
    assert.deepEqual(missing, [], 'rows without a golden case (E6 is an executor test)');
  });

  for (const name of cases) {
    it(name, () => {
      const file = JSON.parse(fs.readFileSync(path.join(root, name, 'input.json'), 'utf8')) as { input: DecisionInput };
      const actual = decide(file.input);
      const expectedPath = path.join(root, name, 'expected.json');
      const text = JSON.stringify(actual, null, 2) + '\n';
      if (update || !fs.existsSync(expectedPath)) {
        if (!update) assert.fail(`${name}: no expected.json (run with UPDATE_GOLDEN=1 and review it)`);
        fs.writeFileSync(expectedPath, text);
        return;
      }
      assert.deepEqual(actual, JSON.parse(fs.readFileSync(expectedPath, 'utf8')));
    });
  }
});
