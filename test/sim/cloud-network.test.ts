/**
 * The world's cloud network: the Azure load balancer's probe model, probe listeners dying with the agent, where
 * each AWS provider routes an address (following Ec2State), drift, instance metadata, and what probes reach.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DriverError } from '../../src/drivers/errors.js';
import { parseFault } from '../../src/sim/world/fault-spec.js';
import { AZURE, ALLOCATION, ELASTIC, ENI1, ENI2, PROBE_PORT, ROUTED, SECONDARY, TABLE, cloudWorld } from './cloud-world.js';
import { twoNodeWorld } from './two-node-world.js';

async function refused(p: Promise<unknown>): Promise<DriverError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DriverError, `expected a DriverError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a refusal');
}

describe('Azure load balancer', () => {
  it('marks a backend up after 1 successful probe and down after 2 consecutive failed ones (5 s apart)', async () => {
    const w = cloudWorld();
    assert.deepEqual((await w.routes())[AZURE], [], 'backends start down');
    assert.deepEqual(await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open: true }), [PROBE_PORT]);
    await w.clock.advance(4_999);
    assert.deepEqual((await w.routes())[AZURE], [], 'no probe before 5 s');
    await w.clock.advance(1);
    assert.deepEqual((await w.routes())[AZURE], ['node1'], 'one success marks it up');
    await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open: false });
    await w.clock.advance(5_000);
    assert.deepEqual((await w.routes())[AZURE], ['node1'], 'one failed probe is not enough');
    await w.clock.advance(5_000);
    assert.deepEqual((await w.routes())[AZURE], [], 'two failed probes mark it down');
    await w.call('net.probeListen', { host: 'node2', port: PROBE_PORT, open: true });
    await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open: true });
    await w.clock.advance(5_000);
    assert.deepEqual((await w.routes())[AZURE], ['node1', 'node2'], 'both answer: both get flows');
  });

  it('a success between two failures resets the count', async () => {
    const w = cloudWorld();
    await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open: true });
    await w.clock.advance(5_000);
    for (const open of [false, true, false]) {
      await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open });
      await w.clock.advance(5_000);
      assert.deepEqual((await w.routes())[AZURE], ['node1']);
    }
  });

  it('agentStop and nodeCrash close the agent’s listeners; a crashed backend gets no flows at once', async () => {
    const w = cloudWorld();
    for (const host of ['node1', 'node2']) await w.call('net.probeListen', { host, port: PROBE_PORT, open: true });
    await w.clock.advance(5_000);
    await w.fault({ type: 'agentStop', node: 'node1' });
    assert.deepEqual(await w.call('net.probePorts', { host: 'node1' }), []);
    await w.fault({ type: 'nodeCrash', node: 'node2' });
    assert.deepEqual((await w.routes())[AZURE], ['node1'], 'a powered-off host receives nothing');
    await w.clock.advance(10_000);
    assert.deepEqual((await w.routes())[AZURE], [], "node1's probes failed twice");
    await w.fault({ type: 'nodeRestore', node: 'node2' });
    await w.fault({ type: 'agentStart', node: 'node1' });
    assert.deepEqual(await w.call('net.probePorts', { host: 'node2' }), [], 'listeners do not come back with the host');
    await w.clock.advance(5_000);
    assert.deepEqual((await w.routes())[AZURE], []);
  });

  it('cloudDrift is refused: the probe picks the node', async () => {
    const w = cloudWorld();
    const e = await refused(w.fault({ type: 'cloudDrift', address: AZURE, node: 'node2' }));
    assert.equal(e.code, 'InvalidArgument');
    assert.match(e.message, /load balancer/);
  });
});

describe('AWS routes follow Ec2State', () => {
  it('secondary IP: the host of the ENI it is visible on, after the assignment delay', async () => {
    const w = cloudWorld();
    assert.deepEqual((await w.routes())[SECONDARY], []);
    w.cloud.state.assignDelayMs = 3_000;
    w.cloud.state.assign(ENI2, [SECONDARY], true);
    assert.deepEqual((await w.routes())[SECONDARY], []);
    await w.clock.advance(3_000);
    assert.deepEqual((await w.routes())[SECONDARY], ['node2']);
    await w.fault({ type: 'nodeCrash', node: 'node2' });
    assert.deepEqual((await w.routes())[SECONDARY], [], 'only hosts that are up');
  });

  it('route table: the hosts of the ENIs the /32 routes point at, none with source/dest check on', async () => {
    const w = cloudWorld();
    assert.deepEqual((await w.routes())[ROUTED], []);
    w.cloud.state.createRoute(TABLE, `${ROUTED}/32`, ENI1);
    assert.deepEqual((await w.routes())[ROUTED], ['node1']);
    w.cloud.state.replaceRoute(TABLE, `${ROUTED}/32`, ENI2);
    assert.deepEqual((await w.routes())[ROUTED], ['node2']);
    w.cloud.state.setSourceDestCheck(ENI2, true);
    assert.deepEqual((await w.routes())[ROUTED], []);
  });

  it('Elastic IP: the host of the associated ENI', async () => {
    const w = cloudWorld();
    assert.deepEqual((await w.routes())[ELASTIC], []);
    w.cloud.state.associateAddress(ALLOCATION, ENI1, undefined, true);
    assert.deepEqual((await w.routes())[ELASTIC], ['node1']);
  });

  it('cloudDrift moves each kind to the node behind the agents’ back', async () => {
    const w = cloudWorld();
    w.cloud.state.assign(ENI1, [SECONDARY], true);
    w.cloud.state.associateAddress(ALLOCATION, ENI1, undefined, true);
    for (const address of [SECONDARY, ROUTED, ELASTIC]) await w.fault({ type: 'cloudDrift', address, node: 'node2' });
    const r = await w.routes();
    assert.deepEqual([r[SECONDARY], r[ROUTED], r[ELASTIC]], [['node2'], ['node2'], ['node2']]);
    await w.fault({ type: 'cloudDrift', address: ROUTED, node: 'node1' });
    assert.deepEqual((await w.routes())[ROUTED], ['node1'], 'an existing route is replaced');
    const e = await refused(w.fault({ type: 'cloudDrift', address: '10.9.9.9', node: 'node2' }));
    assert.match(e.message, /not a cloud-routed address/);
  });

  it('a cloudAssignDelay applies to drift too, and 0 makes moves visible at once', async () => {
    const w = cloudWorld();
    await w.fault({ type: 'cloudAssignDelay', ms: 2_000 });
    await w.fault({ type: 'cloudDrift', address: SECONDARY, node: 'node1' });
    assert.deepEqual((await w.routes())[SECONDARY], []);
    await w.clock.advance(2_000);
    assert.deepEqual((await w.routes())[SECONDARY], ['node1']);
    await w.fault({ type: 'cloudAssignDelay', ms: 0 });
    await w.fault({ type: 'cloudDrift', address: SECONDARY, node: 'node2' });
    assert.deepEqual((await w.routes())[SECONDARY], ['node2']);
  });
});

describe('instance metadata', () => {
  it('answers the paths the agent reads; unknown paths are null; a host that is down is unreachable', async () => {
    const w = cloudWorld();
    const md = (path: string, host = 'node1') => w.call('cloud.imds', { host, path });
    assert.equal(await md('meta-data/instance-id'), 'i-00000000000000001');
    assert.equal(await md('meta-data/instance-id', 'node2'), 'i-00000000000000002');
    assert.equal(await md('meta-data/placement/region'), 'us-east-1');
    assert.equal(await md('meta-data/mac'), '00:15:5d:00:01:01');
    assert.equal(await md('meta-data/network/interfaces/macs/'), '00:15:5d:00:01:01/');
    const base = 'meta-data/network/interfaces/macs/00:15:5d:00:01:01';
    assert.equal(await md(`${base}/interface-id`), ENI1);
    assert.equal(await md(`/latest/${base}/interface-id`), ENI1, 'a /latest/ prefix is the same path');
    assert.equal(await md(`${base}/vpc-ipv4-cidr-block`), '10.0.0.0/16');
    assert.equal(await md(`${base}/local-ipv4s`), '10.0.1.11');
    w.cloud.state.assign(ENI1, [SECONDARY], true);
    assert.equal(await md(`${base}/local-ipv4s`), `10.0.1.11\n${SECONDARY}`, 'primary first, then the secondary IPs visible now');
    assert.equal(await md('meta-data/network/interfaces/macs/00:15:5d:00:09:09/interface-id'), null);
    assert.equal(await md('meta-data/iam/security-credentials/'), null);
    await w.fault({ type: 'nodeCrash', node: 'node2' });
    const e = await refused(md('meta-data/instance-id', 'node2'));
    assert.equal(e.code, 'HostUnreachable');
  });

  it('the region is the providers’ when one names it', async () => {
    const { worldFromManifests } = await import('../../src/sim/world/world-from-manifests.js');
    const { cloudObjects } = await import('./cloud-world.js');
    const { VirtualClock } = await import('../../src/lib/clock.js');
    const { SeededRandom } = await import('../../src/lib/random.js');
    const objects = cloudObjects().map((o) =>
      o['kind'] === 'VirtualIP'
        ? { ...o, spec: { ...(o['spec'] as object), provider: { type: 'awsSecondaryIp', region: 'eu-west-3' } } }
        : o,
    );
    const world = worldFromManifests(objects, new VirtualClock(), new SeededRandom(1));
    assert.equal(world.cloud?.imds('node1', 'meta-data/placement/region'), 'eu-west-3');
  });

  it('a world without a cloud provider has no cloud: no cloudRoutes, cloud operations refused, listeners still work', async () => {
    const w = twoNodeWorld();
    assert.equal(w.world.cloud, undefined);
    assert.equal(w.world.inspect().cloudRoutes, undefined);
    const r = w.world.handle({ op: 'cloud.imds', args: { host: 'node1', path: 'meta-data/mac' } });
    assert.ok(!r.ok && /no cloud network/.test(r.error.message));
    const l = w.world.handle({ op: 'net.probeListen', args: { host: 'node1', port: 59999, open: true } });
    assert.deepEqual(l, { ok: true, value: [59999] });
  });
});

describe('what connections reach in a cloud', () => {
  it('probe.tcp to a management address is alive on an open probe port', async () => {
    const w = cloudWorld();
    const probe = () => w.call('probe.tcp', { host: 'node2', probe: { address: '10.0.1.11', port: PROBE_PORT } });
    assert.equal((await probe()).alive, false);
    await w.call('net.probeListen', { host: 'node1', port: PROBE_PORT, open: true });
    assert.equal((await probe()).alive, true);
    await w.fault({ type: 'agentStop', node: 'node1' });
    assert.equal((await probe()).alive, false, 'the listener died with the agent');
  });

  it('two hosts may hold a cloud-routed address: no DAD conflict, no ARP claim; a connection goes where the cloud routes it', async () => {
    const w = cloudWorld();
    const vip = { address: AZURE, prefixLength: 24, interfaceAlias: 'Ethernet' };
    await w.call('net.add', { host: 'node1', vip });
    assert.deepEqual(await w.call('net.claimed', { host: 'node2', address: AZURE }), { claimed: false });
    await w.call('net.add', { host: 'node2', vip });
    await w.clock.advance(1_000);
    for (const host of ['node1', 'node2']) {
      const a = (await w.call('net.addresses', { host })).find((x) => x.address === AZURE);
      assert.equal(a?.addressState, 'Preferred', `${host} holds it`);
    }
    const inspection = await w.call('world.inspect', {});
    assert.deepEqual(inspection.addressConflicts, []);
    assert.deepEqual([...(inspection.addressHolders[AZURE] ?? [])].sort(), ['node1', 'node2']);
    // Flows from outside go to the healthy backend only.
    await w.call('net.probeListen', { host: 'node2', port: PROBE_PORT, open: true });
    await w.clock.advance(5_000);
    const site = {
      name: 'web',
      bindings: [{ protocol: 'http' as const, address: '*', port: 8080, hostHeader: '' }],
      physicalPath: 'C:\\w',
      applicationPool: 'web',
      serverAutoStart: false,
    };
    for (const host of ['node1', 'node2']) {
      await w.call('service.start', { host, name: 'W3SVC' });
      await w.call('service.start', { host, name: 'WAS' });
    }
    await w.clock.advance(5_000);
    await w.call('site.ensure', { host: 'node2', def: site });
    await w.call('site.start', { host: 'node2', name: 'web' });
    const http = { address: AZURE, port: 8080, hostHeader: 'x', path: '/', tls: false };
    assert.equal(
      (await w.call('probe.http', { host: 'node1', probe: http })).alive,
      false,
      'node1 holds the address: its connection stays local',
    );
    await w.call('net.remove', { host: 'node1', address: AZURE });
    assert.equal((await w.call('probe.http', { host: 'node1', probe: http })).alive, true, 'through the load balancer to node2');
    await w.call('net.probeListen', { host: 'node2', port: PROBE_PORT, open: false });
    await w.clock.advance(10_000);
    const none = await w.call('probe.http', { host: 'node1', probe: http });
    assert.equal(none.alive, false, 'no healthy backend: nobody answers');
    assert.match(none.detail ?? '', /no host answers/);
  });
});

describe('fault fields', () => {
  it('cloudApiFault mode is one of throttle, hang, fail', () => {
    assert.ok(parseFault({ type: 'cloudApiFault', mode: 'hang', times: 2 }).fault);
    const bad = parseFault({ type: 'cloudApiFault', mode: 'explode', times: 2 });
    assert.deepEqual(
      bad.issues?.map((i) => [i.field, i.message]),
      [['mode', 'mode must be one of throttle, hang, fail']],
    );
  });
});

describe('the harness', () => {
  it('gives each agent the cloud through its own process connection (gone with the process)', async () => {
    const { AgentTarget } = await import('../../src/sim/harness/agent-target.js');
    const { cloudObjects } = await import('./cloud-world.js');
    const specs: import('../../src/sim/harness/node-agent.js').NodeAgentSpec[] = [];
    const target = new AgentTarget({ agentFactory: (spec) => (specs.push(spec), { start() {}, stop() {} }) });
    await target.start({ objects: cloudObjects(), seed: 1 });
    const node2 = specs.find((s) => s.node === 'node2')!;
    assert.equal(await node2.cloud?.metadata.get('meta-data/instance-id'), 'i-00000000000000002');
    await target.injectFault({ type: 'agentStop', node: 'node2' });
    await assert.rejects(node2.cloud!.metadata.get('meta-data/instance-id'), /agent process of node2 is gone/);
  });
});
