/** The WinSW XML both install paths ship (golden), its argument quoting, and the sc.exe settings (issue 16). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { FIXTURES_DIR } from '../support/paths.js';
import {
  AGENT_NODE_OPTIONS,
  agentArguments,
  quoteArg,
  scDelayedStartArgs,
  scFailureArgs,
  winswXml,
} from '../../src/service/winsw-config.js';

test('the generated winha-agent.xml matches the golden file', () => {
  assert.equal(winswXml(), readFileSync(join(FIXTURES_DIR, 'service', 'winha-agent.xml'), 'utf8'));
});

test('the XML parses and holds only elements WinSW 1.17 reads', () => {
  const doc = new XMLParser({ ignoreAttributes: false }).parse(winswXml()) as { service: Record<string, unknown> };
  const known = ['id', 'name', 'description', 'executable', 'arguments', 'workingdirectory', 'startmode', 'onfailure', 'resetfailure'];
  for (const key of Object.keys(doc.service)) assert.ok([...known, 'stoptimeout', 'logpath', 'log'].includes(key), key);
  assert.equal(doc.service['id'], 'winha-agent');
  assert.equal(doc.service['startmode'], 'Automatic');
  assert.equal((doc.service['onfailure'] as unknown[]).length, 3);
});

test('arguments holding %VARS% or spaces are quoted, so C:\\Program Files\\WinHA stays one argument', () => {
  assert.match(
    winswXml(),
    /<arguments>--max-semi-space-size=4 --heap-growing-percent=50 "%BASE%\\app\\bin\\winha\.js" agent --config "%ProgramData%\\WinHA\\agent\.yaml"<\/arguments>/,
  );
  assert.equal(quoteArg('agent'), 'agent');
  assert.equal(quoteArg('C:\\Program Files\\x'), '"C:\\Program Files\\x"');
  assert.equal(quoteArg('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
  assert.equal(quoteArg('say "hi"'), '"say \\"hi\\""');
  assert.equal(quoteArg(''), '""');
  assert.deepEqual(agentArguments({ config: 'D:\\cfg\\a.yaml' }).slice(AGENT_NODE_OPTIONS.length + 1), [
    'agent',
    '--config',
    'D:\\cfg\\a.yaml',
  ]);
});

test('a custom config path is escaped into the XML', () => {
  assert.match(winswXml({ config: 'C:\\a&b\\agent.yaml' }), /--config C:\\a&amp;b\\agent\.yaml</);
});

test('sc.exe sets the same failure actions as the XML, and delayed start', () => {
  assert.deepEqual(scFailureArgs(), ['failure', 'winha-agent', 'reset=', '3600', 'actions=', 'restart/10000/restart/30000/restart/60000']);
  assert.deepEqual(scDelayedStartArgs(), ['config', 'winha-agent', 'start=', 'delayed-auto']);
});

// 200k objects live, then 4M made that live for 300k more each (so they are promoted): the young generation's and
// the old space's largest committed sizes, MiB.
const CHURN = `const v8 = require('node:v8');
const size = (name) => v8.getHeapSpaceStatistics().find((x) => x.space_name === name).space_size;
const live = []; for (let i = 0; i < 2e5; i++) live.push({ i, s: 'live' + i });
const ring = new Array(3e5); let young = 0, old = 0;
for (let i = 0; i < 4e6; i++) {
  ring[i % ring.length] = { i, s: 'x' + i };
  if (i % 1e4 === 0) { young = Math.max(young, size('new_space')); old = Math.max(old, size('old_space')); }
}
console.log(JSON.stringify({ young: young / 2 ** 20, old: old / 2 ** 20 }));`;
const heapMiB = (options: readonly string[]) =>
  JSON.parse(execFileSync(process.execPath, [...options, '-e', CHURN], { encoding: 'utf8' })) as { young: number; old: number };

test("the service's Node options are ones Node takes, and they keep garbage from swelling the agent's heap", () => {
  assert.deepEqual(agentArguments().slice(0, AGENT_NODE_OPTIONS.length), [...AGENT_NODE_OPTIONS]);
  const without = heapMiB([]);
  const withThem = heapMiB(AGENT_NODE_OPTIONS);
  // Without them V8 grows the young generation to 2 × 16 MiB and lets garbage fill the old space to about 3× what lives.
  assert.ok(without.young > 16 && without.old > 80, `without the options: ${JSON.stringify(without)} (else this test proves nothing)`);
  assert.ok(withThem.young <= 8, `young generation ${withThem.young} MiB, not within 2 × 4 MiB`);
  assert.ok(withThem.old < without.old / 1.5, `old space ${withThem.old} MiB against ${without.old} without`);
});
