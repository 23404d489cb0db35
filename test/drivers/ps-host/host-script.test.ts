/**
 * What Linux can prove of ps/winha-host.ps1 and how it is started (issue 15 items 1, 7, 11): the command line has no
 * -EncodedCommand / -ExecutionPolicy Bypass and uses -OutputFormat Text and an absolute path; the script escapes
 * its output to ASCII, reports failures (start-up included) as JSON answers, and never evaluates data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDriverError } from '../../../src/drivers/types.js';
import { createDriver } from '../../../src/drivers/factory.js';
import { VirtualClock } from '../../../src/lib/clock.js';
import { HOST_FLAGS, hostCommand, shippedHostScript, windowsPowerShellPath } from '../../../src/drivers/windows/ps-host/spawn.js';

const HOST = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'ps', 'winha-host.ps1'), 'utf8');

test('the host is started by absolute path with -File and -OutputFormat Text, never -EncodedCommand or Bypass', () => {
  const cmd = hostCommand({ SystemRoot: 'C:\\Windows' });
  assert.equal(cmd.file, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  assert.deepEqual(cmd.args.slice(0, -1), ['-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-File']);
  assert.equal(cmd.args.at(-1), shippedHostScript());
  assert.ok(!HOST_FLAGS.some((f) => /EncodedCommand|ExecutionPolicy|Bypass/i.test(f)));
  assert.match(shippedHostScript(), /ps[\\/]winha-host\.ps1$/);
});

test('a 32-bit agent on 64-bit Windows starts the 64-bit PowerShell through Sysnative (no WOW64 redirection)', () => {
  const env = { SystemRoot: 'D:\\Win', PROCESSOR_ARCHITEW6432: 'AMD64' };
  assert.equal(windowsPowerShellPath(env, 'ia32'), 'D:\\Win\\Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe');
  assert.equal(windowsPowerShellPath(env, 'x64'), 'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
});

test('a relative PowerShell or emcmd path is refused (a bare name could run a planted program)', () => {
  assert.throws(
    () => hostCommand({}, 'powershell.exe'),
    (e) => isDriverError(e, 'InvalidArgument'),
  );
  assert.throws(
    () => createDriver('windows', { clock: new VirtualClock(), nodeName: 'node1', windows: { emcmdPath: 'emcmd.exe', env: {} } }),
    (e) => isDriverError(e, 'InvalidArgument'),
  );
});

test('the host escapes every non-ASCII character of its output, so the console code page cannot mangle it', () => {
  assert.match(HOST, /\[regex\]::Replace\(\$Json, '\[\^\\x00-\\x7e\]'/);
  assert.match(HOST, /function Write-WinhaLine/);
  assert.doesNotMatch(
    HOST.replace(/function Write-WinhaLine[\s\S]*?\n\}/, ''),
    /\[Console\]::Out\.Write/,
    'all output goes through Write-WinhaLine',
  );
});

test('start-up (modules, operation files) runs inside try and a failure is a JSON hello with ok=false; each request has its own try', () => {
  const prelude = HOST.slice(HOST.indexOf('$WinhaOps = @{}'), HOST.indexOf('while ($true)'));
  assert.match(prelude, /^try \{[\s\S]*Import-Module[\s\S]*\. \$path[\s\S]*\} catch \{\s*Write-WinhaLine \(@\{ id = 0; ok = \$false/m);
  const loop = HOST.slice(HOST.indexOf('while ($true)'));
  assert.match(loop, /try \{[\s\S]*& \$handler \$req\.params[\s\S]*\} catch \{[\s\S]*ok = \$false; error = \(ConvertTo-WinhaFailure \$_\)/);
  assert.match(HOST, /\$ErrorActionPreference = 'Stop'/);
  assert.match(HOST, /if \(\$null -eq \$line\) \{ break \}/, 'the host exits when the agent closes its stdin');
});
