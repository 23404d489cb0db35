/** Addresses the Windows host reports are canonical once decoded (issue 15 item 10), whatever text form PowerShell printed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { fromBindingInformation } from '../../../src/drivers/windows/binding-information.js';
import { settle } from '../../helpers/virtual-time.js';
import { ScriptedRunner, psValue } from '../scripted-runner.js';

test('listAddresses decodes every address to its canonical text', async () => {
  const row = (address: string) => ({
    address,
    prefixLength: 64,
    interfaceAlias: 'Ethernet',
    addressState: 'Preferred',
    skipAsSource: false,
  });
  const runner = new ScriptedRunner().on('ps:net.addresses', psValue([row('2001:DB8:0:0::1'), row('10.0.0.50')]));
  const clock = new VirtualClock();
  const driver = new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock });
  const list = await settle(clock, driver.listAddresses({ epoch: 1, timeoutMs: 30_000 }));
  assert.deepEqual(
    list.map((a) => a.address),
    ['2001:db8::1', '10.0.0.50'],
  );
});

test('bindingInformation: a bracketed IPv6 address is decoded canonical; * stays *', () => {
  assert.equal(fromBindingInformation('https', '[2001:DB8::0:1]:443:www.example.com')?.address, '2001:db8::1');
  assert.equal(fromBindingInformation('http', '*:80:')?.address, '*');
});
