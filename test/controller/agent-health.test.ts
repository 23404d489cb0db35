/**
 * Acceptance rows H2, H3, H5, H6, H7, H8, H9, H10 with real agents (memory
 * store, simulated hosts, virtual time): health checks, local recovery,
 * failover, the kit's codes in events, conditions and node states.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callWorld } from '../../src/drivers/sim/world-protocol.js';
import { harness, cond, ready, mirroring, VIP, WEBSITE1, type Harness } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
/** Short check intervals (IISSite overrides) so a row plays out in a few virtual seconds. */
const QUICK_CHECKS = { checks: { quickCheckIntervalSeconds: 2, deepCheckIntervalSeconds: 4 } };
const SWIFT_DK = { switchoverUnreachableMs: 500 };

const node = async (h: Harness, name: string) =>
  ((await h.group()).status?.['nodes'] as Record<string, any>[] | undefined)?.find((n) => n['name'] === name);
const hasCode = (h: Harness, reason: string, code: number, on?: string) =>
  h.hasEvent((e) => e['reason'] === reason && e['code'] === code && (on === undefined || e['node'] === on));

describe('agents: health checks, local recovery, failover (virtual time)', () => {
  it('H2: site stopped on the active node (W3SVC running): quickCheck 9704, recovery starts the site, no failover', async () => {
    const h = await harness({ timing: FAST, site: QUICK_CHECKS });
    try {
      await ready(h, 'node1');
      await h.run(3000);
      await h.fault({ type: 'siteStop', node: 'node1', site: 'website1' });
      await h.until(async () => hasCode(h, 'QuickCheckFailed', 9704, 'node1'), 10_000);
      await h.until(async () => h.hasEvent((e) => e['reason'] === 'Recovered' && e['node'] === 'node1'), 10_000);
      await ready(h, 'node1');
      assert.deepEqual(await h.serving(), ['node1']);
      assert.equal((await node(h, 'node1'))?.['failures'], 1);
      assert.ok(!(await h.reasons()).includes('Failover'));
    } finally {
      await h.stopAll();
    }
  });

  it('H3: site deleted from IIS on the active node (Adopted): 9707, recovery fails 9609, failover to node2; removal on node1 warns 9563 but succeeds', async () => {
    const h = await harness({
      timing: FAST,
      site: QUICK_CHECKS,
      management: 'Adopted',
      worldTiming: SWIFT_DK,
      hostSites: { node1: [WEBSITE1], node2: [WEBSITE1] },
    });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.fault({ type: 'siteDelete', node: 'node1', site: 'website1' });
      await ready(h, 'node2', 30_000);
      assert.ok(await hasCode(h, 'QuickCheckFailed', 9707, 'node1'), 'quickCheck 9707');
      assert.ok(await hasCode(h, 'RecoveryFailed', 9609, 'node1'), 'recovery 9609');
      assert.ok(await hasCode(h, 'SiteMissing', 9563, 'node1'), 'removal warns 9563');
      assert.ok(await h.hasEvent((e) => e['reason'] === 'RemoveSucceeded' && e['node'] === 'node1'), 'and succeeds');
      assert.deepEqual(await h.serving(), ['node2']);
      assert.deepEqual((await h.inspect()).addressHolders[VIP], ['node2']);
      assert.ok((await node(h, 'node1'))?.['bannedUntil'], 'node1 is banned');
    } finally {
      await h.stopAll();
    }
  });

  it('H3 with a lagging watch and no standby: the node that banned itself does not take the group back before its cache shows the ban', async () => {
    const h = await harness({
      timing: FAST,
      site: QUICK_CHECKS,
      management: 'Adopted',
      worldTiming: SWIFT_DK,
      hostSites: { node1: [WEBSITE1], node2: [WEBSITE1] },
    });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      // node2 is gone from the store (its node lease runs out), so nobody else is eligible after node1's ban,
      // and node1's own watch lags: its cached status does not show the ban it writes.
      h.cutStore('node2', true);
      await h.run(2 * FAST.leaseDurationSeconds * 1000);
      h.holdWatch('node1', true);
      await h.fault({ type: 'siteDelete', node: 'node1', site: 'website1' });
      await h.until(async () => h.hasEvent((e) => e['reason'] === 'Banned' && e['node'] === 'node1'), 20_000);
      await h.run(10_000);
      assert.deepEqual(await h.serving(), []);
      assert.ok(
        !(await h.hasEvent((e) => e['node'] === 'node1' && ['Failover', 'Elected'].includes(e['reason']) && e['epoch'] > 1)),
        'node1 took web back while banned',
      );
      h.holdWatch('node1', false);
      await h.run(5000);
      assert.deepEqual(await h.serving(), []);
      assert.equal(cond(await h.group(), 'Failed')?.['status'], 'True');
    } finally {
      await h.stopAll();
    }
  });

  it('H5: the 4th recoverable failure within the window (limit 3) fails over instead of restarting', async () => {
    const h = await harness({ timing: FAST, site: QUICK_CHECKS, worldTiming: SWIFT_DK });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      for (let i = 1; i <= 3; i++) {
        await h.fault({ type: 'siteStop', node: 'node1', site: 'website1' });
        await h.until(async () => (await node(h, 'node1'))?.['failures'] === i && (await h.serving()).includes('node1'), 20_000);
        await h.run(2000);
      }
      assert.ok(!(await h.reasons()).includes('Failover'), 'three restarts, no failover');
      await h.fault({ type: 'siteStop', node: 'node1', site: 'website1' });
      await ready(h, 'node2', 30_000);
      assert.equal((await node(h, 'node1'))?.['failures'], 3, 'the 4th failure was not restarted');
      assert.ok((await node(h, 'node1'))?.['bannedUntil']);
      const g = await h.group();
      assert.equal(g.status?.['lastFailover']?.['from'], 'node1');
      assert.equal(g.status?.['lastFailover']?.['to'], 'node2');
      assert.deepEqual((await h.inspect()).lostAcknowledgedWrites, []);
    } finally {
      await h.stopAll();
    }
  });

  it('H6: deepCheck gets no HTTP answer while the site reports Started: 9757, recovery restarts it; when it persists, failover', async () => {
    const h = await harness({ timing: FAST, site: QUICK_CHECKS, worldTiming: SWIFT_DK });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.fault({ type: 'siteHang', node: 'node1', site: 'website1' });
      await h.until(async () => hasCode(h, 'DeepCheckFailed', 9757, 'node1'), 20_000);
      await h.until(async () => (await node(h, 'node1'))?.['failures'] === 1, 10_000);
      await h.run(10_000);
      assert.equal(h.world.eventLog('node1').length >= 0, true);
      assert.equal((await h.group()).status?.['activeNode'], 'node1', 'a restart cured it');
      assert.equal((await node(h, 'node1'))?.['failures'], 1);
      // Now it hangs for good: recoveries run out, then node2 takes over.
      await h.fault({ type: 'siteHang', node: 'node1', site: 'website1', persistent: true });
      await ready(h, 'node2', 60_000);
      assert.ok((await node(h, 'node1'))?.['bannedUntil']);
      assert.deepEqual(await h.serving(), ['node2']);
    } finally {
      await h.stopAll();
    }
  });

  it('H7: binding changed by hand to *:80: on an Adopted site: deepCheck warns 9773 and does not fail', async () => {
    const h = await harness({
      timing: FAST,
      site: QUICK_CHECKS,
      management: 'Adopted',
      hostSites: { node1: [WEBSITE1], node2: [WEBSITE1] },
    });
    try {
      await ready(h, 'node1');
      await h.run(2000);
      await callWorld(h.api, 'site.ensure', {
        host: 'node1',
        def: { ...WEBSITE1, bindings: [{ protocol: 'http', address: '*', port: 80, hostHeader: '' }] },
      });
      await h.until(async () => hasCode(h, 'DeepCheckIncomplete', 9773, 'node1'), 20_000);
      await h.run(10_000);
      assert.deepEqual(await h.serving(), ['node1']);
      assert.ok(!(await h.reasons()).some((r) => r === 'DeepCheckFailed' || r === 'Failover'));
      const site = await h.admin.get('IISSite', 'default', 'website1');
      assert.equal((site.status as Record<string, any>)['lastDeepCheck']?.['code'], 9773);
      assert.equal(cond(await h.group(), 'Ready')?.['status'], 'True');
    } finally {
      await h.stopAll();
    }
  });

  it('H7: the same hand edit on a Managed site is reported as drift and restored; the site keeps serving', async () => {
    const h = await harness({ timing: FAST, site: QUICK_CHECKS });
    try {
      await ready(h, 'node1');
      await h.run(2000);
      await callWorld(h.api, 'site.ensure', {
        host: 'node1',
        def: { ...WEBSITE1, bindings: [{ protocol: 'http', address: '*', port: 80, hostHeader: '' }] },
      });
      await h.until(
        async () => h.hasEvent((e) => e['reason'] === 'SiteDriftCorrected' && e['node'] === 'node1' && /bindings/.test(e['message'])),
        10_000,
      );
      const s = (await h.sitesOn('node1')).find((x) => x.name === 'website1')!;
      assert.deepEqual(
        s.bindings.map((b) => `${b.address}:${b.port}:${b.hostHeader}`),
        [`${VIP}:80:www.example.com`],
      );
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('H8: the failover target lacks the site (Adopted): restore on node2 fails 9414/9408; the group is Failed (OSF), nobody left', async () => {
    const h = await harness({ timing: FAST, management: 'Adopted', worldTiming: SWIFT_DK, hostSites: { node1: [WEBSITE1] } });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await h.until(async () => cond(await h.group(), 'Failed')?.['status'] === 'True', 30_000);
      assert.ok(await hasCode(h, 'RestoreFailed', 9414, 'node2'), 'restore 9414');
      assert.ok(await h.hasEvent((e) => e['code'] === 9408 && e['node'] === 'node2'), 'restore end 9408');
      const g = await h.group();
      assert.equal(cond(g, 'Failed')?.['reason'], 'NoEligibleNode');
      assert.equal(g.status?.['phase'], 'Failed');
      assert.equal((await node(h, 'node2'))?.['state'], 'OSF');
      assert.deepEqual(await h.serving(), []);
      const insp = await h.inspect();
      assert.equal(insp.addressHolders[VIP], undefined, 'node2 gave the VIP back up');
    } finally {
      await h.stopAll();
    }
  });

  it('H9: a foreign site on node2 already holds the binding: restore on node2 refused 9422/9408, web returns to node1', async () => {
    const squatter = {
      ...WEBSITE1,
      name: 'squatter',
      physicalPath: 'C:\\inetpub\\squatter',
      applicationPool: 'DefaultAppPool',
      serverAutoStart: true,
    };
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK, hostSites: { node2: [squatter] } });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      // The foreign site grabs the binding the moment node2's VIP comes up, before website1 starts.
      (h.api as unknown as { before: (r: { op: string; args: any }) => void }).before = (r) => {
        if (r.op === 'site.start' && r.args.host === 'node2' && r.args.name === 'website1')
          h.world.handle({ op: 'site.start', args: { host: 'node2', name: 'squatter' } });
      };
      await h.switchover('node2');
      await h.until(async () => hasCode(h, 'RestoreFailed', 9422, 'node2'), 30_000);
      await ready(h, 'node1', 30_000);
      assert.ok(await h.hasEvent((e) => e['code'] === 9408 && e['node'] === 'node2'));
      assert.deepEqual(await h.serving(), ['node1']);
      assert.ok((await node(h, 'node2'))?.['bannedUntil'], 'node2 banned after the failed restore');
      assert.deepEqual((await h.inspect()).addressHolders[VIP], ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('H10: group maintenance, then W3SVC killed: no recovery, no failover; maintenance off re-probes and recovers', async () => {
    const h = await harness({ timing: FAST, site: QUICK_CHECKS });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.annotate('FailoverGroup', 'web', 'winha.io/maintenance', 'true');
      await h.until(async () => cond(await h.group(), 'Maintenance')?.['status'] === 'True', 10_000);
      await h.fault({ type: 'serviceStop', node: 'node1', service: 'W3SVC' });
      await h.run(20_000);
      assert.deepEqual(await h.serving(), [], 'nobody restarted it');
      const reasons = await h.reasons();
      assert.ok(!reasons.some((r) => ['QuickCheckFailed', 'Recovered', 'Failover', 'Released'].includes(r)), reasons.join());
      assert.equal((await h.group()).status?.['activeNode'], 'node1');
      await h.annotate('FailoverGroup', 'web', 'winha.io/maintenance', undefined);
      await h.until(async () => h.hasEvent((e) => e['reason'] === 'Recovered' && e['node'] === 'node1'), 10_000);
      await ready(h, 'node1');
      assert.ok(await hasCode(h, 'QuickCheckFailed', 9705, 'node1'));
      assert.deepEqual(await h.serving(), ['node1']);
      assert.equal(cond(await h.group(), 'Maintenance')?.['status'], 'False');
    } finally {
      await h.stopAll();
    }
  });
});
