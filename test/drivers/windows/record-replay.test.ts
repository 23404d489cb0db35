/**
 * `winha driver record` end to end without Windows: record a scripted node into a
 * directory, then replay that directory through the Windows driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../../src/lib/clock.js';
import type { CommandResult } from '../../../src/drivers/windows/command-runner.js';
import type { HostAnswer } from '../../../src/drivers/windows/ps-host/types.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { RECORDING_FORMAT, recordNode, replayRecording, type RecordSource } from '../../../src/drivers/windows/recorder.js';
import { directorySink, readRecordingDir } from '../../../src/drivers/windows/recording-dir.js';
import { settle } from '../../helpers/virtual-time.js';
import { runWinha } from '../../support/cli.js';
import { ScriptedRunner, psError, psValue, text } from '../scripted-runner.js';

const site = {
  id: 1,
  name: 'web1',
  state: 'Started',
  ftpState: null,
  bindings: [{ protocol: 'http', bindingInformation: '10.0.0.50:80:www.example.com', certificateHash: '' }],
  physicalPath: 'E:\\wwwroot\\web1',
  applicationPool: 'web1',
  serverAutoStart: false,
};

/** A node as a script: answers by command, and notes what it was asked. */
function scriptedNode(): RecordSource & { asked: string[] } {
  const asked: string[] = [];
  const ps: Record<string, (p: Record<string, unknown>) => HostAnswer> = {
    'service.query': (p) =>
      p['name'] === 'FTPSVC'
        ? psError(
            'Microsoft.PowerShell.Commands.ServiceCommandException',
            "Cannot find any service with service name 'FTPSVC'.",
            'NoServiceFoundForGivenName',
          )
        : psValue({ name: p['name'], state: 4, startType: 'Automatic' }),
    'site.list': () => psValue([site]),
    'net.interfaces': () => psValue([{ alias: 'Ethernet', index: 4, status: 'Up', macAddress: '00-15-5D-00-00-01' }]),
    'net.addresses': () =>
      psValue([{ address: '10.0.0.11', prefixLength: 24, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: false }]),
  };
  const emcmd: Record<string, CommandResult> = {
    GETMIRRORVOLINFO: text('E: 1 node1 10.0.0.12 1\r\n'),
    GETMIRRORTYPE: text('Target system 10.0.0.12, Type 1\r\n'),
    GETRESYNCSTATUS: text('No Resync or CompVol Statistics to report\r\n'),
  };
  return {
    asked,
    ps: (script, params) => {
      asked.push(`ps:${script} ${JSON.stringify(params)}`);
      return Promise.resolve(ps[script]!(params));
    },
    emcmd: (command, args) => {
      asked.push(`emcmd:${command} ${args.join(' ')}`);
      return command in emcmd ? Promise.resolve(emcmd[command]!) : Promise.reject(new Error('spawn emcmd.exe ENOENT'));
    },
  };
}

test('a recording of a scripted node replays through the Windows driver to the same answers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'winha-record-'));
  try {
    const clock = new VirtualClock();
    const node = scriptedNode();
    const manifest = await recordNode(node, directorySink(dir), {
      volumes: ['E'],
      hostname: 'NODE1',
      winhaVersion: '0.1.0',
      clock,
      timeoutMs: 60_000,
    });
    assert.equal(manifest.files.length, 9);
    assert.deepEqual(manifest.failed, []);
    assert.deepEqual(node.asked.slice(-3), ['emcmd:GETMIRRORVOLINFO E', 'emcmd:GETMIRRORTYPE E', 'emcmd:GETRESYNCSTATUS E']);
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { hostname: string; note: string; recordedAt: string };
    assert.equal(onDisk.hostname, 'NODE1');
    assert.match(onDisk.note, /no environment variable, secret or password is ever recorded/);
    assert.equal(onDisk.recordedAt, new Date(clock.now()).toISOString());

    const { files } = await readRecordingDir(dir);
    assert.ok(files.every((f) => f.format === RECORDING_FORMAT));
    assert.deepEqual(files[3], { ...files[3], key: 'ps:site.list', kind: 'ps', op: 'site.list', params: {} });
    const runner = new ScriptedRunner(replayRecording(files));
    const driver = new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock });
    const o = { epoch: 1, timeoutMs: 60_000 };
    const run = <T>(p: Promise<T>) => settle(clock, p);
    assert.deepEqual(await run(driver.queryService('W3SVC', o)), { name: 'W3SVC', state: 4, startMode: 'Auto' });
    const sites = await run(driver.listSites(o));
    assert.deepEqual(
      sites.map((s) => [s.name, s.state, s.bindings[0]?.hostHeader]),
      [['web1', 'Started', 'www.example.com']],
    );
    assert.deepEqual(
      (await run(driver.listInterfaces(o))).map((n) => n.alias),
      ['Ethernet'],
    );
    assert.deepEqual(
      (await run(driver.listAddresses(o))).map((a) => a.address),
      ['10.0.0.11'],
    );
    const mirror = await run(driver.getMirrorInfo('E', o));
    assert.equal(mirror.role, 'source');
    assert.deepEqual(
      mirror.targets.map((t) => [t.targetAddress, t.state, t.mode]),
      [['10.0.0.12', 1, 'Synchronous']],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a command that cannot run is recorded with its error, listed in the manifest, and left out of the replay', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'winha-record-'));
  try {
    const manifest = await recordNode(scriptedNode(), directorySink(dir), {
      volumes: ['E'],
      hostname: 'n',
      winhaVersion: '0',
      clock: new VirtualClock(),
      timeoutMs: 1_000,
    });
    assert.deepEqual(manifest.failed, []);
    const broken: RecordSource = {
      ps: () => Promise.reject(new Error('spawn powershell.exe ENOENT')),
      emcmd: () => Promise.reject(new Error('x')),
    };
    const dir2 = join(dir, 'broken');
    const m2 = await recordNode(broken, directorySink(dir2), {
      volumes: [],
      hostname: 'n',
      winhaVersion: '0',
      clock: new VirtualClock(),
      timeoutMs: 1_000,
    });
    assert.equal(m2.failed.length, 6);
    const { files } = await readRecordingDir(dir2);
    assert.equal(files[0]?.error, 'spawn powershell.exe ENOENT');
    assert.deepEqual(replayRecording(files), {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('winha driver record off Windows: exit 1 with not-windows; a non-empty --out is a usage error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'winha-record-'));
  try {
    await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'x'), ''));
    const r = runWinha(['driver', 'record', '--out', join(dir, 'rec')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /driver record \[not-windows\]: not a Windows host \(powershell\.exe not found at /);
    const again = runWinha(['driver', 'record', '--out', dir]);
    assert.equal(again.code, 2);
    assert.match(again.err, /not empty/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
