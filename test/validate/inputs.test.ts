/**
 * Issue 14 (items 13, 16, 17, 19): whatever the operator points `winha validate`
 * at — a device, a FIFO, symbolic links, 130,000 documents, absurd nesting —
 * it answers promptly with a clear message, an id and a place, never a crash.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { validateInputs } from '../../src/validate/validate.js';
import { RULE_BY_ID } from '../../src/validate/problem.js';

const V = 'apiVersion: winha.io/v1alpha1\n';
const CLUSTER = V + 'kind: Cluster\nmetadata:\n  name: prod\nspec:\n  nodes:\n    - name: node1\n      address: 10.0.0.1\n';
let dir: string;

const winha = (args: string[], timeout = 15_000) => runWinha(args, { cwd: dir, timeout });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-inputs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('130,000 tiny documents in one file are read, not a stack overflow (item 13)', () => {
  const text = 'a: 1\n---\n'.repeat(130_000);
  const r = validateInputs([{ name: 'many.yaml', content: text }]);
  assert.equal(r.documents, 130_000);
  assert.ok(r.problems.every((p) => p.rule === 'not-an-object' || p.rule === 'schema'));
});

test('validate /dev/zero is refused at once as not a regular file, exit 2 (item 16)', { skip: !existsSync('/dev/zero') }, () => {
  const r = winha(['validate', '/dev/zero'], 10_000);
  assert.equal(r.signal, null, 'it must not run until killed');
  assert.equal(r.code, 2);
  assert.match(r.err, /\/dev\/zero.*not a regular file/);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack');
});

test('a FIFO is refused at once, not waited on (item 16)', { skip: process.platform === 'win32' }, () => {
  const fifo = join(dir, 'pipe.yaml');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const r = winha(['validate', fifo], 10_000);
  assert.equal(r.signal, null, 'it must not block');
  assert.equal(r.code, 2);
  assert.match(r.err, /pipe\.yaml.*not a regular file/);
  // Inside a directory too: the FIFO is named, not opened.
  const d = join(dir, 'withfifo');
  mkdirSync(d);
  spawnSync('mkfifo', [join(d, 'p.yaml')]);
  const r2 = winha(['validate', d], 10_000);
  assert.equal(r2.signal, null);
  assert.equal(r2.code, 2);
  assert.match(r2.err, /p\.yaml.*not a regular file/);
});

test('symbolic links in a directory are followed, loops are cut, dangling ones reported (item 17)', () => {
  const real = join(dir, 'real');
  const d = join(dir, 'links');
  mkdirSync(real);
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(real, 'cluster.yaml'), CLUSTER);
  writeFileSync(join(real, 'bad.yaml'), V + 'kind: Cluster\nmetadata:\n  name: other\nspec:\n  nodez: []\n');
  symlinkSync(join(real, 'cluster.yaml'), join(d, 'cluster.yaml'));
  const one = winha(['validate', d, '-o', 'json']);
  assert.equal(one.code, 0, one.out + one.err);
  assert.equal(JSON.parse(one.out).files, 1, 'the linked manifest is read');
  // A linked directory is descended with -R; a link back up does not loop.
  symlinkSync(real, join(d, 'sub', 'linked-dir'));
  symlinkSync(d, join(d, 'sub', 'loop'));
  const rec = winha(['validate', '-R', d, '-o', 'json']);
  assert.equal(rec.signal, null);
  assert.equal(rec.code, 1, rec.out + rec.err);
  const report = JSON.parse(rec.out);
  assert.equal(report.files, 3);
  assert.ok(report.problems.some((p: { file: string }) => p.file.endsWith('bad.yaml')));
  // A link to nothing is an I/O error that names it.
  symlinkSync(join(dir, 'gone.yaml'), join(d, 'dangling.yaml'));
  const dang = winha(['validate', d]);
  assert.equal(dang.code, 2);
  assert.match(dang.err, /dangling\.yaml.*(missing|no such)/);
});

test('deep nesting is refused early with its own rule and place (item 19)', () => {
  const n = 20_000;
  const flow = V + 'kind: Cluster\nmetadata:\n  name: x\n  labels: ' + '['.repeat(n) + ']'.repeat(n) + '\n';
  const block =
    V +
    'kind: Cluster\nmetadata:\n  name: y\nspec:\n' +
    Array.from({ length: 300 }, (_, i) => ' '.repeat(i + 1) + 'a:').join('\n') +
    ' 1\n';
  for (const [name, text, line] of [
    ['flow.yaml', flow, 5],
    ['block.yaml', block, 105],
  ] as const) {
    const started = process.hrtime.bigint();
    const r = validateInputs([{ name, content: text }]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 1_500, `${name}: ${ms} ms`);
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    const p = r.problems[0]!;
    assert.equal(p.rule, 'nesting-too-deep');
    assert.ok(RULE_BY_ID.has(p.rule));
    assert.equal(p.file, name);
    assert.equal(p.line, line);
    assert.match(p.message, /nest/);
  }
  // Ordinary manifests with literal blocks and flow lists stay valid.
  const script =
    V +
    'kind: Cluster\nmetadata:\n  name: ok\n  annotations:\n    note: |\n' +
    Array.from({ length: 200 }, (_, i) => '      ' + ' '.repeat(i) + 'x').join('\n') +
    '\n';
  assert.ok(!validateInputs([{ name: 'ok.yaml', content: script }]).problems.some((p) => p.rule === 'nesting-too-deep'));
});
