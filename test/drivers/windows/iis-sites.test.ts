/**
 * IIS sites through the PowerShell host (issue 15 items 3, 4, 8, 9): decoding and routing against recorded answers.
 * The answers are reconstructed from docs/spec/seed-iis.md and the shapes of ps/lib/*.ps1, not captured on Windows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { isDriverError, type CallOptions, type SiteDefinition } from '../../../src/drivers/types.js';
import { settle, settleError } from '../../helpers/virtual-time.js';
import { ScriptedRunner, psError, psValue } from '../scripted-runner.js';

const o: CallOptions = { epoch: 3, timeoutMs: 30_000 };
const make = (runner: ScriptedRunner) => {
  const clock = new VirtualClock();
  return { clock, driver: new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock }) };
};
const site = (name: string, state: string, protocol = 'http', info = '10.0.0.50:80:', extra: Record<string, unknown> = {}) => ({
  id: 1,
  name,
  state,
  ftpState: null,
  bindings: [{ protocol, bindingInformation: info, certificateHash: '' }],
  physicalPath: `E:\\${name}`,
  applicationPool: name,
  serverAutoStart: false,
  ...extra,
});
const smtp = (state: string) => ({ ...site('mail1', state, 'smtp', '10.0.0.60:25:'), physicalPath: '', applicationPool: '' });
const params = (r: ScriptedRunner, key: string) =>
  (JSON.parse(r.calls.find((c) => c.key === key)!.stdin) as { params: Record<string, unknown> }).params;

test('a site the host could not convert is listed as Unknown with its error; the other sites still come back', async () => {
  const odd = { name: 'odd', error: 'Filename: redirection.config Error: Cannot read configuration file' };
  const runner = new ScriptedRunner().on('ps:site.list', psValue([site('web1', 'Started'), odd, site('web2', 'Stopped')]));
  const { clock, driver } = make(runner);
  const sites = await settle(clock, driver.listSites(o));
  assert.deepEqual(
    sites.map((s) => [s.name, s.state]),
    [
      ['web1', 'Started'],
      ['odd', 'Unknown'],
      ['web2', 'Stopped'],
    ],
  );
  const bad = sites[1]!;
  assert.equal(bad.error, odd.error);
  assert.deepEqual([bad.id, bad.bindings, bad.physicalPath, bad.applicationPool], [0, [], '', '']);
});

test('a site the host could not read is not started blind (its service and bindings are unknown)', async () => {
  const runner = new ScriptedRunner().on('ps:site.list', psValue([{ name: 'odd', error: 'Unrecognized element ftpServer' }]));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.startSite('odd', { ...o, kitOperation: 'restore' }));
  assert.ok(isDriverError(e, 'SiteStartFailed') && e.kitCode === 9706 && /could not describe/.test(e.message), String(e));
  assert.ok(!runner.calls.some((c) => c.key === 'ps:site.start'));
});

test('an FTP site whose FTP state could not be read is Unknown, and stopping it is not taken as stopped', async () => {
  const ftp = site('ftp1', 'Unknown', 'ftp', '10.0.0.50:21:', { ftpState: 'Unknown' });
  const runner = new ScriptedRunner().on('ps:site.list', psValue([ftp])).on('ps:site.stop', psValue({ outcome: 'checked', site: ftp }));
  const { clock, driver } = make(runner);
  assert.equal((await settle(clock, driver.listSites(o)))[0]!.state, 'Unknown');
  const e = await settleError(clock, driver.stopSite('ftp1', { ...o, kitOperation: 'remove' }));
  assert.ok(isDriverError(e, 'SiteStopFailed'), String(e));
});

test('an SMTP virtual server in the listing decodes with its smtp binding and is served by SMTPSVC', async () => {
  const runner = new ScriptedRunner().on('ps:site.list', psValue([site('web1', 'Started'), smtp('Stopped')]));
  const { clock, driver } = make(runner);
  const sites = await settle(clock, driver.listSites(o));
  assert.deepEqual(sites[1]!.bindings, [{ protocol: 'smtp', address: '10.0.0.60', port: 25, hostHeader: '' }]);
});

test('starting an SMTP virtual server goes to smtp.start (ADSI), not to site.start', async () => {
  const runner = new ScriptedRunner()
    .on('ps:site.list', psValue([smtp('Stopped')]))
    .on('ps:smtp.start', psValue({ outcome: 'ran', site: smtp('Started') }));
  const { clock, driver } = make(runner);
  const s = await settle(clock, driver.startSite('mail1', o));
  assert.equal(s.state, 'Started');
  assert.deepEqual(params(runner, 'ps:smtp.start'), { name: 'mail1', service: 'SMTPSVC', addresses: ['10.0.0.60'] });
  assert.ok(!runner.calls.some((c) => c.key === 'ps:site.start'));
});

test('stopping a name IIS does not know asks the SMTP metabase; an SMTP server still running after the checks is 9556', async () => {
  const stopped = new ScriptedRunner()
    .on('ps:site.stop', psValue({ outcome: 'notFound' }))
    .on('ps:smtp.stop', psValue({ outcome: 'checked', site: smtp('Stopped') }));
  const a = make(stopped);
  assert.equal((await settle(a.clock, a.driver.stopSite('mail1', o)))?.state, 'Stopped');
  const running = new ScriptedRunner()
    .on('ps:site.stop', psValue({ outcome: 'notFound' }))
    .on('ps:smtp.stop', psValue({ outcome: 'checked', site: smtp('Started') }));
  const b = make(running);
  const e = await settleError(b.clock, b.driver.stopSite('mail1', { ...o, kitOperation: 'remove' }));
  assert.ok(isDriverError(e, 'SiteStopFailed') && e.kitCode === 9556, String(e));
});

test('a missing SMTP metabase (no IIS 6 Metabase Compatibility) is a failure, never "not found, so stopped"', async () => {
  const runner = new ScriptedRunner()
    .on('ps:site.stop', psValue({ outcome: 'notFound' }))
    .on('ps:smtp.stop', psValue({ outcome: 'unavailable', message: 'Unknown error (0x80005000)' }));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.stopSite('mail1', { ...o, kitOperation: 'remove' }));
  assert.ok(isDriverError(e, 'CommandFailed') && /IIS 6 Metabase Compatibility/.test(e.message), String(e));
  const none = new ScriptedRunner()
    .on('ps:site.stop', psValue({ outcome: 'notFound' }))
    .on('ps:smtp.stop', psValue({ outcome: 'notFound' }));
  const n = make(none);
  assert.equal(await settle(n.clock, n.driver.stopSite('gone', o)), undefined);
});

const smtpDef: SiteDefinition = {
  name: 'mail1',
  bindings: [{ protocol: 'smtp', address: '10.0.0.60', port: 25, hostHeader: '' }],
  physicalPath: 'E:\\mail1',
  applicationPool: 'mail1',
  serverAutoStart: false,
};

test('ensureSite never creates an SMTP virtual server: a missing one is refused with a coded error naming IIS 6 Manager', async () => {
  const runner = new ScriptedRunner().on('ps:site.list', psValue([site('web1', 'Started')]));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.ensureSite(smtpDef, o));
  assert.ok(isDriverError(e, 'SiteNotFound') && /IIS 6 Manager/.test(e.message), String(e));
  assert.ok(!runner.calls.some((c) => c.key === 'ps:site.ensure'));
});

test('ensureSite of an existing SMTP virtual server with the declared bindings only verifies it', async () => {
  const runner = new ScriptedRunner().on('ps:site.list', psValue([smtp('Started')]));
  const { clock, driver } = make(runner);
  const r = await settle(clock, driver.ensureSite(smtpDef, o));
  assert.deepEqual([r.created, r.changed, r.site.name], [false, [], 'mail1']);
  const other = new ScriptedRunner().on(
    'ps:site.list',
    psValue([{ ...smtp('Started'), bindings: [{ protocol: 'smtp', bindingInformation: '10.0.0.61:25:', certificateHash: '' }] }]),
  );
  const x = make(other);
  const e = await settleError(x.clock, x.driver.ensureSite(smtpDef, o));
  assert.ok(isDriverError(e, 'InvalidArgument') && /10\.0\.0\.60:25/.test(e.message), String(e));
});

test('ensureSite of an FTPS site sends the certificate for ftpServer.security.ssl and the deep-check login mode', async () => {
  const ftpSite = site('ftp1', 'Stopped', 'ftp', '10.0.0.50:21:', { ftpState: 'Stopped' });
  const runner = new ScriptedRunner().on('ps:site.ensure', psValue({ created: true, changed: [], site: ftpSite }));
  const { clock, driver } = make(runner);
  const thumb = 'd043b153fcefd5011b9c28e186a60b9f13103363';
  await settle(
    clock,
    driver.ensureSite(
      {
        name: 'ftp1',
        bindings: [{ protocol: 'ftp', address: '10.0.0.50', port: 21, hostHeader: '', certificateThumbprint: thumb }],
        physicalPath: 'E:\\ftp1',
        applicationPool: 'ftp1',
        serverAutoStart: false,
        ftpLogin: 'credentials',
      },
      o,
    ),
  );
  const p = params(runner, 'ps:site.ensure');
  assert.deepEqual(p.ftp, { login: 'credentials', certificateHash: thumb.toUpperCase() });
});

test('a port held by another process (0x80070020 on site start) is not retried: the site cannot start there (9706)', async () => {
  const runner = new ScriptedRunner()
    .on('ps:site.list', psValue([site('web1', 'Stopped')]))
    .on(
      'ps:site.start',
      psError(
        'System.Runtime.InteropServices.COMException',
        'The process cannot access the file because it is being used by another process. (Exception from HRESULT: 0x80070020)',
      ),
    );
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.startSite('web1', { ...o, kitOperation: 'restore' }));
  assert.ok(isDriverError(e, 'SiteStartFailed') && !e.transient && e.kitCode === 9706, String(e));
  assert.match(e.message, /port/);
  assert.equal(runner.calls.filter((c) => c.key === 'ps:site.start').length, 1);
});

test('a configuration race (applicationHost.config changed on disk, or locked) is transient; the file in use by a writer too', async () => {
  for (const message of [
    'Filename: \\\\?\\C:\\Windows\\system32\\inetsrv\\config\\applicationHost.config\r\nError: Cannot commit configuration changes because the file has changed on disk',
    'The process cannot access the file because another process has locked a portion of the file. (Exception from HRESULT: 0x80070021)',
    'Filename: \\\\?\\C:\\Windows\\system32\\inetsrv\\config\\applicationHost.config\r\nError: Cannot write configuration file',
  ]) {
    const runner = new ScriptedRunner().on('ps:site.list', psError('System.IO.FileLoadException', message), psValue([]));
    const { clock, driver } = make(runner);
    assert.deepEqual(await settle(clock, driver.listSites(o)), []);
    assert.equal(runner.calls.length, 2, message);
  }
  const denied = new ScriptedRunner().on(
    'ps:site.list',
    psError(
      'System.UnauthorizedAccessException',
      'Filename: redirection.config\r\nError: Cannot write configuration file due to insufficient permissions',
    ),
  );
  const d = make(denied);
  const e = await settleError(d.clock, d.driver.listSites(o));
  assert.ok(isDriverError(e, 'CommandFailed') && !e.transient, String(e));
});
