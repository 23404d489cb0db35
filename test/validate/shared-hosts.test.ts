/**
 * Issue 18 item 4: `winha validate` catches two clusters of one repository that would fight over a host —
 * one management address in two Clusters, and what their groups would contend for there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, expectOnly, find, run, type Obj } from '../support/validate-set.js';

/** The base set again as Cluster `dr` in namespace `dr`, its nodes at `addresses`. */
function second(addresses: [string, string]): Obj[] {
  const objs = base();
  for (const o of objs) o.metadata.namespace = 'dr';
  const c = find(objs, 'Cluster', 'prod');
  c.metadata.name = 'dr';
  c.spec.nodes[0].address = addresses[0];
  c.spec.nodes[1].address = addresses[1];
  return objs;
}

test('two clusters reusing node names on other hosts are fine (as the examples do)', () => {
  const r = run([...base(), ...second(['192.168.9.1', '192.168.9.2'])]);
  assert.deepEqual(r.report.problems, []);
});

test('one host in two clusters: node-in-several-clusters on each side, and each resource they would contend for, once', () => {
  const r = run([...base(), ...second(['192.168.0.1', '192.168.0.2'])]);
  const nodes = expectOnly(r, 'node-in-several-clusters', 4);
  for (const p of nodes) {
    assert.equal(p.kind, 'Cluster');
    assert.match(r.line(p), /address: 192\.168\.0\.[12]/);
  }
  assert.match(
    nodes[0]!.message,
    /^node node1 \(192\.168\.0\.1\) of Cluster default\/prod is also node node1 of Cluster dr\/dr \(set\.yaml:\d+:\d+\): one host in two clusters/,
  );
  // golden-ish: rule, object, the line it points at, what it names
  const conflicts = expectOnly(r, 'shared-host-conflict', 6).map((p) => [
    p.kind,
    p.name,
    r.line(p).trim(),
    p.message.replace(/set\.yaml:\d+:\d+/, 'AT'),
  ]);
  assert.deepEqual(conflicts, [
    [
      'VirtualIP',
      'web-vip',
      'address: 10.0.0.50',
      'address 10.0.0.50 of VirtualIP web-vip is also address 10.0.0.50 of VirtualIP dr/web-vip (AT), of Cluster dr/dr, on host 192.168.0.1 (node node1 here, node1 there): one address on one host cannot follow two groups',
    ],
    [
      'Mirror',
      'web-data',
      'volume: "E:"',
      'volume E: of Mirror web-data is also volume E: of Mirror dr/web-data (AT), of Cluster dr/dr, on host 192.168.0.1 (node node1 here, node1 there): one drive letter is one volume, and DataKeeper mirrors it once',
    ],
    [
      'IISSite',
      'website1',
      'siteName: website1',
      'IIS site name "website1" of IISSite website1 is also IIS site name "website1" of IISSite dr/website1 (AT), of Cluster dr/dr, on host 192.168.0.1 (node node1 here, node1 there): IIS site names are unique per server',
    ],
    [
      'VirtualIP',
      'web-vip',
      'address: 10.0.0.50',
      conflictsOtherWay('VirtualIP', 'web-vip', 'address 10.0.0.50', 'default/prod', 'one address on one host cannot follow two groups'),
    ],
    [
      'Mirror',
      'web-data',
      'volume: "E:"',
      conflictsOtherWay(
        'Mirror',
        'web-data',
        'volume E:',
        'default/prod',
        'one drive letter is one volume, and DataKeeper mirrors it once',
      ),
    ],
    [
      'IISSite',
      'website1',
      'siteName: website1',
      conflictsOtherWay('IISSite', 'website1', 'IIS site name "website1"', 'default/prod', 'IIS site names are unique per server'),
    ],
  ]);
});

function conflictsOtherWay(kind: string, name: string, what: string, cluster: string, why: string): string {
  return `${what} of ${kind} ${name} is also ${what} of ${kind} default/${name} (AT), of Cluster ${cluster}, on host 192.168.0.1 (node node1 here, node1 there): ${why}`;
}

test('a group that cannot run on the shared host contends for nothing there', () => {
  const other = second(['192.168.0.1', '192.168.9.2']); // only node1 shared
  find(other, 'FailoverGroup', 'web').spec.nodes = [{ name: 'node2', priority: 1 }];
  find(other, 'Mirror', 'web-data').spec.endpoints = [{ node: 'node2', address: '172.16.9.2' }];
  const r = run([...base(), ...other]);
  expectOnly(r, 'node-in-several-clusters', 2);
  expectOnly(r, 'shared-host-conflict', 0);
});

test("an Azure probe port on the shared host that the other cluster's site binds", () => {
  const other = second(['192.168.0.1', '192.168.0.2']);
  const vip = find(other, 'VirtualIP', 'web-vip');
  vip.spec.address = '10.9.0.50';
  vip.spec.provider = { type: 'azureLoadBalancer', probePort: 8080 };
  find(other, 'Mirror', 'web-data').spec.volume = 'F:';
  const site = find(other, 'IISSite', 'website1');
  site.spec.siteName = 'drsite';
  site.spec.physicalPath = 'F:\\sites\\drsite';
  site.spec.bindings[0].address = '10.9.0.50';
  const mine = base();
  find(mine, 'IISSite', 'website1').spec.bindings.push({
    protocol: 'http',
    address: '10.0.0.50',
    port: 8080,
    hostHeader: 'alt.example.com',
  });
  const r = run([...mine, ...other]);
  const ps = expectOnly(r, 'shared-host-conflict', 2);
  assert.ok(ps.some((p) => p.kind === 'VirtualIP' && /probe port 8080 .* http port 8080 of IISSite default\/website1/.test(p.message)));
  assert.ok(
    ps.some(
      (p) => p.kind === 'IISSite' && /the agent listens on a probe port on every address/.test(p.message) && /port: 8080/.test(r.line(p)),
    ),
  );
});
