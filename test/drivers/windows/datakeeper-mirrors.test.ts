import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { isDriverError, type CallOptions } from '../../../src/drivers/types.js';
import { settle, settleError } from '../../helpers/virtual-time.js';
import { ScriptedRunner, text } from '../scripted-runner.js';

const o: CallOptions = { epoch: 3, timeoutMs: 30_000 };
const make = (runner: ScriptedRunner) => {
  const clock = new VirtualClock();
  return {
    clock,
    driver: new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock, retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } }),
  };
};
const fixture = (name: string) => readFileSync(new URL(`../../../../test/drivers/windows/fixtures/emcmd/${name}`, import.meta.url), 'utf8');
const resyncing = [
  'Resync Status for Volume E:',
  'Target 0 (Target System 10.0.0.12)',
  'ResyncPhase : 2',
  'BitmapPass : 0',
  'NumberOfBlocks : 8192',
  'DirtyBlocks : 1024',
  'CurrentBlock : 1023',
  'NewWrites : 0',
].join('\r\n');
const noSourceVolumes = text('Status = 0\r\n');
const noTargetVolumes = text('** Calling GetTargetMirroredVolumes **\r\nReturned 0 Target Volumes\r\n');
const create = { volume: 'E', sourceAddress: '10.0.0.11', targetAddress: '10.0.0.12', mode: 'Asynchronous' } as const;

test('GETMIRRORTYPE failing does not drop the mirror: targets keep their state, mode is left out', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text('E: 1 node1 10.0.0.12 1\r\n'))
    .on('emcmd:GETMIRRORTYPE', text('Access is denied.\r\n', 5));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.getMirrorInfo('E', o));
  assert.deepEqual(info, { volume: 'E', role: 'source', sourceSystem: 'node1', targets: [{ targetAddress: '10.0.0.12', state: 1 }] });
});

test('GETRESYNCSTATUS failing does not drop the mirror: the resyncing target is reported without progress', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text('E: 1 node1 10.0.0.12 2\r\n'))
    .on('emcmd:GETMIRRORTYPE', text('Target system 10.0.0.12, Type 2\r\n'))
    .on('emcmd:GETRESYNCSTATUS', text('Invalid command\r\n'), text(resyncing));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.getMirrorInfo('E', o));
  assert.deepEqual(info.targets, [{ targetAddress: '10.0.0.12', state: 2, mode: 'Asynchronous' }]);
  const again = await settle(clock, driver.getMirrorInfo('E', o));
  assert.equal(again.targets[0]?.resync?.dirtyBlocks, 1024);
});

test('GETMIRRORVOLINFO denied is an error, never "not mirrored": CREATEMIRROR does not run', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text('Access is denied.\r\n', 5))
    .on('emcmd:CREATEMIRROR', text('Status = 0\r\n'));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.createMirror(create, o));
  assert.ok(isDriverError(e, 'CommandFailed') && /GETMIRRORVOLINFO.*"Access is denied\."/.test(e.message), String(e));
  assert.equal(runner.calls.filter((c) => c.key === 'emcmd:CREATEMIRROR').length, 0);
});

test('GETMIRRORVOLINFO printing nothing is "not mirrored" only when both volume listings leave the volume out', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text(''))
    .on('emcmd:GETSOURCEMIRROREDVOLUMES', noSourceVolumes)
    .on('emcmd:GETTARGETMIRROREDVOLUMES', noTargetVolumes)
    .on('emcmd:CREATEMIRROR', text('Status = 0\r\n'));
  const { clock, driver } = make(runner);
  assert.deepEqual(await settle(clock, driver.getMirrorInfo('E', o)), { volume: 'E', role: 'none', targets: [] });
  assert.deepEqual(
    runner.calls.map((c) => c.key),
    ['emcmd:GETMIRRORVOLINFO', 'emcmd:GETSOURCEMIRROREDVOLUMES', 'emcmd:GETTARGETMIRROREDVOLUMES'],
  );
  await settle(clock, driver.createMirror(create, o));
  assert.equal(runner.calls.at(-1)?.key, 'emcmd:CREATEMIRROR');
});

test('GETMIRRORVOLINFO printing nothing while a listing shows the volume, or a listing failing, is an error', async () => {
  const listed = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text(''))
    .on('emcmd:GETSOURCEMIRROREDVOLUMES', noSourceVolumes)
    .on('emcmd:GETTARGETMIRROREDVOLUMES', text(fixture('GETTARGETMIRROREDVOLUMES.txt').replace('F:', 'E:')))
    .on('emcmd:CREATEMIRROR', text('Status = 0\r\n'));
  const a = make(listed);
  const e = await settleError(a.clock, a.driver.createMirror(create, o));
  assert.ok(isDriverError(e) && /E:.*GETTARGETMIRROREDVOLUMES/.test(e.message), String(e));
  assert.equal(listed.calls.filter((c) => c.key === 'emcmd:CREATEMIRROR').length, 0);

  const denied = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text(''))
    .on('emcmd:GETSOURCEMIRROREDVOLUMES', text('Access is denied.\r\n', 5))
    .on('emcmd:GETTARGETMIRROREDVOLUMES', noTargetVolumes);
  const b = make(denied);
  const f = await settleError(b.clock, b.driver.getMirrorInfo('E', o));
  assert.ok(isDriverError(f, 'CommandFailed') && /GETSOURCEMIRROREDVOLUMES/.test(f.message), String(f));
});

test('a GETMIRRORVOLINFO row in state 0 (documented "No mirror") reads as not mirrored', async () => {
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text(fixture('GETMIRRORVOLINFO-state0-reconstructed.txt')))
    .on('emcmd:GETMIRRORTYPE', text('Target system 10.0.0.12, Type 0\r\n'));
  const { clock, driver } = make(runner);
  assert.deepEqual(await settle(clock, driver.getMirrorInfo('E', o)), { volume: 'E', role: 'none', targets: [] });
});

test('an ambiguous glued name+IP is settled by the target list of GETMIRRORTYPE, and refused when it cannot be', async () => {
  const glued = fixture('GETMIRRORVOLINFO-glued-digit-name-reconstructed.txt');
  const runner = new ScriptedRunner()
    .on('emcmd:GETMIRRORVOLINFO', text(glued))
    .on('emcmd:GETMIRRORTYPE', text('Target system 10.0.0.2, Type 1\r\n'), text('Access is denied.\r\n'));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.getMirrorInfo('E', o));
  assert.deepEqual([info.sourceSystem, info.targets], ['NODE1', [{ targetAddress: '10.0.0.2', state: 1, mode: 'Synchronous' }]]);
  const e = await settleError(clock, driver.getMirrorInfo('E', o));
  assert.ok(isDriverError(e, 'ParseError') && /NODE110\.0\.0\.2/.test(e.message), String(e));
});
