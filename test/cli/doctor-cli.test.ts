/** `winha doctor` off Windows: honest failures for the Windows checks, the store checks still run, exit 1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWinha } from '../support/cli.js';

test('winha doctor on Linux: each Windows check fails with "not a Windows host", the store check passes, exit 1', () => {
  const r = runWinha(['doctor', '--node', 'lonely', '--store', 'memory://'], { timeout: 60_000 });
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(
    r.out,
    /^fail +Windows PowerShell 5\.1 +not a Windows host \(powershell\.exe not found at .*\\System32\\WindowsPowerShell\\v1\.0\\powershell\.exe\)$/m,
  );
  assert.match(r.out, /^fail +DataKeeper service ExtMirrSvc running +not a Windows host/m);
  assert.match(r.out, /^pass +state store reachable +memory:\/\/ answered$/m);
  assert.match(r.out, /^pass +clock offset against the store +not measurable with this store/m);
  assert.match(r.out, /^warn +node lonely in a Cluster +no Cluster in the store names node lonely/m);
});

test('winha doctor -o json prints one object with the results', () => {
  const r = runWinha(['doctor', '--node', 'lonely', '--store', 'memory://', '-o', 'json'], { timeout: 60_000 });
  assert.equal(r.code, 1, r.err);
  const doc = JSON.parse(r.out) as { node: string; results: { id: string; status: string }[] };
  assert.equal(doc.node, 'lonely');
  assert.equal(doc.results.find((x) => x.id === 'store')?.status, 'pass');
  assert.equal(doc.results.find((x) => x.id === 'powershell')?.status, 'fail');
});

test('winha doctor --agent-port must be a port', () => {
  const r = runWinha(['doctor', '--store', 'memory://', '--agent-port', 'http'], { timeout: 60_000 });
  assert.equal(r.code, 2);
  assert.match(r.err, /--agent-port http: give a TCP port from 1 to 65535/);
});
