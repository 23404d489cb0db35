import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCRIPTS, type ScriptName } from '../../../src/drivers/windows/powershell-scripts.js';
import { powershellArgs } from '../../../src/drivers/windows/powershell.js';
import { powershellSyntaxProblems } from './powershell-grammar.js';

test('the grammar check catches a broken script (control: an unterminated string and a missing brace)', async () => {
  assert.ok((await powershellSyntaxProblems("Get-Service -Name 'W3SVC")).length > 0);
  assert.ok((await powershellSyntaxProblems('if ($true) { Get-Service')).length > 0);
});

for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
  test(`script ${name} parses with tree-sitter-powershell: no ERROR or MISSING node`, async () => {
    const problems = await powershellSyntaxProblems(SCRIPTS[name]);
    assert.deepEqual(problems, [], problems.map((p) => `${p.kind} at ${p.line}:${p.column}: ${p.text}`).join('\n'));
  });
}

test('every script reads parameters only from stdin and fits a Windows command line when encoded', () => {
  for (const [name, text] of Object.entries(SCRIPTS)) {
    assert.match(text, /\$p = \[Console\]::In\.ReadToEnd\(\) \| ConvertFrom-Json/, name);
    assert.doesNotMatch(text, /Invoke-Expression|\biex\b|ExpandString|\[scriptblock\]::Create/i, `${name} must not evaluate data as code`);
    const cmdline = ['powershell.exe', ...powershellArgs(name as ScriptName)].join(' ');
    assert.ok(cmdline.length < 32_000, `${name}: ${cmdline.length} characters is too long for CreateProcess`);
  }
});
