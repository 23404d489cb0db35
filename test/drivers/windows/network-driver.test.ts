/**
 * The Windows driver's decoding of net.* answers (issue 15 items 2 and 10). The answers are reconstructed from
 * the scripts' output shapes (no Windows node was available), like test/drivers/windows-recordings.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { isDriverError, type CallOptions } from '../../../src/drivers/types.js';
import { settle, settleError } from '../../helpers/virtual-time.js';
import { ScriptedRunner, psError, psValue } from '../scripted-runner.js';

const o: CallOptions = { epoch: 3, timeoutMs: 30_000 };
const make = (runner: ScriptedRunner) => {
  const clock = new VirtualClock();
  const driver = new WindowsHostDriver({
    nodeName: 'node1',
    runner,
    host: runner,
    clock,
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
  });
  return { clock, driver };
};
const params = (r: ScriptedRunner, key: string) =>
  (JSON.parse(r.calls.find((c) => c.key === key)!.stdin) as { params: Record<string, unknown> }).params;

// ───────────── probeAddressClaimed: an error is never "silent" ─────────────

test('a failed neighbour probe (SendARP error) rejects: it is unknown, never claimed:false', async () => {
  const runner = new ScriptedRunner().on(
    'ps:net.claimed',
    psError('System.ComponentModel.Win32Exception', 'SendARP for 10.0.0.50 failed: The parameter is incorrect (87)'),
  );
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.probeAddressClaimed('10.0.0.50', o));
  assert.ok(isDriverError(e, 'CommandFailed') && /SendARP/.test(e.message), String(e));
});

test('an answer that is not {claimed: boolean} is a ParseError, not claimed:false', async () => {
  for (const bad of [null, {}, { claimed: 'false' }, { claimed: 0 }, { claimed: true }, { claimed: true, byMac: 'garbage' }]) {
    const { clock, driver } = make(new ScriptedRunner().on('ps:net.claimed', psValue(bad)));
    const e = await settleError(clock, driver.probeAddressClaimed('10.0.0.50', o));
    assert.ok(isDriverError(e, 'ParseError'), `${JSON.stringify(bad)}: ${String(e)}`);
  }
});

test('claimed by another MAC: byMac in AA-BB-CC-DD-EE-FF form; nobody answering is claimed:false', async () => {
  const runner = new ScriptedRunner().on(
    'ps:net.claimed',
    psValue({ claimed: true, byMac: 'aa-bb-cc-00-00-01' }),
    psValue({ claimed: false }),
  );
  const { clock, driver } = make(runner);
  assert.deepEqual(await settle(clock, driver.probeAddressClaimed('10.0.0.50', o)), { claimed: true, byMac: 'AA-BB-CC-00-00-01' });
  assert.deepEqual(await settle(clock, driver.probeAddressClaimed('fd00::50', o)), { claimed: false });
});

// ───────────── addVirtualIp: the exact adapter, by index ─────────────

const adapters = [
  { alias: 'Team 1', index: 5, status: 'Up', macAddress: '00-15-5D-00-00-05' },
  { alias: 'Team [A]*', index: 12, status: 'Up', macAddress: '00-15-5D-00-00-0C' },
  { alias: 'Team A', index: 13, status: 'Up', macAddress: '00-15-5D-00-00-0D' },
];
const present = (interfaceAlias: string) =>
  psValue({
    outcome: 'present',
    interfaceIndex: 12,
    address: { address: '10.0.0.50', prefixLength: 24, interfaceAlias, addressState: 'Preferred', skipAsSource: true },
  });

test('an alias with wildcard characters travels as data and the VIP goes on that exact adapter, by index', async () => {
  const runner = new ScriptedRunner().on('ps:net.interfaces', psValue(adapters)).on('ps:net.add', present('Team [A]*'));
  const { clock, driver } = make(runner);
  const info = await settle(clock, driver.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Team [A]*' }, o));
  assert.equal(info.interfaceAlias, 'Team [A]*');
  assert.deepEqual(params(runner, 'ps:net.add'), {
    address: '10.0.0.50',
    prefixLength: 24,
    interfaceIndex: 12,
    interfaceAlias: 'Team [A]*',
    waitMs: 24_000,
  });
});

test('awaitDetection: false asks the script for no wait (waitMs 0): it adds and reads the state once, never polls', async () => {
  const runner = new ScriptedRunner().on('ps:net.interfaces', psValue(adapters)).on('ps:net.add', present('Team [A]*'));
  const { clock, driver } = make(runner);
  await settle(
    clock,
    driver.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Team [A]*', awaitDetection: false }, o),
  );
  assert.equal((params(runner, 'ps:net.add') as { waitMs: number }).waitMs, 0);
});

test('an alias no adapter has exactly is InterfaceNotFound, without asking the host to add anything', async () => {
  const runner = new ScriptedRunner().on('ps:net.interfaces', psValue(adapters)).on('ps:net.add', present('Team A'));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Team ?' }, o));
  assert.ok(isDriverError(e, 'InterfaceNotFound'), String(e));
  assert.equal(runner.calls.filter((c) => c.key === 'ps:net.add').length, 0);
});

test('the host answering with the address on another adapter is refused, not reported as added', async () => {
  const runner = new ScriptedRunner().on('ps:net.interfaces', psValue(adapters)).on('ps:net.add', present('Team A'));
  const { clock, driver } = make(runner);
  const e = await settleError(clock, driver.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Team [A]*' }, o));
  assert.ok(isDriverError(e, 'CommandFailed') && /Team A/.test(e.message), String(e));
});
