/**
 * Rules about VirtualIP spec.provider (issue 17): fields per provider, the Azure probe port, and what AWS
 * requires of the address for each way of moving it. Each asserts its code, severity and place.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RULE_BY_ID } from '../../src/validate/problem.js';
import { base, expectOnly, find, pointsAt, run, type Obj } from '../support/validate-set.js';

const RTB_A = 'rtb-0123456789abcdef0';
const RTB_B = 'rtb-0fedcba987654321f';
const EIP = 'eipalloc-0a1b2c3d4e5f60718';

function vip(name: string, group: string, address: string, prefixLength: number, provider?: Obj): Obj {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'VirtualIP',
    metadata: { name },
    spec: { group, address, prefixLength, ...(provider ? { provider } : {}) },
  };
}

function group(name: string, nodes: string[], cluster?: string): Obj {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name },
    spec: { ...(cluster ? { cluster } : {}), nodes: nodes.map((n, i) => ({ name: n, priority: i + 1 })) },
  };
}

function cluster(name: string, nodes: [string, string][]): Obj {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { nodes: nodes.map(([n, address]) => ({ name: n, address })) },
  };
}

/** The base set with web-vip given `provider`, and the cluster's nodes on AWS-like addresses 10.0.1.4 and 10.0.2.4. */
function withProvider(provider: Obj, address = '10.0.0.50', prefixLength = 24): Obj[] {
  const objs = base();
  const v = find(objs, 'VirtualIP', 'web-vip');
  v.spec.provider = provider;
  v.spec.address = address;
  v.spec.prefixLength = prefixLength;
  const nodes = find(objs, 'Cluster', 'prod').spec.nodes;
  nodes[0].address = '10.0.1.4';
  nodes[1].address = '10.0.2.4';
  // The site keeps binding the VIP (its address is the one the rules check).
  find(objs, 'IISSite', 'website1').spec.bindings[0].address = address;
  return objs;
}

describe('VirtualIP provider rules', () => {
  test('every rule is in the catalogue with its severity', () => {
    const expected: Record<string, string> = {
      'provider-field-missing': 'error',
      'provider-field-misplaced': 'error',
      'probe-port-conflict': 'error',
      'duplicate-route-table': 'error',
      'elastic-ip-not-public': 'error',
      'route-address-in-vpc': 'warning',
      'secondary-ip-outside-subnet': 'warning',
      'local-vip-with-cloud-provider': 'warning',
    };
    for (const [id, severity] of Object.entries(expected)) assert.equal(RULE_BY_ID.get(id)?.severity, severity, id);
  });

  test('complete providers validate without a provider problem', () => {
    for (const [provider, address, prefix] of [
      [{ type: 'local' }, '10.0.0.50', 24],
      [{ type: 'azureLoadBalancer', probePort: 59999 }, '10.0.0.50', 24],
      [{ type: 'awsSecondaryIp', region: 'eu-west-1' }, '10.0.1.50', 16],
      [{ type: 'awsRouteTable', routeTableIds: [RTB_A, RTB_B] }, '192.168.77.10', 32],
      [{ type: 'awsElasticIp', allocationId: EIP }, '203.0.113.10', 32],
    ] as const) {
      const r = run(withProvider({ ...provider }, address, prefix));
      const ps = r.report.problems.filter((p) => p.kind === 'VirtualIP' && p.rule !== 'single-node-group');
      assert.deepEqual(ps, [], `${provider.type}: ${JSON.stringify(ps)}`);
      assert.equal(r.report.valid, true, provider.type);
    }
  });

  describe('provider-field-missing / provider-field-misplaced', () => {
    for (const [type, field] of [
      ['azureLoadBalancer', 'probePort'],
      ['awsRouteTable', 'routeTableIds'],
      ['awsElasticIp', 'allocationId'],
    ] as const) {
      test(`${type} without ${field}: an error at provider.type`, () => {
        const r = run(withProvider({ type }, type === 'awsElasticIp' ? '203.0.113.10' : '192.168.77.10'));
        const [p] = expectOnly(r, 'provider-field-missing', 1);
        assert.equal(p!.severity, 'error');
        assert.equal(p!.kind, 'VirtualIP');
        assert.match(p!.message, new RegExp(`^provider ${type} needs ${field}: `));
        pointsAt(r, p!, `type: ${type}`);
        assert.equal(r.report.valid, false);
      });
    }

    test('a field of another provider is an error at that field, naming the provider it is for', () => {
      const r = run(withProvider({ type: 'awsSecondaryIp', probePort: 59999 }, '10.0.1.50', 16));
      const [p] = expectOnly(r, 'provider-field-misplaced', 1);
      assert.equal(p!.severity, 'error');
      assert.match(p!.message, /^probePort is only for provider azureLoadBalancer; this VirtualIP's provider is awsSecondaryIp/);
      pointsAt(r, p!, 'probePort: 59999');
    });

    test('allocationId and region on azureLoadBalancer: one problem each', () => {
      const r = run(withProvider({ type: 'azureLoadBalancer', probePort: 59999, allocationId: EIP, region: 'eu-west-1' }));
      const ps = expectOnly(r, 'provider-field-misplaced', 2);
      assert.ok(ps.some((p) => /^allocationId is only for provider awsElasticIp/.test(p.message) && r.line(p).includes('allocationId:')));
      assert.ok(
        ps.some(
          (p) =>
            /^region is only for provider awsSecondaryIp, awsRouteTable, awsElasticIp/.test(p.message) && r.line(p).includes('region:'),
        ),
      );
    });

    test('a provider field without a type: the message says the type is local by default', () => {
      const r = run(withProvider({ routeTableIds: [RTB_A] }));
      const [p] = expectOnly(r, 'provider-field-misplaced', 1);
      assert.match(p!.message, /provider is local \(the default\): remove routeTableIds, or set provider\.type/);
      pointsAt(r, p!, 'routeTableIds:');
    });
  });

  describe('probe-port-conflict', () => {
    test("a site binding on the probe port: reported at the VIP's probePort and at the binding's port", () => {
      const objs = withProvider({ type: 'azureLoadBalancer', probePort: 8080 });
      find(objs, 'IISSite', 'website1').spec.bindings.push({ protocol: 'http', address: '10.0.0.50', port: 8080 });
      const r = run(objs);
      const ps = expectOnly(r, 'probe-port-conflict', 2);
      for (const p of ps) assert.equal(p.severity, 'error');
      const onVip = ps.find((p) => p.kind === 'VirtualIP')!;
      const onSite = ps.find((p) => p.kind === 'IISSite')!;
      assert.match(
        onVip.message,
        /^probePort 8080 is also the port of http binding 10\.0\.0\.50:8080 of IISSite website1 \(set\.yaml:\d+:\d+\)/,
      );
      assert.match(onSite.message, /^port 8080 is the probe port of VirtualIP web-vip \(set\.yaml:\d+:\d+\)/);
      pointsAt(r, onVip, 'probePort: 8080');
      pointsAt(r, onSite, 'port: 8080');
    });

    test('a site of another group sharing a node clashes; one of a cluster on other nodes does not', () => {
      const objs = withProvider({ type: 'azureLoadBalancer', probePort: 8080 });
      objs.push(group('other', ['node2']), vip('other-vip', 'other', '10.0.0.60', 24));
      objs.push({
        apiVersion: 'winha.io/v1alpha1',
        kind: 'IISSite',
        metadata: { name: 'site2' },
        spec: {
          group: 'other',
          siteName: 'site2',
          bindings: [{ protocol: 'http', address: '10.0.0.60', port: 8080 }],
          physicalPath: 'E:\\s',
        },
      });
      expectOnly(run(objs), 'probe-port-conflict', 2);

      find(objs, 'FailoverGroup', 'web').spec.cluster = 'prod';
      find(objs, 'FailoverGroup', 'other').spec = { cluster: 'dr', nodes: [{ name: 'dr1', priority: 1 }] };
      objs.push(cluster('dr', [['dr1', '10.9.0.1']]));
      expectOnly(run(objs), 'probe-port-conflict', 0);
    });

    test('two groups that may share a node with one probe port: both reported; one group sharing it is fine', () => {
      const objs = withProvider({ type: 'azureLoadBalancer', probePort: 59999 });
      objs.push(vip('web-vip2', 'web', '10.0.0.51', 24, { type: 'azureLoadBalancer', probePort: 59999 }));
      expectOnly(run(objs), 'probe-port-conflict', 0);

      objs.push(
        group('other', ['node1', 'node2']),
        vip('other-vip', 'other', '10.0.0.60', 24, { type: 'azureLoadBalancer', probePort: 59999 }),
      );
      const r = run(objs);
      const ps = expectOnly(r, 'probe-port-conflict', 3);
      const onOther = ps.find((p) => p.name === 'other-vip')!;
      assert.match(
        onOther.message,
        /^probePort 59999 is also the probe port of VirtualIP web-vip of group web \(set\.yaml:\d+:\d+\), and the two groups may be active on one node/,
      );
      pointsAt(r, onOther, 'probePort: 59999');
      assert.ok(ps.some((p) => p.name === 'web-vip2' && /VirtualIP other-vip of group other/.test(p.message)));
    });
  });

  test('duplicate-route-table: the second listing, naming the first', () => {
    const r = run(withProvider({ type: 'awsRouteTable', routeTableIds: [RTB_A, RTB_B, RTB_A] }, '192.168.77.10', 32));
    const [p] = expectOnly(r, 'duplicate-route-table', 1);
    assert.equal(p!.severity, 'error');
    assert.match(p!.message, new RegExp(`^route table ${RTB_A} is listed twice \\(also at set\\.yaml:(\\d+):\\d+\\)`));
    const firstLine = Number(/set\.yaml:(\d+)/.exec(p!.message)![1]);
    assert.ok(r.line(p!).includes(RTB_A));
    assert.ok(p!.line > firstLine, 'points at the later listing');
  });

  test("route-address-in-vpc: an address in a node's /16 is a warning saying what to check", () => {
    const r = run(withProvider({ type: 'awsRouteTable', routeTableIds: [RTB_A] }, '10.0.9.9', 32));
    const [p] = expectOnly(r, 'route-address-in-vpc', 1);
    assert.equal(p!.severity, 'warning');
    assert.match(p!.message, /^address 10\.0\.9\.9 is in the \/16 of node node1's address 10\.0\.1\.4/);
    assert.match(p!.message, /outside every CIDR block of the VPC \(check aws ec2 describe-vpcs\)/);
    pointsAt(r, p!, 'address: 10.0.9.9');
    assert.equal(r.report.valid, true, 'a warning only');
  });

  describe('secondary-ip-outside-subnet', () => {
    test('outside every node subnet: a warning naming every node', () => {
      const r = run(withProvider({ type: 'awsSecondaryIp' }, '10.0.3.50', 24));
      const [p] = expectOnly(r, 'secondary-ip-outside-subnet', 1);
      assert.equal(p!.severity, 'warning');
      assert.match(
        p!.message,
        /^no node of the group has an address in 10\.0\.3\.50\/24: node1 \(10\.0\.1\.4\), node2 \(10\.0\.2\.4\); a secondary private IP/,
      );
      pointsAt(r, p!, 'address: 10.0.3.50');
    });

    test('in one node subnet only (nodes in two zones): the other node could not take it over', () => {
      const r = run(withProvider({ type: 'awsSecondaryIp' }, '10.0.1.50', 24));
      const [p] = expectOnly(r, 'secondary-ip-outside-subnet', 1);
      assert.match(p!.message, /^node node2 \(10\.0\.2\.4\) has no address in 10\.0\.1\.50\/24; .*Availability Zone/);
    });

    test('node addresses given as DNS names: nothing to compare, no warning', () => {
      const objs = withProvider({ type: 'awsSecondaryIp' }, '10.0.3.50', 24);
      for (const n of find(objs, 'Cluster', 'prod').spec.nodes) n.address = `${n.name}.corp.example.com`;
      expectOnly(run(objs), 'secondary-ip-outside-subnet', 0);
    });
  });

  describe('elastic-ip-not-public', () => {
    for (const [address, prefix, why] of [
      ['10.0.0.50', 32, 'a private or reserved address'],
      ['172.20.1.1', 32, 'a private or reserved address'],
      ['100.64.0.9', 32, 'a private or reserved address'],
      ['2001:db8::10', 128, 'an IPv6 address \\(Elastic IPs are IPv4\\)'],
    ] as const) {
      test(`${address} is refused`, () => {
        const r = run(withProvider({ type: 'awsElasticIp', allocationId: EIP }, address, prefix));
        const [p] = expectOnly(r, 'elastic-ip-not-public', 1);
        assert.equal(p!.severity, 'error');
        assert.match(p!.message, new RegExp(`^an Elastic IP is public: ${address.replace(/\./g, '\\.')} is ${why}; .*${EIP}`));
        pointsAt(r, p!, `address: `);
      });
    }
  });

  test('local-vip-with-cloud-provider: the local VIP of a group with a cloud VIP is warned; two cloud providers are fine', () => {
    const objs = base();
    objs.push(vip('web-vip2', 'web', '10.0.0.51', 24, { type: 'awsSecondaryIp' }));
    const r = run(objs);
    const [p] = expectOnly(r, 'local-vip-with-cloud-provider', 1);
    assert.equal(p!.severity, 'warning');
    assert.equal(p!.name, 'web-vip');
    assert.match(
      p!.message,
      /^VirtualIP web-vip is local .*VirtualIP web-vip2 of group web uses provider awsSecondaryIp: a local address is not reachable in a cloud network that ignores ARP/,
    );
    pointsAt(r, p!, 'address: 10.0.0.50');

    find(objs, 'VirtualIP', 'web-vip').spec.provider = { type: 'local' };
    pointsAt(run(objs), expectOnly(run(objs), 'local-vip-with-cloud-provider', 1)[0]!, 'type: local');

    find(objs, 'VirtualIP', 'web-vip').spec.provider = { type: 'awsRouteTable', routeTableIds: [RTB_A] };
    expectOnly(run(objs), 'local-vip-with-cloud-provider', 0);
  });
});
