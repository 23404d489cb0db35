/**
 * `winha doctor`'s cloud checks end to end below the CLI: manifests → expectations, facts gathered with the real SDK
 * against the loopback EC2 endpoint (DryRun, denied actions) and the IMDS stand-in, then the verdicts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { VirtualClock } from '../../../src/lib/clock.js';
import { awsCloudAccess } from '../../../src/cloud/aws/access.js';
import { HttpInstanceMetadata } from '../../../src/cloud/aws/imds.js';
import { runDoctor } from '../../../src/drivers/doctor/checks.js';
import { gatherCloudFacts, listenBriefly } from '../../../src/drivers/doctor/cloud-gather.js';
import { expectationsFromManifests } from '../../../src/drivers/doctor/expectations.js';
import { formatDoctor } from '../../../src/drivers/doctor/format.js';
import type { CheckResult, CloudVipExpectation } from '../../../src/drivers/doctor/types.js';
import { Ec2Endpoint } from '../../../src/sim/cloud/ec2-endpoint.js';
import { Ec2State, type Ec2Seed } from '../../../src/sim/cloud/ec2-state.js';
import { ImdsStandIn, imdsTree } from '../../support/imds-standin.js';
import { facts, expectations } from './fixtures.js';

const ENI = 'eni-0a1b2c3d4e5f60001';
const PEER_ENI = 'eni-0a1b2c3d4e5f60002';
const RTB = 'rtb-0123456789abcdef0';
const EIP = 'eipalloc-0123456789abcdef0';
const SEED: Ec2Seed = {
  enis: [
    { id: ENI, primaryIp: '10.0.1.10', sourceDestCheck: false },
    { id: PEER_ENI, primaryIp: '10.0.1.20', secondaryIps: ['10.0.1.100'] },
  ],
  routeTables: [{ id: RTB, routes: [{ cidr: '192.168.50.10/32', eni: PEER_ENI }] }],
  addresses: [{ allocationId: EIP, publicIp: '203.0.113.7', eni: PEER_ENI, privateIp: '10.0.1.20' }],
};

const vip = (name: string, address: string, provider: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name, namespace: 'web' },
  spec: { group: 'web', address, prefixLength: 32, interface: 'Ethernet', provider, ...extra },
});

const MANIFESTS = [
  { kind: 'Cluster', metadata: { name: 'c' }, spec: { nodes: [{ name: 'node1', address: '10.0.1.10' }, { name: 'node2' }] } },
  {
    kind: 'FailoverGroup',
    metadata: { name: 'web', namespace: 'web' },
    spec: {
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: 2 },
      ],
    },
  },
  { kind: 'FailoverGroup', metadata: { name: 'other', namespace: 'web' }, spec: { nodes: [{ name: 'node2', priority: 1 }] } },
  vip('secondary', '10.0.1.100', { type: 'awsSecondaryIp' }, { nodeInterfaces: [{ node: 'node1', interface: 'Public' }] }),
  vip('routed', '192.168.50.10', { type: 'awsRouteTable', routeTableIds: [RTB] }, { interface: 'Public' }),
  vip('elastic', '203.0.113.7', { type: 'awsElasticIp', allocationId: EIP }, { interface: 'Public' }),
  vip('plain', '10.0.1.200', { type: 'local' }),
  {
    ...vip('elsewhere', '10.0.1.201', { type: 'awsSecondaryIp' }),
    spec: { group: 'other', address: '10.0.1.201', prefixLength: 32, provider: { type: 'awsSecondaryIp' } },
  },
];

async function setup(o: { seed?: Ec2Seed; windowsMac?: string } = {}) {
  const clock = new VirtualClock();
  const state = new Ec2State(clock, structuredClone(o.seed ?? SEED));
  const ec2 = new Ec2Endpoint(clock, state);
  const endpoint = await ec2.start();
  const imds = new ImdsStandIn(
    clock,
    imdsTree({
      region: 'us-east-1',
      interfaces: [{ mac: '02:1a:2b:3c:4d:5e', eni: ENI, ips: ['10.0.1.10'], vpcCidr: '10.0.0.0/16' }],
    }),
  );
  const imdsUrl = await imds.start();
  const access = awsCloudAccess({
    clock,
    metadata: new HttpInstanceMetadata({ clock, baseUrl: imdsUrl }),
    ec2: { endpoint, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret-key-for-tests-only' } },
  });
  const x = expectationsFromManifests(MANIFESTS, 'node1');
  const run = async (vips: CloudVipExpectation[] = x.cloudVips ?? []) => {
    const cloud = await gatherCloudFacts(
      {
        clock,
        cloud: access,
        interfaceMacs: async () => [
          { alias: 'Ethernet', mac: '02-00-00-00-00-01' },
          { alias: 'Public', mac: o.windowsMac ?? '02-1A-2B-3C-4D-5E' },
        ],
      },
      vips,
    );
    return runDoctor(facts(undefined, { cloud }), expectations({ cloudVips: vips }));
  };
  const close = async () => {
    access.close();
    await Promise.all([ec2.close(), imds.close()]);
  };
  return { clock, state, ec2, imds, x, run, close };
}

const byId = (results: CheckResult[], id: string) => {
  const r = results.find((c) => c.id === id);
  assert.ok(r, `check ${id} in ${results.map((c) => c.id).join(', ')}`);
  return r;
};
const cloudOnly = (results: CheckResult[]) => results.filter((r) => r.id.startsWith('aws:') || r.id.startsWith('azure:'));

describe('doctor: expectations of cloud VirtualIPs', () => {
  it("lists this node's groups' cloud VirtualIPs with the interface it uses on this node", () => {
    const { cloudVips } = expectationsFromManifests(MANIFESTS, 'node1');
    assert.deepEqual(cloudVips, [
      { name: 'web/secondary', address: '10.0.1.100', interface: 'Public', provider: 'awsSecondaryIp' },
      { name: 'web/routed', address: '192.168.50.10', interface: 'Public', provider: 'awsRouteTable', routeTableIds: [RTB] },
      { name: 'web/elastic', address: '203.0.113.7', interface: 'Public', provider: 'awsElasticIp', allocationId: EIP },
    ]);
    assert.equal(expectationsFromManifests(MANIFESTS.slice(0, 3), 'node1').cloudVips, undefined, 'no cloud VIPs: no cloud checks');
  });
});

describe('doctor: AWS checks against the loopback EC2 endpoint and IMDS stand-in', () => {
  it('all allowed: every AWS check passes, and nothing in EC2 changed', async () => {
    const h = await setup();
    const before = JSON.stringify([h.state.describeEnis([]), h.state.describeRouteTables([]), h.state.describeAddresses([])]);
    const results = await h.run();
    assert.deepEqual(
      cloudOnly(results).map((r) => `${r.status} ${r.id}`),
      [
        'pass aws:metadata',
        'pass aws:interface:Public',
        'pass aws:region',
        'pass aws:iam:AssignPrivateIpAddresses',
        'pass aws:iam:DescribeNetworkInterfaces',
        'pass aws:iam:ReplaceRoute',
        'pass aws:iam:CreateRoute',
        'pass aws:iam:DescribeRouteTables',
        'pass aws:iam:AssociateAddress',
        'pass aws:iam:DescribeAddresses',
        `pass aws:source-dest-check:${ENI}`,
      ],
    );
    assert.match(
      byId(results, 'aws:interface:Public').detail,
      new RegExp(`^${ENI} \\(MAC 02:1a:2b:3c:4d:5e, primary 10\\.0\\.1\\.10, VPC 10\\.0\\.0\\.0/16\\)$`),
    );
    assert.equal(byId(results, 'aws:iam:ReplaceRoute').detail, `allowed on ${RTB} (us-east-1) (DryRun)`);
    const after = JSON.stringify([h.state.describeEnis([]), h.state.describeRouteTables([]), h.state.describeAddresses([])]);
    assert.equal(after, before);
    const mutating = h.ec2.requests.filter((r) => ['ReplaceRoute', 'CreateRoute', 'AssociateAddress'].includes(r.action));
    assert.ok(mutating.length === 3 && mutating.every((r) => r.params['DryRun'] === 'true'), 'every mutating call was a DryRun');
    assert.equal(h.ec2.requests.find((r) => r.action === 'AssignPrivateIpAddresses')?.params['PrivateIpAddress.1'], '10.0.1.10');
    assert.match(formatDoctor('node1', results), /^PASS: /m);
    await h.close();
  });

  it('a denied action fails naming the IAM action; the others still pass', async () => {
    const h = await setup();
    h.ec2.deny(['ReplaceRoute', 'AssignPrivateIpAddresses']);
    const results = await h.run();
    const r = byId(results, 'aws:iam:ReplaceRoute');
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `the instance role lacks ec2:ReplaceRoute on ${RTB} (us-east-1): the DryRun answered UnauthorizedOperation`);
    assert.match(r.fix!, /^allow ec2:ReplaceRoute in the policy of this instance's IAM role/);
    assert.equal(byId(results, 'aws:iam:AssignPrivateIpAddresses').status, 'fail');
    assert.equal(byId(results, 'aws:iam:CreateRoute').status, 'pass');
    assert.match(formatDoctor('node1', results), /^FAIL: /m);
    await h.close();
  });

  it('source/destination check on for awsRouteTable: fails with the command that turns it off', async () => {
    const seed = structuredClone(SEED);
    seed.enis![0]!.sourceDestCheck = true;
    const h = await setup({ seed });
    const r = byId(await h.run(), `aws:source-dest-check:${ENI}`);
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /has source\/destination checking on/);
    assert.match(r.fix!, new RegExp(`--network-interface-id ${ENI} --no-source-dest-check`));
    await h.close();
  });

  it('metadata unreachable: one failure with the code, no identity or IAM checks', async () => {
    const h = await setup();
    await h.imds.close();
    const results = cloudOnly(await h.run());
    assert.deepEqual(
      results.map((r) => `${r.status} ${r.id}`),
      ['fail aws:metadata'],
    );
    assert.match(results[0]!.detail, /^MetadataUnavailable: .*could not be reached \(ECONNREFUSED\)/);
    assert.equal(h.ec2.count(), 0, 'no EC2 call without an identity');
    await h.close();
  });

  it('IMDSv1 only: fails with the code and the IMDSv2 fix', async () => {
    const h = await setup();
    h.imds.v1Only = true;
    const r = byId(await h.run(), 'aws:metadata');
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /^MetadataUnavailable: .*no IMDSv2 session token/);
    assert.match(r.fix!, /--http-tokens required/);
    await h.close();
  });

  it("the interface's MAC unknown to IMDS: fails listing the MACs it knows", async () => {
    const h = await setup({ windowsMac: '02-FF-FF-FF-FF-FF' });
    const r = byId(await h.run(), 'aws:interface:Public');
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /^AwsInterfaceUnknown: .*MAC 02:ff:ff:ff:ff:ff \(the instance metadata service knows 02:1a:2b:3c:4d:5e\)/);
    await h.close();
  });

  it('a VirtualIP naming another region than the instance: fails', async () => {
    const h = await setup();
    const vips = (h.x.cloudVips ?? []).map((v) => (v.name === 'web/elastic' ? { ...v, region: 'eu-west-1' } : v));
    const r = byId(await h.run(vips), 'aws:region');
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /runs in us-east-1, but web\/elastic names eu-west-1/);
    await h.close();
  });
});

describe('doctor: Azure load balancer checks', () => {
  const azureVip = (port: number): CloudVipExpectation => ({
    name: 'web/lb',
    address: '10.1.0.50',
    interface: 'Ethernet',
    provider: 'azureLoadBalancer',
    probePort: port,
  });
  const run = async (port: number) => {
    const vips = [azureVip(port)];
    const cloud = await gatherCloudFacts({ clock: new VirtualClock() }, vips);
    return cloudOnly(runDoctor(facts(undefined, { cloud }), expectations({ cloudVips: vips })));
  };

  it('a free probe port passes, and the load balancer settings are reported as info', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, r));
    const port = (held.address() as AddressInfo).port;
    await new Promise<void>((r) => held.close(() => r()));
    const results = await run(port);
    assert.deepEqual(
      results.map((r) => `${r.status} ${r.id}`),
      [`pass azure:probe-port:${port}`, 'info azure:lb-rule:web/lb'],
    );
    assert.match(results[1]!.detail, new RegExp(`floating IP \\(Direct Server Return\\) and its health probe must target TCP ${port}$`));
  });

  it('a probe port something else listens on fails naming the port', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, r));
    const port = (held.address() as AddressInfo).port;
    const r = byId(await run(port), `azure:probe-port:${port}`);
    assert.equal(r.status, 'fail');
    assert.match(r.detail, new RegExp(`^TCP ${port} is already taken on this node \\(EADDRINUSE\\)`));
    assert.match(r.fix!, new RegExp(`Get-NetTCPConnection -LocalPort ${port}`));
    assert.deepEqual(await listenBriefly(port), { free: false, error: 'EADDRINUSE' });
    await new Promise<void>((res) => held.close(() => res()));
  });
});
