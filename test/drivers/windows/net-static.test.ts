/**
 * Which cmdlets and .NET APIs ps/lib/net.ps1 uses, and with what (issue 15 items 2 and 10).
 * Nothing here runs PowerShell: these are static checks over the tree-sitter AST and the embedded C# text, the
 * honest Linux test of "the script calls this API"; the behaviour on a real node stays to be captured there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript, type PsScript } from './powershell-ast.js';

const net = await parseScript('net.ps1');

/** Parameters the NetTCPIP/NetAdapter cmdlets read as wildcard patterns. */
const WILDCARD_PARAMS = ['name', 'interfacealias', 'ipaddress'];
const literalOrEscaped = (arg: string) => /^'[^'*?[\]]*'$/.test(arg) || /^\(?\[WildcardPattern\]::Escape\(/i.test(arg);

const fileLevelAddType = (s: PsScript) => s.commands.filter((c) => /^Add-Type$/i.test(c.name) && c.op === undefined);

// ───────────── item 10: aliases and addresses are matched exactly ─────────────

test('net.ps1: no Net* cmdlet receives a value as a wildcard pattern (-Name, -InterfaceAlias, -IPAddress) unescaped', () => {
  const offenders = net.commands
    .filter((c) => /-Net/i.test(c.name))
    .flatMap((c) =>
      [...c.params]
        .filter(([k]) => WILDCARD_PARAMS.includes(k) && !(k === 'ipaddress' && /^New-NetIPAddress$/i.test(c.name)))
        .filter(([, v]) => !literalOrEscaped(v))
        .map(([k, v]) => `${c.op ?? '(file)'}: ${c.name} -${k} ${v}`),
    );
  assert.deepEqual(offenders, []);
});

test('net.add: New-NetIPAddress gets the adapter by -InterfaceIndex, never by alias', () => {
  const news = net.commands.filter((c) => /^New-NetIPAddress$/i.test(c.name));
  assert.ok(news.length > 0, 'net.add adds the address with New-NetIPAddress');
  for (const c of news) {
    assert.ok(c.params.has('interfaceindex'), c.text);
    assert.ok(!c.params.has('interfacealias'), c.text);
  }
});

test('net.ps1 compares addresses as parsed IPAddress values (IPv6 text differs), never as text', () => {
  const textual = net
    .nodes('comparison_expression')
    .filter(({ node }) => node.children.some((c) => c?.type === 'comparison_operator'))
    .map(({ node, op }) => ({ text: node.text, op }))
    .filter(({ text }) => /\$p\.address|\.IPAddress\b/i.test(text));
  assert.deepEqual(textual, []);
  assert.match(net.text, /\[System\.Net\.IPAddress\]::Parse\(/);
  assert.match(net.text, /\.Equals\(/);
});

// ───────────── item 2: the ARP/neighbour probe runs natively, once compiled ─────────────

test('net.claimed: SendARP through a C# type compiled once, when the file is dot-sourced (not per call)', () => {
  assert.ok(fileLevelAddType(net).length > 0, 'an Add-Type at file level');
  assert.deepEqual(
    net.commands.filter((c) => /^Add-Type$/i.test(c.name) && c.op !== undefined).map((c) => c.op),
    [],
    'no Add-Type inside an operation',
  );
  assert.match(
    net.text,
    /\[DllImport\("iphlpapi\.dll"[^\]]*\)\]\s*(public |private |internal )?static extern int SendARP\(uint destIp, uint srcIp, byte\[\] mac, ref uint macLen\)/,
  );
  assert.match(net.text, /static extern int ResolveIpNetEntry2\(/, 'IPv6 resolves natively too');
});

test('net.claimed: 67/31 mean nobody answered; every other SendARP code throws', () => {
  assert.match(net.text, /ERROR_BAD_NET_NAME\s*=\s*67\b/);
  assert.match(net.text, /ERROR_GEN_FAILURE\s*=\s*31\b/);
  assert.match(net.text, /rc\s*==\s*ERROR_BAD_NET_NAME\s*\|\|\s*rc\s*==\s*ERROR_GEN_FAILURE\)\s*return null;/);
  assert.match(net.text, /if \(rc != 0\) throw new Win32Exception\(rc/);
});

test('net.claimed: no ICMP, no neighbour-cache cmdlets, no catch that could turn an error into "silent"; our own MACs are excluded', () => {
  const body = net.ops.get('net.claimed');
  assert.ok(body, 'net.claimed exists');
  const used = net.commands.filter((c) => c.op === 'net.claimed').map((c) => c.name.toLowerCase());
  for (const slow of ['test-connection', 'get-netneighbor', 'remove-netneighbor']) assert.ok(!used.includes(slow), slow);
  assert.ok(!net.nodes('catch_clause').some((n) => n.op === 'net.claimed'), 'no catch in net.claimed');
  assert.match(net.text, /GetAllNetworkInterfaces\(\)/);
  assert.match(body, /byMac/);
});
