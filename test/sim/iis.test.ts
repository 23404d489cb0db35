import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceState, isDriverError } from '../../src/drivers/types.js';
import { settle, settleError } from '../helpers/virtual-time.js';
import { VIP, o, twoNodeWorld, webSite } from './two-node-world.js';
import { restore } from '../../src/reconcilers/iis-kit.js';
import type { IISSite } from '../../src/api/types.js';

test('a service passes through START_PENDING before RUNNING, and startService waits it out', async () => {
  const { clock, node1 } = twoNodeWorld();
  await settle(clock, node1.stopService('W3SVC', o()));
  const starting = node1.startService('W3SVC', o());
  await clock.advance(10);
  const midway = await settle(clock, node1.queryService('W3SVC', o()));
  assert.equal(midway.state, ServiceState.StartPending);
  const done = await settle(clock, starting);
  assert.equal(done.state, ServiceState.Running);
});

test('stopService reports STOP_PENDING on the way and ends Stopped', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  const stopping = node1.stopService('W3SVC', o());
  await clock.advance(10);
  assert.equal((await settle(clock, node1.queryService('W3SVC', o()))).state, ServiceState.StopPending);
  assert.equal((await settle(clock, stopping)).state, ServiceState.Stopped);
});

test("a service start slower than the caller's timeout fails with Timeout, not a hang", async () => {
  const { clock, node1 } = twoNodeWorld();
  await settle(clock, node1.stopService('W3SVC', o()));
  const err = await settleError(clock, node1.startService('W3SVC', o(1, 100)));
  assert.ok(isDriverError(err, 'Timeout'), String(err));
});

test('a site with its VIP present starts; the kit verifies it Started', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  const site = await settle(clock, node1.startSite('web1', o()));
  assert.equal(site.state, 'Started');
});

test('a site whose binding address is not on the host does not start (9706; 9606 in recover)', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.ensureSite(webSite(), o()));
  const err = await settleError(clock, node1.startSite('web1', o()));
  assert.ok(isDriverError(err, 'BindingAddressMissing'));
  assert.equal(err.kitCode, 9706);
  const rec = await settleError(clock, node1.startSite('web1', { ...o(), kitOperation: 'recover' }));
  assert.ok(isDriverError(rec) && rec.kitCode === 9606);
});

test('starting a site that does not exist is 9414 in restore and 9609 in recover', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  const err = await settleError(clock, node1.startSite('nosuch', o()));
  assert.ok(isDriverError(err, 'SiteNotFound') && err.kitCode === 9414);
  const rec = await settleError(clock, node1.startSite('nosuch', { ...o(), kitOperation: 'recover' }));
  assert.ok(isDriverError(rec, 'SiteNotFound') && rec.kitCode === 9609);
});

test('a site does not start while its service is stopped', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.stopService('W3SVC', o()));
  const err = await settleError(clock, node1.startSite('web1', o()));
  assert.ok(isDriverError(err, 'ServiceNotRunning'), String(err));
});

test('a second site on the same IP:port:host is refused with kit 9422 naming the holder', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.ensureSite(webSite({ name: 'web2', physicalPath: 'E:\\wwwroot\\web2' }), o()));
  await settle(clock, node1.startSite('web1', o()));
  const err = await settleError(clock, node1.startSite('web2', o()));
  assert.ok(isDriverError(err, 'BindingConflict'));
  assert.equal(err.kitCode, 9422);
  assert.equal(err.detail?.activeSite, 'web1');
});

test('serverAutoStart is honoured when the service starts, and only for sites that have it', async () => {
  const { clock, node1, fault } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite({ serverAutoStart: true }), o()));
  await settle(
    clock,
    node1.ensureSite(webSite({ name: 'manual', bindings: [{ protocol: 'http', address: VIP, port: 8080, hostHeader: '' }] }), o()),
  );
  await settle(clock, node1.startSite('manual', o()));
  await fault({ type: 'serviceStop', node: 'node1', service: 'W3SVC' });
  const afterCrash = await settle(clock, node1.listSites(o()));
  assert.deepEqual(
    afterCrash.map((s) => s.state),
    ['Stopped', 'Stopped'],
  );
  await settle(clock, node1.startService('W3SVC', o()));
  const sites = await settle(clock, node1.listSites(o()));
  assert.equal(sites.find((s) => s.name === 'web1')?.state, 'Started');
  assert.equal(sites.find((s) => s.name === 'manual')?.state, 'Stopped');
});

test('serverAutoStart on a rebooted node starts nothing when its VIP is gone (safe standby)', async () => {
  const { clock, node1, fault, world } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite({ serverAutoStart: true }), o()));
  await settle(clock, node1.startSite('web1', o()));
  await fault({ type: 'nodeCrash', node: 'node1' });
  await fault({ type: 'nodeRestore', node: 'node1' });
  await clock.advance(5_000);
  const sites = await settle(clock, node1.listSites(o()));
  assert.equal(sites[0]?.state, 'Stopped');
  assert.ok(world.eventLog('node1').some((l) => l.includes('web1 failed to start automatically')));
});

test('ensureSite creates once, then reports exactly what it changed, and never starts the site', async () => {
  const { clock, node1 } = twoNodeWorld();
  const first = await settle(clock, node1.ensureSite(webSite(), o()));
  assert.equal(first.created, true);
  assert.equal(first.site.state, 'Stopped');
  const same = await settle(clock, node1.ensureSite(webSite(), o()));
  assert.deepEqual([same.created, same.changed], [false, []]);
  const moved = await settle(clock, node1.ensureSite(webSite({ physicalPath: 'F:\\web1' }), o()));
  assert.deepEqual(moved.changed, ['physicalPath']);
});

test('stopSite stops the site, never the service; a missing site counts as stopped (9563)', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.startSite('web1', o()));
  const stopped = await settle(clock, node1.stopSite('web1', o()));
  assert.equal(stopped?.state, 'Stopped');
  assert.equal((await settle(clock, node1.queryService('W3SVC', o()))).state, ServiceState.Running);
  assert.equal(await settle(clock, node1.stopSite('gone', o())), undefined);
});

test('an FTP site reports its FTP protocol state and is served by FTPSVC', async () => {
  const { clock, node1 } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(
    clock,
    node1.ensureSite(
      {
        name: 'ftp1',
        bindings: [{ protocol: 'ftp', address: VIP, port: 21, hostHeader: '' }],
        physicalPath: 'E:\\ftp',
        applicationPool: '',
        serverAutoStart: false,
      },
      o(),
    ),
  );
  const refused = await settleError(clock, node1.startSite('ftp1', o()));
  assert.ok(isDriverError(refused, 'ServiceNotRunning'), 'FTPSVC is Manual and not running');
  await settle(clock, node1.startService('FTPSVC', o()));
  const site = await settle(clock, node1.startSite('ftp1', o()));
  assert.equal(site.ftpState, 'Started');
  const probe = await settle(clock, node1.probeFtp({ address: VIP, port: 21 }, o()));
  assert.equal(probe.alive, true);
  assert.ok(probe.responseLines.some((l) => l.startsWith('230 ')));
});

test('bindingSteal: a squatter takes the binding, and restarting ours is refused with 9422', async () => {
  const { clock, node1, fault } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.startSite('web1', o()));
  await fault({ type: 'bindingSteal', node: 'node1', site: 'web1' });
  const sites = await settle(clock, node1.listSites(o()));
  assert.equal(sites.find((s) => s.name === 'web1')?.state, 'Stopped');
  assert.ok(sites.some((s) => s.name.startsWith('squatter') && s.state === 'Started'));
  const err = await settleError(clock, node1.startSite('web1', o()));
  assert.ok(isDriverError(err, 'BindingConflict') && err.kitCode === 9422);
});

test('siteDelete and siteStop faults are what the next listSites shows', async () => {
  const { clock, node1, fault } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(clock, node1.ensureSite(webSite(), o()));
  await settle(clock, node1.startSite('web1', o()));
  await fault({ type: 'siteStop', node: 'node1', site: 'web1' });
  assert.equal((await settle(clock, node1.listSites(o())))[0]?.state, 'Stopped');
  await fault({ type: 'siteDelete', node: 'node1', site: 'web1' });
  assert.deepEqual(await settle(clock, node1.listSites(o())), []);
});

test("two groups activating on one host at once (the agent's workers): both VIPs through DAD together, both sites start W3SVC together", async () => {
  const { clock, node1, inspect } = twoNodeWorld();
  await clock.advance(5_000);
  await settle(clock, node1.stopService('W3SVC', o()));
  const vip2 = '10.0.0.51';
  const site = (name: string, address: string): IISSite => ({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name, namespace: 'default' },
    spec: { group: name, siteName: name, bindings: [{ protocol: 'http', address, port: 80 }], physicalPath: `E:\\wwwroot\\${name}` },
  });
  const activate = async (name: string, address: string) => {
    const ip = await node1.addVirtualIp({ address, prefixLength: 24, interfaceAlias: 'Ethernet' }, o());
    await node1.ensureSite(webSite({ name, bindings: [{ protocol: 'http', address, port: 80, hostHeader: '' }] }), o());
    return { ip, restored: await restore(node1, site(name, address), o(), 60_000) };
  };
  const began = clock.now();
  const [a, b] = await settle(clock, Promise.all([activate('web1', VIP), activate('web2', vip2)]), 10);
  assert.equal(a.ip.addressState, 'Preferred');
  assert.equal(b.ip.addressState, 'Preferred');
  assert.deepEqual([a.restored.ok, b.restored.ok], [true, true], `${a.restored.message} / ${b.restored.message}`);
  // Together, not one after the other: one DAD wait (1 s) then one service start (1.5–1.9 s); in turn about 4.5 s.
  assert.ok(clock.now() - began < 3_000, `took ${clock.now() - began} ms`);
  assert.equal((await settle(clock, node1.queryService('W3SVC', o()))).state, ServiceState.Running);
  const insp = await inspect();
  assert.deepEqual(insp.startedSites['node1']?.sort(), ['web1', 'web2']);
  assert.deepEqual(insp.addressConflicts, []);
});
