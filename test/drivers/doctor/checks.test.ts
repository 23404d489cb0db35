/** runDoctor on fact fixtures: the verdict and the fix text of each check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runDoctor } from '../../../src/drivers/doctor/checks.js';
import { expectationsFromManifests } from '../../../src/drivers/doctor/expectations.js';
import { formatDoctor } from '../../../src/drivers/doctor/format.js';
import { gatherDoctorFacts } from '../../../src/drivers/doctor/gather.js';
import { decodeWindowsFacts } from '../../../src/drivers/windows/doctor-facts.js';
import { VirtualClock } from '../../../src/lib/clock.js';
import { EXAMPLES_DIR } from '../../support/paths.js';
import { expectations, facts, healthyWindows } from './fixtures.js';

const byId = (results: ReturnType<typeof runDoctor>, id: string) => {
  const r = results.find((x) => x.id === id);
  assert.ok(r, `check ${id} in ${results.map((x) => x.id).join(', ')}`);
  return r;
};

test('a healthy node passes every check (golden table)', () => {
  const results = runDoctor(facts(), expectations());
  assert.deepEqual(
    results.filter((r) => r.status !== 'pass'),
    [],
  );
  assert.deepEqual(
    results.map((r) => r.id),
    [
      'powershell',
      'iis',
      'iis-modules',
      'ftp',
      'datakeeper-installed',
      'datakeeper-service',
      'interface:Public',
      'interface:Replication',
      'firewall:agent',
      'firewall:datakeeper',
      'reach:node2/management',
      'reach:node2/replication',
      'store',
      'clock',
    ],
  );
  assert.equal(byId(results, 'clock').detail, 'not measurable with this store (it reports no server time)');
  assert.match(formatDoctor('node1', results), /^PASS: 14 pass, 0 warn, 0 fail$/m);
});

test('a node without IISAdministration fails with the Web-Scripting-Tools fix', () => {
  const w = healthyWindows();
  w.modules.IISAdministration = false;
  const r = byId(runDoctor(facts(w), expectations()), 'iis-modules');
  assert.equal(r.status, 'fail');
  assert.equal(r.detail, 'missing: IISAdministration');
  assert.match(r.fix!, /^Install-WindowsFeature Web-Scripting-Tools/);
});

test('DataKeeper stopped: fails (mirrors name this node) with the Start-Service fix', () => {
  const w = healthyWindows();
  w.services['ExtMirrSvc'] = { state: 'Stopped', startType: 'Manual' };
  const r = byId(runDoctor(facts(w), expectations()), 'datakeeper-service');
  assert.equal(r.status, 'fail');
  assert.match(r.detail, /ExtMirrSvc is Stopped \(start type Manual\) \(Mirrors of E:, F: name this node\)/);
  assert.equal(r.fix, 'Set-Service ExtMirrSvc -StartupType Automatic; Start-Service ExtMirrSvc');
  // Without mirrors on the node it is only a warning.
  assert.equal(byId(runDoctor(facts(w), expectations({ mirrorVolumes: [] })), 'datakeeper-service').status, 'warn');
});

test('an interface alias missing fails, names the adapters present and the Rename-NetAdapter fix', () => {
  const w = healthyWindows();
  w.interfaces = [
    { alias: 'Ethernet 2', status: 'Up' },
    { alias: 'Public', status: 'Up' },
  ];
  const r = byId(runDoctor(facts(w), expectations()), 'interface:Replication');
  assert.equal(r.status, 'fail');
  assert.equal(r.detail, 'no network adapter named Replication (present: Ethernet 2, Public)');
  assert.match(r.fix!, /^Rename-NetAdapter -Name '<current name>' -NewName 'Replication'/);
});

test('a DataKeeper port not open: fails with the New-NetFirewallRule for exactly the missing ports', () => {
  const w = healthyWindows();
  w.firewall.inboundAllow = w.firewall.inboundAllow.filter((r) => r.protocol !== 'UDP');
  w.firewall.inboundAllow[1] = { name: 'DataKeeper TCP', protocol: 'TCP', localPorts: ['139', '445', '9999', '10004'] };
  const r = byId(runDoctor(facts(w), expectations()), 'firewall:datakeeper');
  assert.equal(r.status, 'fail');
  assert.equal(r.detail, 'not allowed inbound: TCP 10005, UDP 137, UDP 138');
  assert.match(r.fix!, /-Protocol TCP -LocalPort 10005 -Action Allow; .*-Protocol UDP -LocalPort 137,138 -Action Allow$/);
});

test('not a Windows host: every Windows check fails with the same honest reason; store checks still run', async () => {
  const x = expectations();
  const gathered = await gatherDoctorFacts(
    {
      clock: new VirtualClock(),
      powershellPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      fileExists: () => Promise.resolve(false),
      openPsHost: () => Promise.reject(new Error('must not be asked')),
      tcpConnect: (address) => Promise.resolve(address === '172.16.0.12' ? { ok: false, error: 'ECONNREFUSED' } : { ok: true }),
      store: { url: 'memory://', reachable: true, localTimeMs: 0 },
    },
    x,
  );
  const results = runDoctor(gathered, x);
  const windows = results.filter((r) => !r.id.startsWith('reach:') && r.id !== 'store' && r.id !== 'clock');
  assert.ok(windows.length >= 8);
  for (const r of windows) {
    assert.equal(r.status, 'fail');
    assert.equal(
      r.detail,
      'not a Windows host (powershell.exe not found at C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe)',
    );
  }
  assert.equal(byId(results, 'store').status, 'pass');
  assert.equal(byId(results, 'reach:node2/replication').status, 'fail');
  assert.match(byId(results, 'reach:node2/replication').detail, /ECONNREFUSED/);
});

test('store unreachable fails with the credentials hint; a measurable clock offset past the limit warns', () => {
  const down = runDoctor(
    facts(undefined, { store: { url: 'etcd://10.0.0.5:2379', reachable: false, error: 'UNAVAILABLE', localTimeMs: 0 } }),
    expectations(),
  );
  assert.equal(byId(down, 'store').status, 'fail');
  assert.match(byId(down, 'store').fix!, /credentials/);
  const skewed = runDoctor(
    facts(undefined, { store: { url: 'x://', reachable: true, localTimeMs: 10_000, serverTimeMs: 7_500 } }),
    expectations(),
  );
  assert.equal(byId(skewed, 'clock').status, 'warn');
  assert.match(byId(skewed, 'clock').detail, /2500 ms ahead of the store/);
});

test('expectations from the two-node example: interfaces, FTP, mirrors E and F, peers of node1', () => {
  const objects = parseAllDocuments(readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8'))
    .map((d) => d.toJS() as Record<string, unknown>)
    .filter((o) => o && typeof o === 'object');
  const x = expectationsFromManifests(objects, 'node1');
  assert.deepEqual(x.interfaces, ['Public', 'Replication']);
  assert.equal(x.needsFtp, true);
  assert.equal(x.needsSmtp, false);
  assert.deepEqual(x.mirrorVolumes, ['E', 'F']);
  assert.deepEqual(x.peers, [
    { node: 'node2', role: 'management', address: '192.168.10.12', port: 445 },
    { node: 'node2', role: 'replication', address: '172.16.0.12', port: 9999 },
  ]);
  assert.ok(x.dataKeeperPorts.some((p) => p.protocol === 'TCP' && p.port === 10005));
});

test("doctor.facts answers are decoded strictly: PowerShell's one-element arrays unwrapped, a wrong type reported", () => {
  const w = healthyWindows();
  const raw = { ...w, interfaces: w.interfaces[0], services: { ...w.services, SMTPSVC: null } };
  assert.deepEqual(decodeWindowsFacts(raw).interfaces, [w.interfaces[0]]);
  assert.equal(decodeWindowsFacts(raw).services['SMTPSVC'], undefined);
  assert.throws(() => decodeWindowsFacts({ ...w, psVersion: 5 }), /psVersion is not a string/);
});

test('a node whose groups serve SMTP needs the SMTP server and IIS 6 Metabase Compatibility (the driver reaches SMTP virtual servers through ADSI)', () => {
  const w = healthyWindows();
  w.features['SMTP-Server'] = true;
  w.services['SMTPSVC'] = { state: 'Running', startType: 'Automatic' };
  w.features['Web-Metabase'] = false;
  const missing = byId(runDoctor(facts(w), expectations({ needsSmtp: true })), 'smtp-metabase');
  assert.equal(missing.status, 'fail');
  assert.match(missing.fix ?? '', /Install-WindowsFeature Web-Metabase/);
  w.features['Web-Metabase'] = true;
  assert.equal(byId(runDoctor(facts(w), expectations({ needsSmtp: true })), 'smtp-metabase').status, 'pass');
  assert.ok(!runDoctor(facts(w), expectations()).some((r) => r.id === 'smtp-metabase'), 'not checked when no site uses SMTP');
});
