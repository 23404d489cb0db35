/** ps/lib/doctor.ps1: parses with tree-sitter-powershell, registers its op, never evaluates data as code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/paths.js';
import { powershellSyntaxProblems } from './powershell-grammar.js';

const script = readFileSync(join(ROOT, 'ps', 'lib', 'doctor.ps1'), 'utf8');

test('ps/lib/doctor.ps1 parses with tree-sitter-powershell: no ERROR or MISSING node', async () => {
  const problems = await powershellSyntaxProblems(script);
  assert.deepEqual(problems, [], problems.map((p) => `${p.kind} at ${p.line}:${p.column}: ${p.text}`).join('\n'));
});

test('ps/lib/doctor.ps1 registers doctor.facts and never evaluates data as code', () => {
  assert.match(script, /^\$WinhaOps\['doctor\.facts'\] = \{\n {2}param\(\$p\)/m);
  assert.doesNotMatch(script, /Invoke-Expression|\biex\b|ExpandString|\[scriptblock\]::Create/i);
});
