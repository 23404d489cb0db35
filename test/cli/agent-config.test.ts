/**
 * The agent's configuration file (issue 16): one schema for `winha validate` and `winha agent --config`; unknown
 * keys, wrong types and inline secrets refused at file:line:column with a stable id; `winha apply` refuses it;
 * flags override it, it overrides the environment, relative paths are read from its directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { agentConfigIssues } from '../../src/validate/agent-config.js';
import { validateInputs } from '../../src/validate/validate.js';
import { applyAgentConfig } from '../../src/cli/agent-config/load.js';
import { UsageError, type CliIO } from '../../src/cli/io.js';

const EXAMPLE = join(ROOT, 'deploy', 'windows', 'agent.yaml');
const head = 'apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n';

function withDir<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'winha-agentcfg-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const io = (cwd: string, env: NodeJS.ProcessEnv = {}): CliIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env,
  cwd,
});

test('the deployed example is a valid AgentConfig, for winha validate too', () => {
  const r = runWinha(['validate', EXAMPLE]);
  assert.equal(r.code, 0, r.out + r.err);
});

test('inline secrets are refused with the *File variant named; a PEM block too; unknown keys and wrong types are schema problems', () => {
  const issues = agentConfigIssues({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'AgentConfig',
    spec: {
      store: { etcd: { username: 'u', password: 'hunter2', keyFile: '-----BEGIN PRIVATE KEY-----\nabc' } },
      workers: '8',
      lsten: '9100',
    },
  });
  const by = (p: string) => issues.filter((i) => i.path.join('.') === p);
  assert.equal(by('spec.store.etcd.password').length, 1, JSON.stringify(issues));
  assert.equal(by('spec.store.etcd.password')[0]!.rule, 'inline-secret');
  assert.match(by('spec.store.etcd.password')[0]!.message, /spec\.store\.etcd\.passwordFile/);
  assert.equal(by('spec.store.etcd.keyFile')[0]!.rule, 'inline-secret');
  assert.match(by('spec.workers')[0]!.message, /must be an integer/);
  assert.match(by('spec.lsten')[0]!.message, /unknown field "spec.lsten"; did you mean "listen"\?/);
  // An empty secret key says nothing secret: only the unknown field.
  const empty = agentConfigIssues({ apiVersion: 'winha.io/v1alpha1', kind: 'AgentConfig', spec: { store: { etcd: { password: '' } } } });
  assert.deepEqual(
    empty.map((i) => i.rule),
    ['schema'],
  );
});

test('winha validate places AgentConfig problems at file:line:column with their ids (exit 1)', () => {
  const text = `${head}  node: node1\n  store:\n    etcd:\n      password: hunter2\n  workers: many\n`;
  const report = validateInputs([{ name: 'agent.yaml', content: text }]);
  const got = report.problems.map((p) => `${p.line}:${p.column} ${p.rule}`);
  assert.deepEqual(got, ['7:17 inline-secret', '8:12 schema']);
  withDir((dir) => {
    writeFileSync(join(dir, 'agent.yaml'), text);
    const r = runWinha(['validate', 'agent.yaml'], { cwd: dir });
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /7:17 +error .*inline-secret/);
  });
});

test('winha apply refuses an AgentConfig (not-applyable) and writes nothing', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'agent.yaml'), `${head}  node: node1\n`);
    const r = runWinha(['apply', '-f', 'agent.yaml'], { cwd: dir, store: `file://${join(dir, 'store')}` });
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /2:7 +error .*not-applyable/);
    assert.match(r.err, /nothing was written/);
  });
});

test('winha agent --config with a bad file exits 2 before starting, each problem at file:line:column with its id', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'agent.yaml'), `${head}  node: node1\n  listen: "99999"\n  store:\n    etcd: {token: abc}\n`);
    const r = runWinha(['agent', '--config', 'agent.yaml'], { cwd: dir, timeout: 60_000 });
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /agent\.yaml:7:19: .*\[inline-secret\]/);
    writeFileSync(join(dir, 'agent.yaml'), `${head}  node: node1\n  listen: "99999"\n`);
    const r2 = runWinha(['agent', '--config', 'agent.yaml'], { cwd: dir, timeout: 60_000 });
    assert.equal(r2.code, 2, r2.out + r2.err);
    assert.match(r2.err, /agent\.yaml:5:11: spec\.listen "99999": the port must be .*\[agent-listen-invalid\]$/m);
    const r3 = runWinha(['agent', '--config', 'missing.yaml'], { cwd: dir, timeout: 60_000 });
    assert.equal(r3.code, 2);
    assert.match(r3.err, /\[agent-config-read\]/);
  });
});

test('precedence: flag > config > environment; relative paths are read from the config file directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-agentcfg-'));
  try {
    writeFileSync(
      join(dir, 'agent.yaml'),
      `${head}  node: node1\n  workers: 4\n  secretsDir: secrets\n  store:\n    url: file://./store\n    etcd: {passwordFile: pw, username: cfg-user}\n  log: {level: warn, file: {directory: logs, maxFiles: 3}}\n`,
    );
    const run = await applyAgentConfig({ config: join(dir, 'agent.yaml'), workers: '2', etcdUser: 'flag-user' }, io('/'));
    assert.equal(run.flags.node, 'node1');
    assert.equal(run.flags.workers, '2', 'a flag wins over the file');
    assert.equal(run.flags.etcdUser, 'flag-user');
    assert.equal(run.flags.etcdPasswordFile, join(dir, 'pw'));
    assert.equal(run.flags.secretsDir, join(dir, 'secrets'));
    assert.equal(run.flags.store, `file://${join(dir, 'store')}`);
    assert.deepEqual(run.log, { level: 'warn', eventLog: false, file: { directory: join(dir, 'logs'), maxSizeMB: 10, maxFiles: 3 } });
    assert.equal(run.stopTimeoutMs, 15_000);
    // Keys the file leaves out stay unset, so the environment (read when the store is opened) still fills them.
    writeFileSync(join(dir, 'agent.yaml'), `${head}  node: node1\n`);
    const bare = await applyAgentConfig({ config: join(dir, 'agent.yaml') }, io('/'));
    assert.equal('store' in bare.flags, false);
    assert.equal('etcdPasswordFile' in bare.flags, false);
    assert.equal(bare.log.file, undefined, 'no log.file: standard output');
    // log.file without a directory: %ProgramData%\WinHA\logs on Windows, an error elsewhere.
    writeFileSync(join(dir, 'agent.yaml'), `${head}  node: node1\n  log:\n    file: {}\n`);
    const win = await applyAgentConfig({ config: join(dir, 'agent.yaml') }, io('/', { ProgramData: 'D:\\PD' }), 'win32');
    assert.equal(win.log.file?.directory, 'D:\\PD\\WinHA\\logs');
    await assert.rejects(
      applyAgentConfig({ config: join(dir, 'agent.yaml') }, io('/'), 'linux'),
      (e: unknown) => e instanceof UsageError && /agent\.yaml:6:5: .*\[agent-config-log-directory\]/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
