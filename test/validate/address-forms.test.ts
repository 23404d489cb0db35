/** Validation compares addresses in canonical text (issue 15 item 10): one address in two spellings is one address. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, expectOnly, find, pointsAt, run, type Obj } from '../support/validate-set.js';

const vip = (name: string, address: string): Obj => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name },
  spec: { group: 'web', address, prefixLength: 64 },
});

test('duplicate-virtual-ip: one IPv6 address written with an embedded IPv4 tail and in hex', () => {
  const objs = base();
  objs.push(vip('v6-a', '2001:DB8::192.0.2.1'), vip('v6-b', '2001:db8:0:0::c000:201'));
  const r = run(objs);
  const ps = expectOnly(r, 'duplicate-virtual-ip', 2);
  assert.deepEqual(ps.map((p) => p.name).sort(), ['v6-a', 'v6-b']);
  pointsAt(r, ps[0]!, '2001:DB8::192.0.2.1');
});

test('duplicate-virtual-ip: an IPv4-mapped IPv6 address is the IPv4 address it carries', () => {
  const objs = base();
  const mapped = vip('web-vip-mapped', '::ffff:10.0.0.50');
  mapped.spec.prefixLength = 24;
  objs.push(mapped);
  expectOnly(run(objs), 'duplicate-virtual-ip', 2);
});

test('a binding spelled differently from its VIP still names that VIP', () => {
  const objs = base();
  objs.push(vip('web-vip6', '2001:db8::c000:201'));
  find(objs, 'IISSite', 'website1').spec.bindings.push({ protocol: 'http', address: '2001:DB8:0::192.0.2.1', port: 80 });
  expectOnly(run(objs), 'binding-address-not-virtual', 0);
});
