/** kubectl's JSONPath as `winha get` reads it: paths, templates, and refusals that name the problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonPathError, evaluate, executeTemplate, parsePath, parseTemplate } from '../../src/cli/jsonpath.js';
import { naturalCompare, parseOutput, relaxedPath, sortObjects } from '../../src/cli/output-formats.js';
import { UsageError } from '../../src/cli/io.js';
import type { StoredObject } from '../../src/store/types.js';

const group = {
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
  status: {
    activeNode: 'node1',
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'Degraded', status: 'False', code: 9704 },
    ],
  },
};
const list = { kind: 'List', items: [group, { metadata: { name: 'ftp' }, status: { activeNode: 'node2' } }] };

test('paths: fields, escaped dots, quoted names, indexes, slices, wildcards, filters, recursive descent', () => {
  assert.deepEqual(evaluate(group, '.status.activeNode'), ['node1']);
  assert.deepEqual(evaluate(group, '.metadata.labels.app\\.kubernetes\\.io/name'), ['web']);
  assert.deepEqual(evaluate(group, ".metadata.labels['app.kubernetes.io/name']"), ['web']);
  assert.deepEqual(evaluate(group, '.status.conditions[-1].type'), ['Degraded']);
  assert.deepEqual(evaluate(group, '.status.conditions[0:1].type'), ['Ready']);
  assert.deepEqual(evaluate(group, '.status.conditions[*].type'), ['Ready', 'Degraded']);
  assert.deepEqual(evaluate(group, '.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(evaluate(group, '.status.conditions[?(@.type!="Ready")].type'), ['Degraded']);
  assert.deepEqual(evaluate(group, '.status.conditions[?(@.code==9704)].type'), ['Degraded']);
  assert.deepEqual(evaluate(group, '.status.conditions[?(@.code)].type'), ['Degraded']);
  assert.deepEqual(evaluate(list, '..activeNode'), ['node1', 'node2']);
  assert.deepEqual(evaluate(group, '$.metadata.name'), ['web']);
  assert.deepEqual(evaluate(group, '.status.nothing'), []);
});

test('unsupported or broken paths are refused with [jsonpath-invalid], never half-matched', () => {
  for (const bad of ['.a!', '.status.conditions[?(@.type=~"R")]', '.a[', '.a[x]', '.', "['unterminated", '.a[?(@.b==bare)]']) {
    assert.throws(
      () => parsePath(bad),
      (e: unknown) => e instanceof JsonPathError && /\[jsonpath-invalid\]$/.test(e.message),
      bad,
    );
  }
});

test('templates: paths joined by spaces, {range}{end}, quoted literals with escapes, text kept as it is', () => {
  const run = (t: string, doc: unknown = list) => executeTemplate(parseTemplate(t), doc);
  assert.equal(run('{.items[*].metadata.name}'), 'web ftp');
  assert.equal(run('{range .items[*]}{.metadata.name}{"\\t"}{.status.activeNode}{"\\n"}{end}'), 'web\tnode1\nftp\tnode2\n');
  assert.equal(run('{range .items}[{@.metadata.name}]{end}'), '[web][ftp]');
  assert.equal(run("names: {.items[0].metadata.name}{'\\n'}"), 'names: web\n');
  assert.equal(run('{.status.conditions[0]}', group), '{"type":"Ready","status":"True"}');
  assert.equal(run('{range .items[*]}{$.kind}/{.metadata.name} {end}'), 'List/web List/ftp ');
  assert.equal(run('{.status.missing}', group), '');
  for (const bad of ['{.items', '{end}', '{range .items[*]}{.x}', '{}', '{"\\q"}', '{"a" b}'])
    assert.throws(() => parseTemplate(bad), JsonPathError, bad);
});

test('-o parsing: the known forms, and usage errors with a code for the rest', () => {
  assert.deepEqual(parseOutput('name'), { form: 'name' });
  assert.equal(parseOutput('jsonpath={.metadata.name}').form, 'jsonpath');
  const cc = parseOutput('custom-columns=NAME:.metadata.name,ACTIVE:status.activeNode');
  assert.ok(cc.form === 'custom-columns' && cc.columns.map((c) => c.header).join() === 'NAME,ACTIVE');
  const usage = (flag: string, re: RegExp) =>
    assert.throws(
      () => parseOutput(flag),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      flag,
    );
  usage('xml', /unknown output format "xml".*\[output-invalid\]/);
  usage('jsonpath', /-o jsonpath needs a value.*\[output-invalid\]/);
  usage('jsonpath={.a', /unterminated "\{".*\[jsonpath-invalid\]/);
  usage('custom-columns=NAME', /"NAME" is not HEADER:JSONPATH.*\[output-invalid\]/);
  usage('custom-columns=NAME:.a!', /\[jsonpath-invalid\]/);
  usage('custom-columns-file=/nonexistent/cols', /cannot read the file.*\[output-invalid\]/);
  assert.deepEqual(relaxedPath('{.metadata.name}'), relaxedPath('metadata.name'));
});

test('--sort-by: numbers numerically, text naturally, objects without the field last in their order', () => {
  const o = (name: string, epoch?: unknown): StoredObject =>
    ({ metadata: { name }, ...(epoch !== undefined ? { status: { epoch } } : {}) }) as unknown as StoredObject;
  const names = (xs: StoredObject[]) => xs.map((x) => x.metadata.name);
  const items = [o('a', 10), o('b'), o('c', 9), o('d', 100), o('e')];
  assert.deepEqual(names(sortObjects(items, relaxedPath('.status.epoch'))), ['c', 'a', 'd', 'b', 'e']);
  assert.deepEqual(names(sortObjects([o('node10'), o('node2'), o('node1')], relaxedPath('.metadata.name'))), ['node1', 'node2', 'node10']);
  assert.ok(naturalCompare('web-10', 'web-9') > 0);
});
