/**
 * Bad input (acceptance row V6, issue 2 item 5): whatever a repository holds,
 * `winha validate` answers with one clear problem at the exact place, never a
 * crash or a hang. The property tests throw random and mutated manifests at
 * the validator and check the promise every problem makes: a file, a 1-based
 * line and column, a rule id from the catalogue, a severity.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fc } from '../support/property.js';
import jsyaml from 'js-yaml';
import { toYaml as yamlStringify } from '../../src/lib/yaml.js';
import { validateInputs, type InputFile, type ValidationReport } from '../../src/validate/validate.js';
import { RULE_BY_ID, type Problem } from '../../src/validate/problem.js';
import { BIN, EXAMPLES_DIR, ROOT } from '../support/paths.js';

const V = 'apiVersion: winha.io/v1alpha1\n';

/** A 9×9 "billion laughs": 9^8 strings if expanded. */
const ALIAS_BOMB = [
  V + 'kind: Cluster',
  'metadata:',
  '  name: bomb',
  '  annotations:',
  '    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  '    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  '    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  '    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  '    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  '    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  '    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  '    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  '',
].join('\n');

const TAB_INDENTED = V + 'kind: Cluster\nmetadata:\n\tname: prod\n';
const DUPLICATE_KEY = V + 'kind: Cluster\nmetadata:\n  name: prod\n  name: staging\n';
/** "  name: café" (12 characters, 13 bytes) then a lone 0xff byte: line 4, column 13 (columns count characters, not bytes). */
const INVALID_UTF8 = Buffer.concat([Buffer.from(V + 'kind: Cluster\nmetadata:\n  name: café'), Buffer.from([0xff]), Buffer.from('\n')]);

function only(r: ValidationReport): Problem {
  assert.equal(
    r.problems.length,
    1,
    `expected exactly one problem, got:\n${r.problems.map((p) => `${p.line}:${p.column} ${p.rule} ${p.message}`).join('\n')}`,
  );
  return r.problems[0]!;
}

function place(p: Problem): string {
  return `${p.file}:${p.line}:${p.column} ${p.rule}`;
}

function check(name: string, content: string | Uint8Array, opts = {}): Problem {
  const r = validateInputs([{ name, content }], opts);
  const p = only(r);
  assert.equal(r.valid, false, 'a refused document makes the run invalid');
  assert.equal(p.severity, 'error');
  assert.ok(p.message.length > 10, `message too terse: "${p.message}"`);
  return p;
}

describe('bad input: one clear problem each, at its place', () => {
  test('an alias bomb is refused (alias-limit), not expanded', () => {
    const p = check('bomb.yaml', ALIAS_BOMB);
    assert.equal(place(p), 'bomb.yaml:1:1 alias-limit');
    assert.match(p.message, /alias/);
  });

  test('a few honest aliases are still read (the limit is not "no aliases")', () => {
    const text =
      V +
      'kind: FailoverGroup\nmetadata:\n  name: web\n  labels: &l {tier: web}\n  annotations: *l\nspec:\n  nodes:\n    - {name: n1, priority: 1}\n    - {name: n2, priority: 2}\n';
    const r = validateInputs([{ name: 'aliases.yaml', content: text }]);
    assert.ok(!r.problems.some((p) => ['alias-limit', 'yaml-syntax'].includes(p.rule)), JSON.stringify(r.problems));
    assert.deepEqual((r.objects[0]!.obj['metadata'] as Record<string, unknown>)['annotations'], { tier: 'web' });
  });

  test('a tab-indented file: yaml-syntax at the tab', () => {
    const p = check('tabs.yaml', TAB_INDENTED);
    assert.equal(place(p), 'tabs.yaml:4:1 yaml-syntax');
    assert.match(p.message, /tab/);
  });

  test('a tab-indented file with Windows line endings: same place', () => {
    const p = check('tabs-crlf.yaml', TAB_INDENTED.replace(/\n/g, '\r\n'));
    assert.equal(place(p), 'tabs-crlf.yaml:4:1 yaml-syntax');
  });

  test('a duplicate key: duplicate-key at the second key', () => {
    const p = check('dup.yaml', DUPLICATE_KEY);
    assert.equal(place(p), 'dup.yaml:5:3 duplicate-key');
  });

  test('a duplicate key in JSON: duplicate-key at the second key', () => {
    const json = '{"apiVersion": "winha.io/v1alpha1",\n "kind": "Cluster",\n "kind": "Cluster"}';
    const p = check('dup.json', json);
    assert.equal(place(p), 'dup.json:3:2 duplicate-key');
  });

  test('invalid UTF-8: invalid-utf8 at the bad byte', () => {
    const p = check('latin1.yaml', INVALID_UTF8);
    assert.equal(place(p), 'latin1.yaml:4:13 invalid-utf8');
    assert.match(p.message, /0xff/);
  });

  test('a document over the size limit: document-too-large at the document', () => {
    const small =
      V + 'kind: FailoverGroup\nmetadata:\n  name: g\nspec:\n  nodes:\n    - {name: n1, priority: 1}\n    - {name: n2, priority: 2}\n';
    const large = V + 'kind: Cluster\nmetadata:\n  name: big\n  annotations:\n    blob: ' + 'x'.repeat(600) + '\n';
    const limits = { maxDocumentBytes: 400, maxAliases: 100 };
    // Alone in its file...
    assert.equal(place(check('large.yaml', large, { limits })), 'large.yaml:1:1 document-too-large');
    // ...and as the second document of a file: the problem points at that document, the first is still read.
    const r = validateInputs([{ name: 'mixed.yaml', content: small + '---\n' + large }], { limits });
    const tooLarge = r.problems.filter((p) => p.rule === 'document-too-large');
    assert.equal(tooLarge.length, 1);
    assert.ok(tooLarge[0]!.line >= 9, `points at line ${tooLarge[0]!.line}, before the second document`);
    assert.equal(r.objects.length, 1);
    assert.equal(r.objects[0]!.obj['kind'], 'FailoverGroup');
  });

  test('the size limit counts bytes, as its name says (a document of multi-byte characters)', () => {
    const doc = V + 'kind: Cluster\nmetadata:\n  name: big\n  annotations:\n    blob: ' + 'é'.repeat(300) + '\n';
    // 377 characters, 677 bytes.
    const r = validateInputs([{ name: 'utf8-large.yaml', content: doc }], { limits: { maxDocumentBytes: 500, maxAliases: 100 } });
    assert.ok(r.problems.some((p) => p.rule === 'document-too-large'));
  });

  test('a document that is a list, a string or a number: not-an-object at that document', () => {
    assert.equal(place(check('list.yaml', '- a\n- b\n')), 'list.yaml:1:1 not-an-object');
    assert.equal(place(check('string.yaml', '# just text\nhello world\n')), 'string.yaml:2:1 not-an-object');
    assert.equal(place(check('number.yaml', '---\n42\n')), 'number.yaml:2:1 not-an-object');
  });

  test('apiVersion winha.io/v9: unknown-kind at the apiVersion value', () => {
    const p = check('v9.yaml', 'apiVersion: winha.io/v9\nkind: Cluster\nmetadata:\n  name: x\n');
    assert.equal(place(p), 'v9.yaml:1:13 unknown-kind');
    assert.match(p.message, /v9/);
  });

  test('kind: Bogus: unknown-kind at the kind value, listing the kinds there are', () => {
    const p = check('bogus.yaml', V + 'kind: Bogus\nmetadata:\n  name: x\n');
    assert.equal(place(p), 'bogus.yaml:2:7 unknown-kind');
    assert.match(p.message, /Bogus/);
    assert.match(p.message, /FailoverGroup/);
  });

  test('missing metadata.name: schema, at the metadata key (the mapping that lacks it)', () => {
    const text = V + 'kind: VirtualIP\nmetadata:\n  namespace: prod\nspec:\n  group: web\n  address: 10.0.0.50\n  prefixLength: 24\n';
    const p = check('noname.yaml', text);
    assert.equal(place(p), 'noname.yaml:3:1 schema');
    assert.match(p.message, /metadata\.name/);
  });

  test('a wrong type: schema, at the value', () => {
    const text = V + 'kind: VirtualIP\nmetadata:\n  name: v\nspec:\n  group: web\n  address: 10.0.0.50\n  prefixLength: twenty\n';
    const p = check('types.yaml', text);
    assert.equal(place(p), 'types.yaml:8:17 schema');
    assert.match(p.message, /prefixLength/);
    assert.match(p.message, /integer/);
  });

  test('a list where a mapping belongs: schema, at its key', () => {
    const text = V + 'kind: VirtualIP\nmetadata:\n  name: v\nspec:\n  - group: web\n';
    const p = check('spec-list.yaml', text);
    assert.equal(place(p), 'spec-list.yaml:5:1 schema');
    assert.match(p.message, /spec must be a mapping/);
  });

  test('a site with an unknown service: a schema problem at the value, and every other rule still runs', () => {
    const text = readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8')
      .replace('service: Web ', 'service: Gopher ')
      .replace('address: 10.0.0.51, port: 21', 'address: 10.0.0.99, port: 21');
    const r = validateInputs([{ name: 'gopher.yaml', content: text }]);
    assert.deepEqual(
      r.problems.filter((p) => p.file !== 'gopher.yaml'),
      [],
      'a problem outside the input (an internal rule error)',
    );
    assert.ok(r.problems.some((p) => p.rule === 'schema' && /service/.test(p.message)));
    // The FTP site's binding names no VIP of its group: still found although the web site is broken.
    assert.ok(
      r.problems.some((p) => p.rule === 'binding-address-not-virtual'),
      JSON.stringify(r.problems),
    );
  });

  test('the CLI exits 1 on the V6 files and reports one problem per file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'winha-v6-'));
    try {
      writeFileSync(join(dir, 'bomb.yaml'), ALIAS_BOMB);
      writeFileSync(join(dir, 'dup.yaml'), DUPLICATE_KEY);
      writeFileSync(join(dir, 'latin1.yaml'), INVALID_UTF8);
      writeFileSync(join(dir, 'tabs.yaml'), TAB_INDENTED);
      const run = spawnSync(process.execPath, [BIN, 'validate', '-o', 'json', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 1, run.stderr);
      const out = JSON.parse(run.stdout) as { valid: boolean; files: number; problems: Problem[] };
      assert.equal(out.valid, false);
      assert.equal(out.files, 4);
      assert.deepEqual(
        out.problems.map((p) => `${p.file.slice(p.file.lastIndexOf('/') + 1)}:${p.line}:${p.column} ${p.rule}`),
        ['bomb.yaml:1:1 alias-limit', 'dup.yaml:5:3 duplicate-key', 'latin1.yaml:4:13 invalid-utf8', 'tabs.yaml:4:1 yaml-syntax'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------
// Property tests: nothing throws, every problem has a place and an id.

function assertWellFormed(r: ValidationReport, inputs: readonly InputFile[]): void {
  assert.equal(typeof r.valid, 'boolean');
  assert.equal(r.files, inputs.length);
  for (const n of [r.documents, r.skipped]) assert.ok(Number.isInteger(n) && n >= 0);
  assert.equal(r.valid, !r.problems.some((p) => p.severity === 'error'));
  for (const p of r.problems) {
    const where = JSON.stringify(p);
    assert.ok(typeof p.file === 'string' && p.file.length > 0, `no file: ${where}`);
    assert.ok(Number.isInteger(p.line) && p.line >= 1, `bad line: ${where}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `bad column: ${where}`);
    assert.ok(RULE_BY_ID.has(p.rule), `unknown rule: ${where}`);
    assert.ok(p.severity === 'error' || p.severity === 'warning', `bad severity: ${where}`);
    assert.ok(typeof p.message === 'string' && p.message.length > 0, `no message: ${where}`);
    assert.equal(typeof p.kind, 'string');
    assert.equal(typeof p.name, 'string');
  }
}

function validateSafely(inputs: InputFile[]): void {
  let r: ValidationReport;
  try {
    r = validateInputs(inputs);
  } catch (err) {
    assert.fail(`validateInputs threw: ${(err as Error).stack}`);
  }
  assertWellFormed(r, inputs);
}

const EXAMPLE_TEXTS = readdirSync(EXAMPLES_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => readFileSync(join(EXAMPLES_DIR, f), 'utf8'));
const EXAMPLE_DOCS = EXAMPLE_TEXTS.map((t) => jsyaml.loadAll(t).filter((d) => d !== null) as Record<string, unknown>[]);

const RUNS = 150;

/** Pieces YAML parsers trip over, strung together at random. */
const YAML_PIECES = [
  V,
  'kind: ',
  'Cluster',
  'FailoverGroup',
  'IISSite',
  'metadata:\n',
  '  name: x\n',
  'spec:\n',
  '  nodes:\n',
  '    - ',
  '{name: n1, priority: 1}',
  ': ',
  '- ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '---\n',
  '...\n',
  '&a ',
  '*a',
  '*b ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '#',
  '|',
  '>-',
  '!!str ',
  '!!binary ',
  '!custom ',
  '? ',
  '%YAML 1.2\n',
  '%TAG ! tag:x,2000:\n',
  '<<: ',
  '\\',
  '\u00e9',
  '\ufeff',
  '\u0000',
  '\u2028',
  'null',
  '~',
  '0x1F',
  '1e309',
  '-.inf',
  '2001-12-14',
  'yes',
  '10.0.0.50',
  'E:\\x',
  '*',
  '&',
  '@',
  '`',
];

const yamlish = fc.array(fc.oneof(fc.constantFrom(...YAML_PIECES), fc.string({ maxLength: 6 })), { maxLength: 60 }).map((a) => a.join(''));

/** A random edit of a parsed example object. */
type Edit = { op: 'delete' | 'replace' | 'insert'; at: number; value: unknown; key: string };
const editArb: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom('delete' as const, 'replace' as const, 'insert' as const),
  at: fc.nat(),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(-1, 0, 1000, 1.5, '', '*', 'node9', 'E:', 'C:', '10.0.0.50', true, null, [], {}),
  ),
  key: fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('name', 'spec', 'group', 'priority', 'address', 'nodes', 'bindings', '__proto__', 'constructor'),
  ),
});

/** Every (container, key) pair inside a value, in a stable order. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(x, out);
    }
  return out;
}

function applyEdit(doc: Record<string, unknown>, e: Edit): void {
  const all = slots(doc);
  if (all.length === 0) return;
  const [container, key] = all[e.at % all.length]!;
  if (e.op === 'delete') {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  } else if (e.op === 'replace') {
    (container as Record<string | number, unknown>)[key] = e.value;
  } else {
    const target = (container as Record<string | number, unknown>)[key];
    if (Array.isArray(target)) target.push(e.value);
    else if (target && typeof target === 'object')
      Object.defineProperty(target, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    else (container as Record<string | number, unknown>)[key] = { [e.key]: e.value };
  }
}

/** A random edit of text: truncate, insert junk, delete a slice, tab-indent a line. */
type TextEdit = { op: 'truncate' | 'insert' | 'delete' | 'tab'; at: number; len: number; junk: string };
const textEditArb: fc.Arbitrary<TextEdit> = fc.record({
  op: fc.constantFrom('truncate' as const, 'insert' as const, 'delete' as const, 'tab' as const),
  at: fc.nat(),
  len: fc.nat({ max: 40 }),
  junk: fc.oneof(fc.constantFrom(...YAML_PIECES), fc.string({ maxLength: 10 })),
});

function applyTextEdit(text: string, e: TextEdit): string {
  if (text.length === 0) return e.junk;
  const at = e.at % text.length;
  switch (e.op) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + e.junk + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + e.len);
    case 'tab': {
      const lineStart = text.lastIndexOf('\n', at) + 1;
      return text.slice(0, lineStart) + text.slice(lineStart).replace(/^ +/, '\t');
    }
  }
}

describe('property: the validator never throws and every problem has a place and an id', () => {
  test('random YAML-ish text', () => {
    fc.assert(
      fc.property(fc.array(yamlish, { minLength: 1, maxLength: 3 }), (texts) => {
        validateSafely(texts.map((content, i) => ({ name: `random-${i}.yaml`, content })));
      }),
      { numRuns: RUNS },
    );
  });

  test('random JSON values, as JSON and as YAML', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (values, asJson) => {
        const content = asJson ? values.map((v) => JSON.stringify(v)).join('\n---\n') : values.map((v) => yamlStringify(v)).join('---\n');
        validateSafely([{ name: asJson ? 'values.json' : 'values.yaml', content }]);
      }),
      { numRuns: RUNS },
    );
  });

  test('random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 3 }), (blobs) => {
        validateSafely(blobs.map((content, i) => ({ name: `bytes-${i}.yaml`, content })));
      }),
      { numRuns: RUNS },
    );
  });

  test('the examples with random edits to their objects (deleted keys, swapped types, inserted junk)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(editArb, { minLength: 1, maxLength: 5 }), fc.boolean(), (which, edits, asJson) => {
        const docs = structuredClone(EXAMPLE_DOCS[which % EXAMPLE_DOCS.length]!);
        for (const e of edits) applyEdit(docs[e.at % docs.length]!, e);
        const content = asJson ? docs.map((d) => JSON.stringify(d)).join('\n---\n') : docs.map((d) => yamlStringify(d)).join('---\n');
        validateSafely([{ name: asJson ? 'edited.json' : 'edited.yaml', content }]);
      }),
      { numRuns: RUNS },
    );
  });

  test('the examples with random edits to their text (truncated, junk inserted, slices cut, tabs)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(textEditArb, { minLength: 1, maxLength: 4 }), (which, edits) => {
        let text = EXAMPLE_TEXTS[which % EXAMPLE_TEXTS.length]!;
        for (const e of edits) text = applyTextEdit(text, e);
        // The whole example set, with one file damaged: cross-object rules run over broken neighbours too.
        const inputs = EXAMPLE_TEXTS.map((t, i) => ({ name: `example-${i}.yaml`, content: t }));
        inputs[which % inputs.length] = { name: `example-${which % inputs.length}.yaml`, content: text };
        validateSafely(inputs);
      }),
      { numRuns: RUNS },
    );
  });
});
