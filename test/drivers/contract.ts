/**
 * One contract for every HostDriver: the same situations must give the same
 * typed answers from the simulated driver and from the Windows driver
 * (replaying outputs recorded on Windows). A fixture puts a fresh node into a
 * named situation and hands back its driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDriverError, type CallOptions, type HostDriver, type SiteInfo } from '../../src/drivers/types.js';

export const VIP = '10.0.0.50';
export const PEER_IP = '10.0.0.12';
export const FOREIGN_MAC = 'AA-BB-CC-00-00-01';

/**
 * - webNodeReady: W3SVC running (Auto), VIP 10.0.0.50/24 Preferred on "Ethernet", site web1 defined and Stopped.
 * - webSiteServing: as webNodeReady, with web1 Started.
 * - bindingHeld: as webNodeReady, plus a started site "squatter" holding web1's binding.
 * - noSites: W3SVC running, no sites.
 * - vipClaimedElsewhere: a machine with MAC AA-BB-CC-00-00-01 answers for 10.0.0.50.
 * - mirrorSource: E: mirrored from this node (node1) to 10.0.0.12, synchronous, Mirroring.
 * - mirrorTargetPaused: E: target of node2's mirror (from 10.0.0.12 to this node's 10.0.0.11), which node2 paused.
 * - mirrorResyncing: E: source, a full resync in progress.
 * - noMirror: E: not mirrored.
 */
export type Situation =
  | 'webNodeReady'
  | 'webSiteServing'
  | 'bindingHeld'
  | 'noSites'
  | 'vipClaimedElsewhere'
  | 'mirrorSource'
  | 'mirrorTargetPaused'
  | 'mirrorResyncing'
  | 'noMirror';

export interface ContractNode {
  driver: HostDriver;
  /** Resolve a driver call (drives virtual time as needed). */
  settle<T>(p: Promise<T>): Promise<T>;
}

export interface ContractFixture {
  name: string;
  situation(s: Situation): Promise<ContractNode>;
}

const o: CallOptions = { epoch: 1, timeoutMs: 60_000 };

export const WEB1: SiteInfo = {
  id: 1,
  name: 'web1',
  state: 'Stopped',
  bindings: [{ protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' }],
  physicalPath: 'E:\\wwwroot\\web1',
  serverAutoStart: false,
  applicationPool: 'web1',
};

async function rejection(n: ContractNode, p: Promise<unknown>): Promise<unknown> {
  try {
    await n.settle(p);
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

export function driverContract(fx: ContractFixture): void {
  const t = (title: string, fn: () => Promise<void>): void => void test(`[${fx.name}] ${title}`, fn);

  t('queryService reports W3SVC Running (4) with its start mode', async () => {
    const n = await fx.situation('webNodeReady');
    assert.deepEqual(await n.settle(n.driver.queryService('W3SVC', o)), { name: 'W3SVC', state: 4, startMode: 'Auto' });
  });

  t('listSites returns the site with bindings, path, pool and serverAutoStart', async () => {
    const n = await fx.situation('webNodeReady');
    assert.deepEqual(await n.settle(n.driver.listSites(o)), [WEB1]);
  });

  t('startSite brings a ready site to Started', async () => {
    const n = await fx.situation('webNodeReady');
    assert.deepEqual(await n.settle(n.driver.startSite('web1', o)), { ...WEB1, state: 'Started' });
  });

  t('stopSite stops a serving site (never the service)', async () => {
    const n = await fx.situation('webSiteServing');
    assert.deepEqual(await n.settle(n.driver.stopSite('web1', o)), WEB1);
  });

  t('startSite is refused with 9422 when another started site holds the binding', async () => {
    const n = await fx.situation('bindingHeld');
    const e = await rejection(n, n.driver.startSite('web1', o));
    assert.ok(isDriverError(e, 'BindingConflict'), String(e));
    assert.equal(e.kitCode, 9422);
    assert.equal(e.detail?.activeSite, 'squatter');
  });

  t('a missing site: startSite 9414 (9609 in recover), stopSite treats it as stopped (9563)', async () => {
    const n = await fx.situation('noSites');
    const e = await rejection(n, n.driver.startSite('web1', o));
    assert.ok(isDriverError(e, 'SiteNotFound') && e.kitCode === 9414, String(e));
    const r = await rejection(n, n.driver.startSite('web1', { ...o, kitOperation: 'recover' }));
    assert.ok(isDriverError(r, 'SiteNotFound') && r.kitCode === 9609, String(r));
    assert.equal(await n.settle(n.driver.stopSite('web1', o)), undefined);
  });

  t('listAddresses shows the VIP Preferred with SkipAsSource', async () => {
    const n = await fx.situation('webNodeReady');
    const vip = (await n.settle(n.driver.listAddresses(o))).find((a) => a.address === VIP);
    assert.deepEqual(vip, { address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: true });
  });

  t('a VIP another machine answers for is reported claimed, and adding it ends Duplicate', async () => {
    const n = await fx.situation('vipClaimedElsewhere');
    assert.deepEqual(await n.settle(n.driver.probeAddressClaimed(VIP, o)), { claimed: true, byMac: FOREIGN_MAC });
    const added = await n.settle(n.driver.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o));
    assert.equal(added.addressState, 'Duplicate');
  });

  t('HTTP probe of a serving site is alive with status 200; TCP to its port is alive', async () => {
    const n = await fx.situation('webSiteServing');
    const r = await n.settle(n.driver.probeHttp({ address: VIP, port: 80, hostHeader: 'www.example.com' }, o));
    assert.deepEqual([r.alive, r.statusCode, r.kitCode], [true, 200, undefined]);
    assert.deepEqual(await n.settle(n.driver.probeTcp({ address: VIP, port: 80 }, o)), { alive: true });
  });

  t('HTTP probe with nobody listening fails with 9757; FTP without a 230 line fails with 9760', async () => {
    const n = await fx.situation('noSites');
    const r = await n.settle(n.driver.probeHttp({ address: VIP, port: 80, hostHeader: 'www.example.com' }, o));
    assert.deepEqual([r.alive, r.kitCode], [false, 9757]);
    const f = await n.settle(n.driver.probeFtp({ address: VIP, port: 21 }, o));
    assert.deepEqual([f.alive, f.kitCode], [false, 9760]);
  });

  t('getMirrorInfo on the source: role, source system, target address, state Mirroring, mode', async () => {
    const n = await fx.situation('mirrorSource');
    assert.deepEqual(await n.settle(n.driver.getMirrorInfo('E', o)), {
      volume: 'E',
      role: 'source',
      sourceSystem: 'node1',
      targets: [{ targetAddress: PEER_IP, state: 1, mode: 'Synchronous' }],
    });
  });

  t('switchover on the source is refused (svc 265); pause on the source works', async () => {
    const n = await fx.situation('mirrorSource');
    const e = await rejection(n, n.driver.switchoverMirror('E', false, o));
    assert.ok(isDriverError(e, 'MirrorWrongRole'), String(e));
    await n.settle(n.driver.pauseMirror('E', o));
  });

  t('a paused target: role target, state 4; switchover refused unless Mirroring; pause refused on a target', async () => {
    const n = await fx.situation('mirrorTargetPaused');
    const info = await n.settle(n.driver.getMirrorInfo('E', o));
    assert.deepEqual([info.role, info.sourceSystem, info.targets[0]?.state], ['target', 'node2', 4]);
    const e = await rejection(n, n.driver.switchoverMirror('E', false, o));
    assert.ok(isDriverError(e, 'MirrorNotMirroring'), String(e));
    const p = await rejection(n, n.driver.pauseMirror('E', o));
    assert.ok(isDriverError(p, 'MirrorWrongRole'), String(p));
  });

  t('a resyncing source reports state 2 with progress between 0 and 1', async () => {
    const n = await fx.situation('mirrorResyncing');
    const target = (await n.settle(n.driver.getMirrorInfo('E', o))).targets[0];
    assert.equal(target?.state, 2);
    const p = target?.resync;
    assert.ok(p && p.fraction > 0 && p.fraction < 1 && p.dirtyBlocks > 0 && p.numberOfBlocks === 8192, JSON.stringify(p));
  });

  t('no mirror: role none with no targets; mirror commands say MirrorNotFound', async () => {
    const n = await fx.situation('noMirror');
    assert.deepEqual(await n.settle(n.driver.getMirrorInfo('E', o)), { volume: 'E', role: 'none', targets: [] });
    const e = await rejection(n, n.driver.continueMirror('E', o));
    assert.ok(isDriverError(e, 'MirrorNotFound'), String(e));
  });

  t('bad values are refused before anything runs: a volume with a colon, a site name with a quote', async () => {
    const n = await fx.situation('noMirror');
    assert.ok(isDriverError(await rejection(n, n.driver.getMirrorInfo('E:', o)), 'InvalidArgument'));
    assert.ok(isDriverError(await rejection(n, n.driver.startSite("web1'; Stop-Computer", o)), 'InvalidArgument'));
  });
}
