/** `winha driver test --driver sim` as a user runs it: one line per call, exit codes 0 / 1 / 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWinha } from '../support/cli.js';

const callLines = (out: string) => out.split('\n').filter((l) => /^(ok|failed|skipped) +(preflight|test|cleanup) /.test(l));

test('winha driver test --driver sim: every call ok, one line each, exit 0', () => {
  const r = runWinha(['driver', 'test', '--driver', 'sim'], { timeout: 60_000 });
  assert.equal(r.code, 0, r.out + r.err);
  const lines = callLines(r.out);
  assert.equal(lines.length, 17, r.out);
  for (const call of [
    'queryService(W3SVC)',
    'listInterfaces()',
    'listAddresses()',
    'listSites()',
    'ensureSite(winha-driver-test)',
    'setServerAutoStart(winha-driver-test, false)',
    'addVirtualIp(10.99.0.200/24 on Ethernet)',
    'probeAddressClaimed(10.99.0.200)',
    'startSite(winha-driver-test)',
    // the simulated driver offers the optional reads the Windows driver has (one site; sites and addresses at once)
    'getSite(winha-driver-test)',
    'observeHost()',
    'probeHttp(http://10.99.0.200:80/)',
    'probeTcp(10.99.0.200:80)',
    'stopSite(winha-driver-test)',
    'removeVirtualIp(10.99.0.200)',
  ])
    assert.ok(
      lines.some((l) => l.startsWith('ok') && l.includes(call)),
      `${call} ok in:\n${r.out}`,
    );
  assert.match(r.out, /^PASS: 17 ok, 0 failed, 0 skipped$/m);
});

test('a faulted sim driver: the failed call shows its code, exit 1, and cleanup still ran', () => {
  const r = runWinha(['driver', 'test', '--driver', 'sim', '--sim-fail', 'startSite'], { timeout: 60_000 });
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /^failed +test +startSite\(winha-driver-test\) +\d+ ms +CommandFailed: injected failure of startSite/m);
  assert.match(r.out, /^ok +cleanup +stopSite\(winha-driver-test\)/m);
  assert.match(r.out, /^ok +cleanup +removeVirtualIp\(10\.99\.0\.200\)/m);
});

test('-o json prints one object with a step per call', () => {
  const r = runWinha(['driver', 'test', '--driver', 'sim', '--sim-fail', 'probeHttp', '-o', 'json'], { timeout: 60_000 });
  assert.equal(r.code, 1, r.err);
  const doc = JSON.parse(r.out) as { ok: boolean; steps: { operation: string; outcome: string; code?: string; durationMs: number }[] };
  assert.equal(doc.ok, false);
  assert.deepEqual(
    doc.steps.find((s) => s.outcome === 'failed'),
    { ...doc.steps.find((s) => s.outcome === 'failed'), operation: 'probeHttp', code: 'CommandFailed' },
  );
  assert.ok(doc.steps.every((s) => typeof s.durationMs === 'number'));
});

test('an address already on the host is refused with exit 2 and its id', () => {
  const r = runWinha(['driver', 'test', '--driver', 'sim', '--address', '10.99.0.11'], { timeout: 60_000 });
  assert.equal(r.code, 2);
  assert.match(r.err, /driver test refused \[address-present\]: 10\.99\.0\.11 is already on sim-node/);
});

test('--driver windows without --address is a usage error', () => {
  const r = runWinha(['driver', 'test', '--driver', 'windows'], { timeout: 60_000 });
  assert.equal(r.code, 2);
  assert.match(r.err, /--address is required with --driver windows/);
});

test(
  '--driver windows off Windows ends at once with exit 1 and says why (it used to wait on a PowerShell host forever)',
  { skip: process.platform === 'win32' },
  () => {
    const r = runWinha(
      ['driver', 'test', '--driver', 'windows', '--address', '10.0.0.99', '--prefix-length', '24', '--interface', 'Ethernet'],
      {
        timeout: 60_000,
      },
    );
    assert.equal(r.signal, null, 'it exited by itself');
    assert.equal(r.code, 1);
    assert.match(r.err, /driver test \[not-windows\]: not a Windows host \(powershell\.exe not found at /);
  },
);
