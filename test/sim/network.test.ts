import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDriverError } from '../../src/drivers/types.js';
import { settle, settleError } from '../helpers/virtual-time.js';
import { NODE2_IP, VIP, o, twoNodeWorld, webSite } from './two-node-world.js';

const vip = { address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' };

test('a new virtual IP is Tentative during duplicate detection, then Preferred with SkipAsSource', async () => {
  const { clock, node1 } = twoNodeWorld();
  const adding = node1.addVirtualIp(vip, o());
  await clock.advance(10);
  const during = await settle(clock, node1.listAddresses(o()));
  assert.equal(during.find((a) => a.address === VIP)?.addressState, 'Tentative');
  const added = await settle(clock, adding);
  assert.deepEqual([added.addressState, added.skipAsSource], ['Preferred', true]);
});

test('awaitDetection: false returns at once with the address Tentative; it settles on its own (the agent looks again later)', async () => {
  const { clock, node1 } = twoNodeWorld();
  const at = clock.now();
  const added = await settle(clock, node1.addVirtualIp({ ...vip, awaitDetection: false }, o()));
  assert.equal(added.addressState, 'Tentative');
  assert.ok(clock.now() - at < 1000, `the call waited ${clock.now() - at} ms: duplicate address detection takes 1000`);
  await clock.advance(1000);
  const later = await settle(clock, node1.listAddresses(o()));
  assert.equal(later.find((a) => a.address === VIP)?.addressState, 'Preferred');
});

test('the same VIP added on a second node comes up Duplicate and the segment records the conflict', async () => {
  const { clock, node1, node2, inspect } = twoNodeWorld();
  await settle(clock, node1.addVirtualIp(vip, o()));
  const second = await settle(clock, node2.addVirtualIp(vip, o()));
  assert.equal(second.addressState, 'Duplicate');
  const w = await inspect();
  assert.equal(w.addressConflicts.length, 1);
  assert.deepEqual(w.addressConflicts[0]?.holders, ['node1', 'node2']);
  assert.deepEqual(w.addressHolders[VIP], ['node1'], 'only the defender answers');
});

test('probeAddressClaimed sees another node holding the VIP, but not our own copy', async () => {
  const { clock, node1, node2 } = twoNodeWorld();
  await settle(clock, node1.addVirtualIp(vip, o()));
  assert.deepEqual(await settle(clock, node2.probeAddressClaimed(VIP, o())), { claimed: true, byMac: '00-15-5D-00-00-01' });
  assert.deepEqual(await settle(clock, node1.probeAddressClaimed(VIP, o())), { claimed: false });
});

test('ipConflict: a foreign machine claims the VIP; the conflict is recorded and our add comes up Duplicate', async () => {
  const { clock, node1, fault, inspect } = twoNodeWorld();
  await fault({ type: 'ipConflict', address: VIP, claimantMac: 'AA-BB-CC-00-00-01' });
  assert.equal((await settle(clock, node1.probeAddressClaimed(VIP, o()))).byMac, 'AA-BB-CC-00-00-01');
  const added = await settle(clock, node1.addVirtualIp(vip, o()));
  assert.equal(added.addressState, 'Duplicate');
  assert.equal((await inspect()).addressConflicts[0]?.holders[0], 'foreign:AA-BB-CC-00-00-01');
  await fault({ type: 'ipConflictClear', address: VIP });
  assert.equal((await settle(clock, node1.probeAddressClaimed(VIP, o()))).claimed, false);
});

test('adding a VIP is idempotent, removing an absent one succeeds, an unknown interface is refused', async () => {
  const { clock, node1 } = twoNodeWorld();
  await settle(clock, node1.addVirtualIp(vip, o()));
  const again = await settle(clock, node1.addVirtualIp(vip, o()));
  assert.equal(again.addressState, 'Preferred');
  await settle(clock, node1.removeVirtualIp(VIP, o()));
  await settle(clock, node1.removeVirtualIp(VIP, o()));
  assert.equal(
    (await settle(clock, node1.listAddresses(o()))).some((a) => a.address === VIP),
    false,
  );
  const err = await settleError(clock, node1.addVirtualIp({ ...vip, interfaceAlias: 'Wi-Fi' }, o()));
  assert.ok(isDriverError(err, 'InterfaceNotFound'));
});

test('a crashed node loses its VIP (ActiveStore) and answers nothing; driver calls fail HostUnreachable', async () => {
  const { clock, node1, node2, fault, inspect } = twoNodeWorld();
  await settle(clock, node1.addVirtualIp(vip, o()));
  await fault({ type: 'nodeCrash', node: 'node1' });
  assert.equal((await inspect()).addressHolders[VIP], undefined);
  assert.equal((await settle(clock, node2.probeAddressClaimed(VIP, o()))).claimed, false);
  const err = await settleError(clock, node1.listAddresses(o()));
  assert.ok(isDriverError(err, 'HostUnreachable'));
  await fault({ type: 'nodeRestore', node: 'node1' });
  const back = await settle(clock, node1.listAddresses(o()));
  assert.deepEqual(
    back.map((a) => a.address),
    ['10.0.0.11'],
  );
});

test('HTTP probe: any HTTP answer is alive (200, or 400 for an unknown Host); nobody listening is 9757', async () => {
  const { clock, node1, node2 } = twoNodeWorld();
  await clock.advance(5_000);
  const dead = await settle(clock, node2.probeHttp({ address: VIP, port: 80, hostHeader: 'www.example.com' }, o()));
  assert.deepEqual([dead.alive, dead.kitCode], [false, 9757]);
  await settle(clock, node1.addVirtualIp(vip, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.startSite('web1', o()));
  const ok = await settle(clock, node2.probeHttp({ address: VIP, port: 80, hostHeader: 'www.example.com' }, o()));
  assert.deepEqual([ok.alive, ok.statusCode], [true, 200]);
  const wrongHost = await settle(clock, node2.probeHttp({ address: VIP, port: 80, hostHeader: 'other.example.com' }, o()));
  assert.deepEqual([wrongHost.alive, wrongHost.statusCode], [true, 400]);
});

test("TCP probe reaches a live node's management port and fails once it crashes (safety check data)", async () => {
  const { clock, node1, fault } = twoNodeWorld();
  assert.equal((await settle(clock, node1.probeTcp({ address: NODE2_IP, port: 5985 }, o()))).alive, true);
  assert.equal((await settle(clock, node1.probeTcp({ address: NODE2_IP, port: 81 }, o()))).alive, false);
  await fault({ type: 'nodeCrash', node: 'node2' });
  assert.equal((await settle(clock, node1.probeTcp({ address: NODE2_IP, port: 5985 }, o()))).alive, false);
});

test('FTP probe without an FTP site gets no 230 line and reports 9760', async () => {
  const { clock, node1 } = twoNodeWorld();
  const r = await settle(clock, node1.probeFtp({ address: VIP, port: 21 }, o()));
  assert.deepEqual([r.alive, r.kitCode], [false, 9760]);
});
