/** The simulated host reports addresses in canonical text (issue 15 item 10), as the Windows driver decodes them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle } from '../helpers/virtual-time.js';
import { o, twoNodeWorld } from '../sim/two-node-world.js';

test('a VIP added as 2001:DB8::50 is listed, and returned, as 2001:db8::50', async () => {
  const w = twoNodeWorld(3);
  await w.clock.advance(5_000);
  const added = await settle(
    w.clock,
    w.node1.addVirtualIp({ address: '2001:DB8:0::50', prefixLength: 64, interfaceAlias: 'Ethernet' }, o()),
  );
  assert.equal(added.address, '2001:db8::50');
  const list = await settle(w.clock, w.node1.listAddresses(o()));
  assert.ok(
    list.some((a) => a.address === '2001:db8::50'),
    JSON.stringify(list),
  );
});
