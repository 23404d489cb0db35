/** The WinSW XML both install paths ship (golden), its argument quoting, and the sc.exe settings (issue 16). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { FIXTURES_DIR } from '../support/paths.js';
import { agentArguments, quoteArg, scDelayedStartArgs, scFailureArgs, winswXml } from '../../src/service/winsw-config.js';

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
  assert.match(winswXml(), /<arguments>"%BASE%\\app\\bin\\winha\.js" agent --config "%ProgramData%\\WinHA\\agent\.yaml"<\/arguments>/);
  assert.equal(quoteArg('agent'), 'agent');
  assert.equal(quoteArg('C:\\Program Files\\x'), '"C:\\Program Files\\x"');
  assert.equal(quoteArg('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
  assert.equal(quoteArg('say "hi"'), '"say \\"hi\\""');
  assert.equal(quoteArg(''), '""');
  assert.deepEqual(agentArguments({ config: 'D:\\cfg\\a.yaml' }).slice(1), ['agent', '--config', 'D:\\cfg\\a.yaml']);
});

test('a custom config path is escaped into the XML', () => {
  assert.match(winswXml({ config: 'C:\\a&b\\agent.yaml' }), /--config C:\\a&amp;b\\agent\.yaml</);
});

test('sc.exe sets the same failure actions as the XML, and delayed start', () => {
  assert.deepEqual(scFailureArgs(), ['failure', 'winha-agent', 'reset=', '3600', 'actions=', 'restart/10000/restart/30000/restart/60000']);
  assert.deepEqual(scDelayedStartArgs(), ['config', 'winha-agent', 'start=', 'delayed-auto']);
});
