/**
 * Which .NET APIs ps/lib/probe.ps1 uses for the HTTPS deep check, and how (issue 15 item 6). Nothing here runs
 * PowerShell: these are static checks over the tree-sitter AST, the honest Linux test of "the script calls this API".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { PS_LIB, isScriptBlock, parseScript, type PsScript } from './powershell-ast.js';

const probe = await parseScript('probe.ps1');
const all = await Promise.all(
  readdirSync(PS_LIB)
    .filter((f) => f.endsWith('.ps1'))
    .map((f) => parseScript(f)),
);
const fileLevelAddType = (s: PsScript) => s.commands.filter((c) => /^Add-Type$/i.test(c.name) && c.op === undefined);

// ───────────── item 6: HTTPS deep checks ─────────────

const assigned = (s: PsScript, left: RegExp, op?: string) =>
  s.assignments.filter((a) => left.test(a.left) && (op === undefined || a.op === op));

test('probe.http bypasses any system proxy and does not keep connections alive', () => {
  assert.deepEqual(
    assigned(probe, /^\$req\.Proxy$/, 'probe.http').map((a) => a.right.text),
    ['$null'],
  );
  assert.deepEqual(
    assigned(probe, /^\$req\.KeepAlive$/, 'probe.http').map((a) => a.right.text),
    ['$false'],
  );
});

test('probe.http adds TLS 1.2 (and 1.3 when the enum has it) to what is enabled (-bor), never replacing it', () => {
  const sets = assigned(probe, /^\[(System\.)?Net\.ServicePointManager\]::SecurityProtocol$/i);
  assert.ok(sets.length > 0, 'SecurityProtocol is set');
  assert.ok(sets.some((a) => /-bor/.test(a.right.text) && /ServicePointManager\]::SecurityProtocol/i.test(a.right.text)));
  assert.match(probe.text, /SecurityProtocolType\]::Tls12/);
  assert.match(probe.text, /'Tls13'/);
});

test('no script assigns the process-wide ServicePointManager certificate callback; no scriptblock becomes a .NET callback', () => {
  for (const s of all) {
    assert.deepEqual(
      assigned(s, /ServicePointManager\]::ServerCertificateValidationCallback$/i).map((a) => a.left),
      [],
    );
    assert.deepEqual(
      s.assignments.filter((a) => /Callback$/i.test(a.left) && isScriptBlock(a.right)).map((a) => a.left),
      [],
    );
  }
});

test('probe.http accepts a self-signed certificate per request, through a C# callback compiled once', () => {
  const per = assigned(probe, /^\$req\.ServerCertificateValidationCallback$/, 'probe.http');
  assert.equal(per.length, 1);
  assert.ok(!isScriptBlock(per[0]!.right));
  assert.ok(fileLevelAddType(probe).length > 0, 'an Add-Type at file level');
  assert.match(probe.text, /RemoteCertificateValidationCallback/);
});

test('probe.http closes the response (the answer or the error page) in finally', () => {
  const finals = probe.nodes('finally_clause').filter((n) => n.op === 'probe.http');
  assert.ok(
    finals.some((f) => /\$resp\.Close\(\)/.test(f.node.text)),
    'finally closes $resp',
  );
});
