/**
 * Acceptance rows C2, C3, C4, C6, C8 with real agents (memory store,
 * simulated hosts, virtual time). Assertions are what an operator notices:
 * who serves, the world's inspection, events, conditions and status.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callWorld } from '../../src/drivers/sim/world-protocol.js';
import { harness, cond, ready, mirroring, VIP } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

describe('agents: convergence and ownership (virtual time)', () => {
  it('C2: desiredState OutOfService: sites stopped everywhere, VIP released, mirror keeps replicating, not Ready, no failover', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.patch('FailoverGroup', 'web', (g) => ({ ...g, spec: { ...(g['spec'] as object), desiredState: 'OutOfService' } }));
      await h.until(async () => cond(await h.group(), 'Ready')?.['reason'] === 'OutOfService' && (await h.serving()).length === 0);
      await h.run(15_000);
      const insp = await h.inspect();
      assert.deepEqual(await h.serving(), []);
      assert.equal(insp.addressHolders[VIP], undefined, 'nobody holds the VIP');
      assert.deepEqual(
        insp.volumes.map((v) => `${v.host}:${v.role}:${v.state}`).sort(),
        ['node1:source:1', 'node2:target:1'],
        'the mirror keeps replicating',
      );
      const g = await h.group();
      assert.equal(g.status?.['phase'], 'OutOfService');
      assert.equal(g.status?.['activeNode'], undefined);
      assert.equal(cond(g, 'Ready')?.['status'], 'False');
      const reasons = await h.reasons();
      assert.ok(!reasons.includes('Failover'), 'no failover');
      assert.ok(reasons.includes('RemoveSucceeded'));
      // And back in service: node1 (best priority) serves again.
      await h.patch('FailoverGroup', 'web', (g) => ({ ...g, spec: { ...(g['spec'] as object), desiredState: 'InService' } }));
      await ready(h, 'node1');
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('C3: priorities node1 = 10, node2 = 1 on a fresh apply: node2 becomes active', async () => {
    const h = await harness({ timing: FAST, priorities: [10, 1] });
    try {
      await ready(h, 'node2');
      await h.until(async () => (await h.inspect()).volumes.some((v) => v.host === 'node1' && v.role === 'target'));
      const insp = await h.inspect();
      assert.deepEqual(await h.serving(), ['node2']);
      assert.deepEqual(insp.addressHolders[VIP], ['node2']);
      assert.equal(insp.volumes.find((v) => v.host === 'node2')!.role, 'source');
      assert.ok(await h.hasEvent((e) => e['reason'] === 'Elected' && e['node'] === 'node2'));
      assert.ok(!(await h.hasEvent((e) => e['reason'] === 'Elected' && e['node'] === 'node1')));
    } finally {
      await h.stopAll();
    }
  });

  it('C4: three nodes 1/2/3: node1 crashes, then node2 crashes: web moves node1 → node2 → node3', async () => {
    const h = await harness({ timing: FAST, nodes: 3 });
    try {
      await ready(h, 'node1');
      await h.run(3000);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await ready(h, 'node2', 30_000);
      let g = await h.group();
      assert.equal(g.status?.['lastFailover']?.['from'], 'node1');
      assert.equal(g.status?.['lastFailover']?.['to'], 'node2');
      assert.deepEqual(await h.serving(), ['node2'], 'node3 (priority 3) waits its turn');
      await h.run(3000);
      await h.fault({ type: 'nodeCrash', node: 'node2' });
      await ready(h, 'node3', 30_000);
      g = await h.group();
      assert.equal(g.status?.['lastFailover']?.['from'], 'node2');
      assert.equal(g.status?.['lastFailover']?.['to'], 'node3');
      assert.equal(g.status?.['lastFailover']?.['reason'], 'Failover');
      const failovers = (await h.events()).filter((e) => e['reason'] === 'Failover').map((e) => e['node']);
      assert.deepEqual(failovers.sort(), ['node2', 'node3']);
      const insp = await h.inspect();
      assert.deepEqual(insp.addressHolders[VIP], ['node3']);
      assert.deepEqual(insp.addressConflicts, []);
    } finally {
      await h.stopAll();
    }
  });

  it('C6: the VIP found on the standby is removed there; the duplicate with the active is reported', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await h.run(2000);
      await callWorld(h.api, 'net.add', { host: 'node2', vip: { address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' } });
      await h.until(async () => !(await callWorld(h.api, 'net.addresses', { host: 'node2' })).some((a) => a.address === VIP), 10_000);
      const ev = (await h.events()).find((e) => e['reason'] === 'StandbyAddress' && e['node'] === 'node2');
      assert.ok(ev, 'the standby says it removed the address');
      assert.match(ev['message'], /duplicate/i, 'and that the address was a duplicate of the active one');
      assert.ok(
        (await h.inspect()).addressConflicts.some((c) => c.address === VIP),
        'the world saw the duplicate',
      );
      await h.run(5000);
      assert.deepEqual((await h.inspect()).addressHolders[VIP], ['node1'], 'the active keeps its address');
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('C8: a binding change applied: the Managed site is re-rendered on every node; the active keeps serving', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(3000);
      const before = h.world.trace.length;
      await h.patch('IISSite', 'website1', (s) => ({
        ...s,
        spec: {
          ...(s['spec'] as object),
          bindings: [
            { protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' },
            { protocol: 'http', address: VIP, port: 8080, hostHeader: 'www.example.com' },
          ],
        },
      }));
      await h.until(async () => {
        for (const n of ['node1', 'node2']) {
          const s = (await h.sitesOn(n)).find((x) => x.name === 'website1');
          if (!s?.bindings.some((b) => b.port === 8080)) return false;
        }
        return true;
      }, 20_000);
      await h.run(5000);
      assert.deepEqual(await h.serving(), ['node1'], 'the active keeps serving');
      const mutating = h.world.trace
        .slice(before)
        .filter((t) => ['stopSite', 'startSite', 'removeVirtualIp', 'addVirtualIp', 'switchoverMirror'].includes(t.operation));
      assert.deepEqual(
        mutating.map((t) => `${t.host}:${t.operation}`),
        [],
        'no stop, start or move for a binding change',
      );
      const g = await h.group();
      assert.equal(g.status?.['activeNode'], 'node1');
      assert.equal(cond(g, 'Ready')?.['status'], 'True');
      assert.ok(await h.hasEvent((e) => e['reason'] === 'SiteDriftCorrected' && e['node'] === 'node2'));
    } finally {
      await h.stopAll();
    }
  });

  it('status (design §2): site, VIP and mirror per node with activeNode; Cluster nodes Alive/Dead; lastFailover; all written only on change', async () => {
    const h = await harness({ timing: FAST, worldTiming: { switchoverUnreachableMs: 500 } });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(3000);
      const site = (await h.admin.get('IISSite', 'default', 'website1')).status as Record<string, any>;
      assert.equal(site['activeNode'], 'node1');
      assert.deepEqual(
        site['nodes'].map((n: any) => `${n.name}:${n.exists}:${n.state}:${n.serverAutoStart}`),
        ['node1:true:Started:false', 'node2:true:Stopped:false'],
      );
      assert.equal(cond({ status: site }, 'Ready')?.['status'], 'True');
      const vip = (await h.admin.get('VirtualIP', 'default', 'web-vip')).status as Record<string, any>;
      assert.equal(vip['activeNode'], 'node1');
      assert.deepEqual(
        vip['nodes'].map((n: any) => `${n.name}:${n.present}:${n.addressState ?? '-'}`),
        ['node1:true:Preferred', 'node2:false:-'],
      );
      assert.equal(cond({ status: vip }, 'Ready')?.['status'], 'True');
      const mir = (await h.mirror()).status as Record<string, any>;
      assert.deepEqual(
        mir['nodes'].map((n: any) => `${n.name}:${n.role}:${n.state}`),
        ['node1:Source:1', 'node2:Target:1'],
      );
      assert.equal(mir['source'], 'node1');
      assert.equal(mir['state'], 'Mirroring');
      const cl = (await h.admin.get('Cluster', 'default', 'c1')).status as Record<string, any>;
      assert.deepEqual(
        cl['nodes'].map((n: any) => `${n.name}:${n.state}`),
        ['node1:Alive', 'node2:Alive'],
      );
      // No churn: none of these objects is rewritten in a steady state.
      const rv = async () =>
        Promise.all(
          ['IISSite/website1', 'VirtualIP/web-vip', 'Mirror/web-data', 'Cluster/c1', 'FailoverGroup/web'].map(async (k) => {
            const [kind, name] = k.split('/') as [string, string];
            return `${k}@${(await h.admin.get(kind, 'default', name)).metadata.resourceVersion}`;
          }),
        );
      await h.run(65_000); // past the first quickCheck and deepCheck results, which are written once
      const before = await rv();
      await h.run(20_000);
      assert.deepEqual(await rv(), before, 'status rewritten in a steady state');
      // A failover shows everywhere.
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await ready(h, 'node2', 30_000);
      await h.run(3000);
      const lf = (await h.group()).status?.['lastFailover'] as Record<string, any>;
      assert.equal(lf['from'], 'node1');
      assert.equal(lf['to'], 'node2');
      assert.equal(lf['reason'], 'Failover');
      assert.match(lf['time'], /^2026-01-01T12:\d\d:\d\dZ$/);
      assert.ok(
        typeof lf['durationSeconds'] === 'number' && lf['durationSeconds'] >= 0 && lf['durationSeconds'] < 5,
        `durationSeconds ${lf['durationSeconds']}`,
      );
      const cl2 = (await h.admin.get('Cluster', 'default', 'c1')).status as Record<string, any>;
      assert.deepEqual(
        cl2['nodes'].map((n: any) => `${n.name}:${n.state}`),
        ['node1:Dead', 'node2:Alive'],
      );
      assert.equal(((await h.admin.get('IISSite', 'default', 'website1')).status as Record<string, any>)['activeNode'], 'node2');
      assert.equal(((await h.admin.get('VirtualIP', 'default', 'web-vip')).status as Record<string, any>)['activeNode'], 'node2');
      assert.equal((await h.mirror()).status?.['source'], 'node2');
    } finally {
      await h.stopAll();
    }
  });
});
