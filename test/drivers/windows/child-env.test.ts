/**
 * PowerShell and emcmd.exe get an allow-listed environment (issue 14 item 12): the agent's own secrets
 * (WINHA_ETCD_PASSWORD and anything else) never reach a child process, while what Windows programs need does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcessRunner } from '../../../src/drivers/windows/command-runner.js';

test('a child process sees no WINHA_ETCD_PASSWORD nor other variables outside the allow-list, and keeps PATH', async () => {
  process.env['WINHA_ETCD_PASSWORD'] = 'hunter2';
  process.env['SOME_TOKEN'] = 'abc';
  process.env['ExtMirrBase'] = 'C:\\Program Files (x86)\\SIOS\\DataKeeper';
  try {
    const r = await new ChildProcessRunner().run({
      file: process.execPath,
      args: ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
      stdin: '',
      signal: new AbortController().signal,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const env = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(env['WINHA_ETCD_PASSWORD'], undefined);
    assert.equal(env['SOME_TOKEN'], undefined);
    assert.doesNotMatch(r.stdout, /hunter2/);
    assert.equal(env['PATH'], process.env['PATH']);
    assert.equal(env['ExtMirrBase'], 'C:\\Program Files (x86)\\SIOS\\DataKeeper', "emcmd.exe finds DataKeeper's files by it");
  } finally {
    delete process.env['WINHA_ETCD_PASSWORD'];
    delete process.env['SOME_TOKEN'];
    delete process.env['ExtMirrBase'];
  }
});
