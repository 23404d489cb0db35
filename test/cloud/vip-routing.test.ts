/**
 * CloudRouting: a VirtualIP's provider turned into EC2 calls for this node's ENI (found by MAC through the metadata
 * service), through the real SDK against the loopback endpoint; and where the address goes, read back for drift.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { VirtualIP } from '../../src/api/types.js';
import { CloudRouting, type AwsIdentity } from '../../src/cloud/vip-routing.js';
import { isCloudError } from '../../src/cloud/errors.js';
import { harness } from './harness.js';

const vip = (name: string, address: string, provider: NonNullable<VirtualIP['spec']['provider']>): VirtualIP => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name, namespace: 'aws' },
  spec: { group: 'web', address, prefixLength: 24, provider },
});

const ME: Record<string, AwsIdentity> = {
  '0a:00:00:00:00:01': { region: 'us-east-1', instanceId: 'i-1', eni: 'eni-0aaa', primaryIp: '10.0.1.10' },
  '0a:00:00:00:00:02': { region: 'us-east-1', instanceId: 'i-2', eni: 'eni-0bbb', primaryIp: '10.0.1.20' },
};

async function setup() {
  const h = await harness(undefined, { callTimeoutMs: 5_000 });
  const routing = new CloudRouting({
    access: { metadata: { get: () => Promise.resolve(undefined) }, ec2: () => h.client },
    identity: (_m, mac) => Promise.resolve(ME[mac]!),
    clock: h.clock,
  });
  return { ...h, routing };
}

describe('CloudRouting (the real SDK against the loopback EC2 endpoint)', () => {
  const open: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of open) await c();
  });

  it('awsSecondaryIp: the claiming node’s ENI gets the address; observe says here for it and not for the other', async () => {
    const h = await setup();
    open.push(h.close);
    const v = vip('web-vip', '10.0.1.100', { type: 'awsSecondaryIp' });
    const r = await h.drive(h.routing.claim(v, '0a:00:00:00:00:02', h.guard()));
    assert.deepEqual(r, { here: true, target: 'eni-0bbb', problems: [] });
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0bbb');
    assert.equal((await h.drive(h.routing.observe(v, '0a:00:00:00:00:02'))).here, true);
    const other = await h.drive(h.routing.observe(v, '0a:00:00:00:00:01'));
    assert.equal(other.here, false);
  });

  it('awsRouteTable: every listed table points at the node; an ENI with source/dest check on is reported', async () => {
    const h = await setup();
    open.push(h.close);
    const v = vip('rt-vip', '192.168.50.10', { type: 'awsRouteTable', routeTableIds: ['rtb-0main'] });
    const r = await h.drive(h.routing.claim(v, '0a:00:00:00:00:01', h.guard()));
    assert.equal(r.here, true);
    assert.deepEqual(
      r.problems.map((p) => p.code),
      ['SourceDestCheckEnabled'],
      'eni-0aaa keeps source/dest check on in the seed',
    );
    const moved = await h.drive(h.routing.claim(v, '0a:00:00:00:00:02', h.guard()));
    assert.deepEqual(moved.problems, []);
    assert.equal((await h.drive(h.routing.observe(v, '0a:00:00:00:00:01'))).here, false, 'node1 sees the route went away');
  });

  it('awsElasticIp: associated with the node’s primary private IP', async () => {
    const h = await setup();
    open.push(h.close);
    const v = vip('eip', '203.0.113.7', { type: 'awsElasticIp', allocationId: 'eipalloc-0web' });
    await h.drive(h.routing.claim(v, '0a:00:00:00:00:02', h.guard()));
    const a = h.state.describeAddresses(['eipalloc-0web'])[0]!;
    assert.deepEqual([a.eni, a.privateIp], ['eni-0bbb', '10.0.1.20']);
    assert.equal((await h.drive(h.routing.observe(v, '0a:00:00:00:00:02'))).here, true);
  });

  it('a stale epoch moves nothing: the guard refuses before any mutating call', async () => {
    const h = await setup();
    open.push(h.close);
    const v = vip('web-vip', '10.0.1.100', { type: 'awsSecondaryIp' });
    await assert.rejects(h.drive(h.routing.claim(v, '0a:00:00:00:00:02', h.guard(false))), (e) => isCloudError(e, 'StaleEpoch'));
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0aaa', 'still where it was');
    assert.equal(h.endpoint.count('AssignPrivateIpAddresses'), 0);
  });

  it('an agent without cloud access fails with a coded error naming the VirtualIP', async () => {
    const h = await setup();
    open.push(h.close);
    const routing = new CloudRouting({ access: undefined, identity: () => Promise.reject(new Error('unused')), clock: h.clock });
    const v = vip('web-vip', '10.0.1.100', { type: 'awsSecondaryIp' });
    await assert.rejects(routing.claim(v, '0a:00:00:00:00:02', h.guard()), (e) => isCloudError(e) && /web-vip/.test(e.message));
  });
});
