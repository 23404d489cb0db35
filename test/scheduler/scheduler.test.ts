/**
 * Scheduler regression tests (Pacemaker's cts-scheduler, docs/spec/anchors-ha.md §6): each
 * test/scheduler/<case>/input.json holds one node's view of one group; the
 * decision, with the conditions in their default state and an empty event
 * list left out (golden.ts), must equal expected.json exactly, every condition
 * type must be in the full decision, and summary.txt must equal its rendering
 * (summary.ts). Regenerate on purpose with UPDATE_GOLDEN=1 and review the diff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide } from '../../src/controller/decide.js';
import { conditionTypeProblems, stripDefaults } from './golden.js';
import { renderSummary, type CaseFile } from './summary.js';

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
    for (const c of cases)
      for (const r of (JSON.parse(fs.readFileSync(path.join(root, c, 'input.json'), 'utf8')) as { rows: string[] }).rows) rows.add(r);
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
      const file = JSON.parse(fs.readFileSync(path.join(root, name, 'input.json'), 'utf8')) as CaseFile;
      const actual = decide(file.input);
      // Leaving defaults out of expected.json must not hide a condition decide() stopped writing.
      assert.deepEqual(conditionTypeProblems(file.input, actual), [], `${name}: every condition type exactly once`);
      const golden: [string, string][] = [
        ['expected.json', JSON.stringify(stripDefaults(actual), null, 2) + '\n'],
        ['summary.txt', renderSummary(name, file, actual)],
      ];
      for (const [fileName, text] of golden) {
        const goldenPath = path.join(root, name, fileName);
        if (update) {
          fs.writeFileSync(goldenPath, text);
          continue;
        }
        if (!fs.existsSync(goldenPath)) assert.fail(`${name}: no ${fileName} (run with UPDATE_GOLDEN=1 and review it)`);
        const want = fs.readFileSync(goldenPath, 'utf8');
        if (fileName.endsWith('.json')) assert.deepEqual(JSON.parse(text), JSON.parse(want), `${name}/${fileName}`);
        else assert.equal(text, want, `${name}/${fileName}`);
      }
    });
  }
});
