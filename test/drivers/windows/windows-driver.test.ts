import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { PinoAuditLog } from '../../../src/drivers/windows/audit-log.js';
import type { CommandRequest, CommandRunner } from '../../../src/drivers/windows/command-runner.js';
import type { PsHost } from '../../../src/drivers/windows/ps-host/types.js';
import { isDriverError, type CallOptions } from '../../../src/drivers/types.js';
import { settle, settleError } from '../../helpers/virtual-time.js';
import { ScriptedRunner, psError, psValue, text } from '../scripted-runner.js';

const o: CallOptions = { epoch: 3, timeoutMs: 30_000 };
const make = (runner: CommandRunner & PsHost, extra: Partial<ConstructorParameters<typeof WindowsHostDriver>[0]> = {}) => {
  const clock = new VirtualClock();
  return { clock, driver: new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock, ...extra }) };
};
const w3svc = { name: 'W3SVC', state: 4, startType: 'Automatic' };
const startedWeb1 = {
  id: 1,
  name: 'web1',
  state: 'Started',
  ftpState: null,
  bindings: [],
  physicalPath: 'E:\\w',
  applicationPool: 'p',
  serverAutoStart: false,
};

test('a transient failure (applicationHost.config changed by another writer) is retried with backoff and then succeeds', async () => {
  const runner = new ScriptedRunner().on(
    'ps:service.query',
    psError(
      'System.IO.FileLoadException',
      'Filename: \\\\?\\C:\\Windows\\system32\\inetsrv\\config\\applicationHost.config\r\nError: Cannot commit configuration changes because the file has changed on disk',
    ),
    psValue(w3svc),
  );
  const { clock, driver } = make(runner);
  const s = await settle(clock, driver.queryService('W3SVC', o));
  assert.equal(s.state, 4);
  assert.equal(runner.calls.length, 2);
});

test('a permanent failure is not retried, and keeps its message', async () => {
  const runner = new ScriptedRunner().on('ps:service.query', psError('System.Exception', 'Access is denied'), psValue(w3svc));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.queryService('W3SVC', o));
  assert.ok(isDriverError(e, 'CommandFailed') && /Access is denied/.test(e.message));
  assert.equal(runner.calls.length, 1);
});

test('retries are bounded: a failure that stays transient gives up after 1 + retries attempts', async () => {
  const runner = new ScriptedRunner().on('ps:service.query', psError('System.Exception', 'The RPC server is unavailable. (0x800706BA)'));
  const { clock, driver } = make(runner, { retry: { retries: 2, minDelayMs: 100, maxDelayMs: 400 } });
  const e = await settleError(clock, driver.queryService('W3SVC', o));
  assert.ok(isDriverError(e, 'CommandFailed') && e.transient);
  assert.equal(runner.calls.length, 3);
});

test('a non-idempotent EMCMD mutation (SWITCHOVERVOLUME) is never retried', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text('E: 2 node2 10.0.0.11 1\r\n'))
    .on('emcmd:GETMIRRORTYPE', text('Target system 10.0.0.11, Type 1\r\n'))
    .on('emcmd:SWITCHOVERVOLUME', text('Status = 1722\r\n'));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.switchoverMirror('E', false, o));
  assert.ok(isDriverError(e, 'MirrorPeerUnreachable'), String(e));
  assert.equal(runner.calls.filter((c) => c.key === 'emcmd:SWITCHOVERVOLUME').length, 1);
});

test('switchover waits until GETMIRRORVOLINFO shows this node as source', async () => {
  const runner = new ScriptedRunner()
    .on(
      'emcmd:GETMIRRORVOLINFO',
      text('E: 2 node2 10.0.0.11 1\r\n'),
      text('E: 2 node2 10.0.0.11 1\r\n'),
      text('E: 1 node1 10.0.0.12 1\r\n'),
    )
    .on('emcmd:GETMIRRORTYPE', text('Target system 10.0.0.12, Type 1\r\n'))
    .on('emcmd:SWITCHOVERVOLUME', text('Status = 0\r\n'));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.switchoverMirror('E', false, o));
  assert.deepEqual([info.role, info.sourceSystem], ['source', 'node1']);
  assert.deepEqual(runner.calls.find((c) => c.key === 'emcmd:SWITCHOVERVOLUME')?.args, ['.', 'SWITCHOVERVOLUME', 'E']);
});

test("a request that hangs is given up at the caller's timeout and reported as Timeout", async () => {
  let aborted = false;
  const hang = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        reject(new Error('killed'));
      });
    });
  const hanging: CommandRunner & PsHost = {
    run: (req: CommandRequest) => hang(req.signal),
    call: (_op, _p, co) => hang(co.signal),
    close: async () => undefined,
  };
  const { clock, driver } = make(hanging);
  const e = await settleError(clock, driver.listSites({ epoch: 1, timeoutMs: 2_000 }));
  assert.ok(isDriverError(e, 'Timeout'), String(e));
  assert.equal(aborted, true, 'the process was told to stop');
});

test('the audit log records every command with its epoch and never the FTP password', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const runner = new ScriptedRunner().on('ps:probe.ftp', psValue({ lines: ['220 hi', '331 pw', '230 User logged in.'] }));
  const { clock, driver } = make(runner, { audit: new PinoAuditLog(sink) });
  const r = await settle(
    clock,
    driver.probeFtp({ address: '10.0.0.50', port: 21, user: 'deploy', password: 'S3cret-Pa55' }, { epoch: 9, timeoutMs: 5_000 }),
  );
  assert.equal(r.alive, true);
  await new Promise((res) => setImmediate(res));
  const log = lines.join('');
  assert.doesNotMatch(log, /S3cret-Pa55/);
  const rec = JSON.parse(lines[0]!) as { operation: string; epoch: number; script: string; params: { password: string; user: string } };
  assert.deepEqual(
    [rec.operation, rec.epoch, rec.script, rec.params.password, rec.params.user],
    ['probeFtp', 9, 'probe.ftp', '[REDACTED]', 'deploy'],
  );
});

test('the FTP password travels as data in the request to the host, never on a command line', async () => {
  const runner = new ScriptedRunner().on('ps:probe.ftp', psValue({ lines: ['530 Login incorrect.'] }));
  const { clock, driver } = make(runner);
  const r = await settle(clock, driver.probeFtp({ address: '10.0.0.50', port: 21, user: 'u', password: 'hunter2' }, o));
  assert.deepEqual([r.alive, r.kitCode], [false, 9760]);
  assert.ok(!runner.calls[0]!.args.join(' ').includes('hunter2'));
  assert.equal((JSON.parse(runner.calls[0]!.stdin) as { params: { password: string } }).params.password, 'hunter2');
});

test('Windows errors map to typed ones: unknown service, site still running after 10 checks (9556)', async () => {
  const runner = new ScriptedRunner()
    .on(
      'ps:service.query',
      psError(
        'Microsoft.PowerShell.Commands.ServiceCommandException',
        "Cannot find any service with service name 'FTPSVC'.",
        'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand',
      ),
    )
    .on(
      'ps:site.stop',
      psValue({
        outcome: 'checked',
        site: startedWeb1,
      }),
    );
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.queryService('FTPSVC', o));
  assert.ok(isDriverError(e, 'ServiceNotFound'), String(e));
  const s = await settleError(clock, driver.stopSite('web1', { ...o, kitOperation: 'remove' }));
  assert.ok(isDriverError(s, 'SiteStopFailed') && s.kitCode === 9556, String(s));
});

test('EMCMD Status codes: a busy volume on LOCKVOLUME is VolumeBusy; CREATEMIRROR runs on the source address', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:LOCKVOLUME', text('Status = 32\r\n'))
    .on('emcmd:GETMIRRORVOLINFO', text(''))
    .on('emcmd:GETSOURCEMIRROREDVOLUMES', text('Status = 0\r\n'))
    .on('emcmd:GETTARGETMIRROREDVOLUMES', text('Returned 0 Target Volumes\r\n'))
    .on('emcmd:CREATEMIRROR', text('Status = 0\r\n'));
  const { clock, driver } = make(runner, { retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } });
  const e = await settleError(clock, driver.lockVolume('E', o));
  assert.ok(isDriverError(e, 'VolumeBusy'), String(e));
  await settle(
    clock,
    driver.createMirror({ volume: 'e', sourceAddress: '10.0.0.11', targetAddress: '10.0.0.12', mode: 'Asynchronous' }, o),
  );
  assert.deepEqual(runner.calls.at(-1)?.args, ['10.0.0.11', 'CREATEMIRROR', 'E', '10.0.0.12', 'A']);
});

test('CREATEMIRROR on a source adds a target (one CREATEMIRROR per target); a target it already has, or a target volume, is refused', async () => {
  const multi = readFileSync(
    new URL('../../../../test/drivers/windows/fixtures/emcmd/GETMIRRORVOLINFO-multitarget-reconstructed.txt', import.meta.url),
    'utf8',
  );
  const runner = new ScriptedRunner()
    .on(
      'emcmd:GETMIRRORVOLINFO',
      text('J: 1 SYS1.MYDOM.LOCAL 172.17.103.222 1\r\n'),
      text(multi),
      text('J: 2 SYS1.MYDOM.LOCAL 172.17.103.223 1\r\n'),
    )
    .on('emcmd:GETMIRRORTYPE', text('Target system 172.17.103.222, Type 1\r\n'), text(''))
    .on('emcmd:CREATEMIRROR', text('Status = 0\r\n'));
  const { clock, driver } = make(runner, { retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } });
  const req = { volume: 'J', sourceAddress: '172.17.103.221', targetAddress: '172.17.103.223', mode: 'Synchronous' } as const;
  await settle(clock, driver.createMirror(req, o));
  assert.deepEqual(runner.calls.at(-1)?.args, ['172.17.103.221', 'CREATEMIRROR', 'J', '172.17.103.223', 'S']);
  const twice = await settleError(clock, driver.createMirror(req, o));
  assert.ok(isDriverError(twice, 'MirrorExists') && /already mirrors to 172\.17\.103\.223/.test(twice.message), String(twice));
  const onTarget = await settleError(clock, driver.createMirror(req, o));
  assert.ok(isDriverError(onTarget, 'MirrorExists') && /target/.test(onTarget.message), String(onTarget));
});

test('GETMIRRORVOLINFO on a multi-target source: one target per line, each with its own state', async () => {
  const multi = readFileSync(
    new URL('../../../../test/drivers/windows/fixtures/emcmd/GETMIRRORVOLINFO-multitarget-reconstructed.txt', import.meta.url),
    'utf8',
  );
  const runner = new ScriptedRunner().on('emcmd:GETMIRRORVOLINFO', text(multi)).on('emcmd:GETMIRRORTYPE', text(''));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.getMirrorInfo('J', o));
  assert.equal(info.role, 'source');
  assert.deepEqual(
    info.targets.map((t) => [t.targetAddress, t.state]),
    [
      ['172.17.103.222', 4],
      ['172.17.103.223', 1],
    ],
  );
});

test('a check reads only its own site (site.get), and one observation reads sites and addresses in one request', async () => {
  const web1 = startedWeb1;
  const addr = { address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: true };
  const runner = new ScriptedRunner()
    .on('ps:site.get', psValue({ found: true, site: web1 }), psValue({ found: false }))
    .on('ps:host.observe', psValue({ sites: [web1], addresses: [addr] }));
  const { clock, driver } = make(runner);
  assert.equal((await settle(clock, driver.getSite('web1', o)))?.state, 'Started');
  assert.equal(await settle(clock, driver.getSite('gone', o)), undefined);
  const view = await settle(clock, driver.observeHost(o));
  assert.deepEqual([view.sites.map((s) => s.name), view.addresses.map((a) => a.address)], [['web1'], ['10.0.0.50']]);
  assert.deepEqual(
    runner.calls.map((c) => c.key),
    ['ps:site.get', 'ps:site.get', 'ps:host.observe'],
  );
});
