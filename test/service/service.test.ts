/** `winha service ...`: the plan (paths, steps), refusal off Windows, and the run order with a stand-in host (issue 16). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { planService, runServiceAction, type RunResult, type ServiceHost } from '../../src/service/service.js';
import { configureAgent } from '../../src/service/agent-config.js';
import { winswXml } from '../../src/service/winsw-config.js';

function fakeHost(platform: NodeJS.Platform, results: RunResult[] = []): ServiceHost & { calls: string[]; written: Map<string, string> } {
  const calls: string[] = [];
  const written = new Map<string, string>();
  return {
    platform,
    env: { SystemRoot: 'C:\\Windows' },
    exists: (p) => p === 'C:\\Program Files\\WinHA\\winha-agent.exe',
    writeFile: (p, t) => void written.set(p, t),
    run: (exe, args) => {
      calls.push([exe, ...args].join(' '));
      return results.shift() ?? { status: 0, stdout: '', stderr: '' };
    },
    calls,
    written,
  };
}

test('install writes the XML next to the wrapper, runs it, then sets delayed start with sc.exe', () => {
  const host = fakeHost('win32');
  const r = runServiceAction('install', { dir: 'C:\\Program Files\\WinHA' }, host, 'C:\\');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(host.written.get('C:\\Program Files\\WinHA\\winha-agent.xml'), winswXml());
  assert.deepEqual(host.calls, [
    'C:\\Program Files\\WinHA\\winha-agent.exe install',
    'C:\\Windows\\System32\\sc.exe config winha-agent start= delayed-auto',
  ]);
});

test('--config reaches the XML; uninstall and status write nothing and run the wrapper only', () => {
  const plan = planService('install', { dir: 'C:\\Program Files\\WinHA', config: 'D:\\winha\\agent.yaml' }, { env: {} }, 'C:\\');
  assert.match(plan.xml, /--config D:\\winha\\agent\.yaml</);
  for (const action of ['uninstall', 'status'] as const) {
    const host = fakeHost('win32');
    assert.equal(runServiceAction(action, { dir: 'C:\\Program Files\\WinHA' }, host, 'C:\\').code, 0);
    assert.equal(host.written.size, 0);
    assert.deepEqual(host.calls, [`C:\\Program Files\\WinHA\\winha-agent.exe ${action}`]);
  }
});

test('a failing wrapper fails the command; a missing wrapper is refused before anything runs', () => {
  const failing = fakeHost('win32', [{ status: 1, stdout: '', stderr: 'Access is denied' }]);
  const r = runServiceAction('install', { dir: 'C:\\Program Files\\WinHA' }, failing, 'C:\\');
  assert.equal(r.code, 1);
  assert.equal(failing.calls.length, 1);
  assert.match(r.err.join('\n'), /Access is denied/);
  const missing = fakeHost('win32');
  assert.equal(runServiceAction('install', { dir: 'C:\\elsewhere' }, missing, 'C:\\').code, 1);
  assert.equal(missing.calls.length, 0);
});

test('off Windows the command refuses, runs nothing and says why', () => {
  const host = fakeHost('linux');
  const r = runServiceAction('install', {}, host, '/');
  assert.equal(r.code, 1);
  assert.deepEqual(host.calls, []);
  assert.match(r.err.join('\n'), /not a Windows host/);
});

test('winha service install|uninstall|status exit 1 off Windows; an unknown action is a usage error', () => {
  for (const action of ['install', 'uninstall', 'status']) {
    const r = runWinha(['service', action, '--dir', '/tmp']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /not a Windows host/);
  }
  assert.equal(runWinha(['service', 'restart']).code, 2);
});

test("configure writes a valid AgentConfig (never a copy of the example's values), sets NODE/STORE, keeps comments, ignores empty values", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-svc-'));
  try {
    const example = join(dir, 'agent.example.yaml');
    writeFileSync(
      example,
      'apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n  node: node1\n  store:\n    url: etcd://10.9.9.9:2379\n',
    );
    const config = join(dir, 'WinHA', 'agent.yaml');
    const first = configureAgent({ config, example, node: 'node7', store: '' });
    assert.deepEqual(first, { created: true, changed: ['node'], configured: false });
    assert.doesNotMatch(readFileSync(config, 'utf8'), /10\.9\.9\.9/, "the example's store is not copied");
    const second = configureAgent({ config, example, node: '', store: 'etcd://10.0.0.10:2379' });
    assert.deepEqual(second, { created: false, changed: ['store'], configured: true });
    const text = readFileSync(config, 'utf8');
    assert.match(text, /^# WinHA agent configuration, written by the installer/m);
    assert.match(text, /^ {2}node: node7$/m);
    assert.match(text, /^ {4}url: etcd:\/\/10\.0\.0\.10:2379$/m);
    // What the service will read: the agent's own schema accepts it.
    const v = runWinha(['validate', config]);
    assert.equal(v.code, 0, v.out + v.err);
    // An upgrade runs configure again without properties: nothing changes.
    assert.deepEqual(configureAgent({ config, example }), { created: false, changed: [], configured: true });
    assert.equal(readFileSync(config, 'utf8'), text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
