/**
 * The build's precompiled validators (ajv standalone code) must answer
 * exactly as validators compiled at run time from the same schemas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import jsyaml from 'js-yaml';
import { compileValidators } from '../../src/validate/compile-schemas.js';
import { checkSchema, usingPrecompiledValidators } from '../../src/validate/schema-check.js';
import type { KindName } from '../../src/api/kinds.js';

const examplesDir = new URL('../../../manifests/examples/', import.meta.url);

function exampleObjects(): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const f of readdirSync(examplesDir)) {
    for (const v of jsyaml.loadAll(readFileSync(new URL(f, examplesDir), 'utf8'), undefined, { schema: jsyaml.CORE_SCHEMA }) as Record<
      string,
      any
    >[]) {
      // v1 Namespace documents ride along for kubectl; WinHA has no schema for them.
      if (v && v['apiVersion'] !== 'v1') out.push(v);
    }
  }
  return out;
}

test('make build installs precompiled validators and the validator uses them', () => {
  assert.equal(usingPrecompiledValidators(), true);
});

test('precompiled and run-time compiled validators agree on valid and broken objects', () => {
  const runtime = compileValidators();
  const objs = exampleObjects();
  const broken = objs.map((o) => {
    const b = structuredClone(o);
    b.spec = { ...b.spec, bogus: 1, nodes: 'x', group: 7, siteName: 'a b' };
    return b;
  });
  for (const o of [...objs, ...broken]) {
    const fresh = runtime.get(o.kind)!;
    const expectedValid = fresh(o);
    const issues = checkSchema(o.kind as KindName, o);
    assert.equal(issues.length === 0, expectedValid, `${o.kind}/${o.metadata.name}`);
    if (!expectedValid) assert.ok(issues.length >= 1);
  }
});
