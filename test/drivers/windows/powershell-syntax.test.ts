import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { powershellSyntaxProblems } from './powershell-grammar.js';

const PS_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'ps');
const FILES = ['winha-host.ps1', ...readdirSync(join(PS_DIR, 'lib')).map((f) => join('lib', f))].filter((f) => f.endsWith('.ps1'));

test('the grammar check catches a broken script (control: an unterminated string and a missing brace)', async () => {
  assert.ok((await powershellSyntaxProblems("Get-Service -Name 'W3SVC")).length > 0);
  assert.ok((await powershellSyntaxProblems('if ($true) { Get-Service')).length > 0);
});

test('the package ships the host and its operation files', () => {
  for (const f of ['winha-host.ps1', 'lib/common.ps1', 'lib/iis.ps1', 'lib/net.ps1', 'lib/probe.ps1', 'lib/service.ps1', 'lib/smtp.ps1'])
    assert.ok(FILES.includes(f.replace('/', join('a', 'b').slice(1, -1))), `ps/${f} is missing`);
});

for (const f of FILES) {
  test(`ps/${f} parses with tree-sitter-powershell: no ERROR or MISSING node`, async () => {
    const problems = await powershellSyntaxProblems(readFileSync(join(PS_DIR, f), 'utf8'));
    assert.deepEqual(problems, [], problems.map((p) => `${p.kind} at ${p.line}:${p.column}: ${p.text}`).join('\n'));
  });

  test(`ps/${f} never evaluates data as code`, () => {
    const text = readFileSync(join(PS_DIR, f), 'utf8');
    assert.doesNotMatch(text, /Invoke-Expression|\biex\b|ExpandString|\[scriptblock\]::Create|-EncodedCommand/i);
  });
}
