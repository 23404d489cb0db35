/**
 * Issue 18 item 4: the examples carry the core v1 Namespace their objects live in, so `kubectl apply -f`
 * works; winha validate, apply and diff accept that document (skipped: WinHA stores need no namespace
 * object) and apply says so instead of failing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { runWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { validateInputs } from '../../src/validate/validate.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'winha-ns-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every example outside "default" carries a v1 Namespace for each namespace it uses', () => {
  for (const f of readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.yaml'))) {
    const docs = jsyaml.loadAll(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    }[];
    const used = new Set(docs.filter((d) => d.apiVersion !== 'v1').map((d) => d.metadata.namespace ?? 'default'));
    used.delete('default');
    const declared = docs.filter((d) => d.apiVersion === 'v1' && d.kind === 'Namespace').map((d) => d.metadata.name);
    assert.deepEqual(declared.sort(), [...used].sort(), f);
    const r = validateInputs([{ name: f, content: readFileSync(join(EXAMPLES_DIR, f)) }]);
    assert.deepEqual(r.namespaces, declared, `${f}: validate recognises the Namespace documents`);
  }
});

test('winha validate passes the examples with their Namespace documents', () => {
  const r = runWinha(['validate', '-R', EXAMPLES_DIR, '-o', 'json']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { valid: boolean; skipped: number };
  assert.equal(report.valid, true);
  assert.equal(report.skipped, 4, 'the four Namespace documents are skipped, not errors');
});

test('winha apply notes the skipped Namespace and writes the objects; diff then shows no change', () => {
  const store = `file://${join(dir, 'store')}`;
  const file = join(EXAMPLES_DIR, 'azure-ilb.yaml');
  const a = runWinha(['apply', '-f', file], { store, cwd: dir });
  assert.equal(a.code, 0, a.err);
  assert.match(a.err, /namespace\/azure skipped: not a WinHA object .*kubectl/);
  assert.match(a.out, /failovergroup\.winha\.io\/web \(namespace azure\) created/);
  assert.doesNotMatch(a.out, /namespace\/azure/, 'stdout lists only written objects');
  const d = runWinha(['diff', '-f', file], { store, cwd: dir });
  assert.equal(d.code, 0, d.out + d.err);
});
