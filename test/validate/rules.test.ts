/**
 * Every cross-object rule: a set that breaks it (reported at the right place)
 * and the acceptance base set that passes it. Covers acceptance rows V1–V5.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toYaml as stringify } from '../../src/lib/yaml.js';
import { validateInputs } from '../../src/validate/validate.js';
import { RULES } from '../../src/validate/problem.js';
import { base, expectOnly, find, pointsAt, run } from '../support/validate-set.js';

test('the acceptance base set is valid: no problem at all', () => {
  const r = run(base());
  assert.deepEqual(r.report.problems, []);
  assert.equal(r.report.valid, true);
  assert.equal(r.report.documents, 5);
});

describe('topology rules', () => {
  test('duplicate-object: both copies reported, each naming the other place', () => {
    const objs = base();
    objs.push(structuredClone(find(objs, 'VirtualIP', 'web-vip')));
    const r = run(objs);
    const ps = expectOnly(r, 'duplicate-object', 2);
    for (const p of ps) {
      assert.match(p.message, /declared more than once \(also at set\.yaml:\d+:\d+\)/);
      pointsAt(r, p, 'web-vip');
    }
  });

  test('dangling-reference: a site of an undeclared group, a group naming an undeclared cluster', () => {
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.group = 'shop';
    find(objs, 'FailoverGroup', 'web').spec.cluster = 'other';
    const r = run(objs);
    const ps = r.of('dangling-reference');
    assert.ok(ps.some((p) => p.kind === 'IISSite' && /FailoverGroup "shop"/.test(p.message) && r.line(p).includes('group: shop')));
    assert.ok(ps.some((p) => p.kind === 'FailoverGroup' && /Cluster "other"/.test(p.message) && r.line(p).includes('cluster: other')));
  });

  test('dangling-reference: a group with no cluster at all', () => {
    const objs = base().filter((o) => o.kind !== 'Cluster');
    const r = run(objs);
    assert.ok(r.of('dangling-reference').some((p) => /declares none/.test(p.message)));
  });

  test('ambiguous-cluster: two clusters and a group that names neither; naming one fixes it', () => {
    const objs = base();
    const second = structuredClone(find(objs, 'Cluster', 'prod'));
    second.metadata.name = 'dr';
    objs.push(second);
    expectOnly(run(objs), 'ambiguous-cluster', 1);
    find(objs, 'FailoverGroup', 'web').spec.cluster = 'prod';
    expectOnly(run(objs), 'ambiguous-cluster', 0);
  });

  test('node-not-in-cluster: group, mirror and VIP override naming a stranger', () => {
    const objs = base();
    find(objs, 'FailoverGroup', 'web').spec.nodes.push({ name: 'node3', priority: 20 });
    find(objs, 'VirtualIP', 'web-vip').spec.nodeInterfaces = [{ node: 'node7', interface: 'Ethernet 2' }];
    const r = run(objs);
    const ps = r.of('node-not-in-cluster');
    assert.ok(ps.some((p) => p.kind === 'FailoverGroup' && r.line(p).includes('node3')));
    assert.ok(ps.some((p) => p.kind === 'VirtualIP' && r.line(p).includes('node7')));
    assert.match(ps[0]!.message, /nodes: node1, node2/);
    expectOnly(run(base()), 'node-not-in-cluster', 0);
  });

  test('duplicate-node: a node listed twice in a group', () => {
    const objs = base();
    find(objs, 'FailoverGroup', 'web').spec.nodes.push({ name: 'node1', priority: 30 });
    const r = run(objs);
    const [p] = expectOnly(r, 'duplicate-node', 1);
    assert.match(p!.message, /node1 is listed twice/);
  });

  test('V4 duplicate-priority: two nodes with priority 5, reported at both', () => {
    const objs = base();
    const g = find(objs, 'FailoverGroup', 'web');
    g.spec.nodes[0].priority = 5;
    g.spec.nodes[1].priority = 5;
    const r = run(objs);
    const ps = expectOnly(r, 'duplicate-priority', 2);
    for (const p of ps) pointsAt(r, p, '5');
    assert.notEqual(ps[0]!.line, ps[1]!.line);
  });

  test('priority-out-of-range: 0 and 1000 refused, 1 and 999 accepted', () => {
    const objs = base();
    const g = find(objs, 'FailoverGroup', 'web');
    g.spec.nodes[0].priority = 0;
    g.spec.nodes[1].priority = 1000;
    const r = run(objs);
    const ps = expectOnly(r, 'priority-out-of-range', 2);
    assert.match(ps[0]!.message, /1–999/);
    g.spec.nodes[0].priority = 1;
    g.spec.nodes[1].priority = 999;
    expectOnly(run(objs), 'priority-out-of-range', 0);
  });

  test('timing-unsafe: renewDeadline must be below leaseDuration, retryPeriod below renewDeadline', () => {
    const objs = base();
    const c = find(objs, 'Cluster', 'prod');
    c.spec.timing = { leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
    let r = run(objs);
    let [p] = expectOnly(r, 'timing-unsafe', 1);
    assert.ok(r.line(p!).includes('renewDeadlineSeconds: 10'));
    c.spec.timing = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 10 };
    r = run(objs);
    [p] = expectOnly(r, 'timing-unsafe', 1);
    assert.ok(r.line(p!).includes('retryPeriodSeconds: 10'));
    // Defaults (15/10/2) are safe; a lease shorter than the default renewDeadline is not.
    c.spec.timing = { leaseDurationSeconds: 8 };
    expectOnly(run(objs), 'timing-unsafe', 1);
    c.spec.timing = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
    expectOnly(run(objs), 'timing-unsafe', 0);
  });

  test('single-node-group is a warning: the run stays valid', () => {
    const objs = base();
    const g = find(objs, 'FailoverGroup', 'web');
    g.spec.nodes = [{ name: 'node1', priority: 1 }];
    find(objs, 'Mirror', 'web-data').spec.endpoints.pop();
    find(objs, 'Mirror', 'web-data').spec.endpoints.push({ node: 'node1', address: '172.16.0.9' });
    const r = run(objs);
    const [p] = expectOnly(r, 'single-node-group', 1);
    assert.equal(p!.severity, 'warning');
    expectOnly(run(base()), 'single-node-group', 0);
  });

  test('group-without-resources is a warning', () => {
    const objs = base().filter((o) => o.kind === 'Cluster' || o.kind === 'FailoverGroup');
    const r = run(objs);
    const [p] = expectOnly(r, 'group-without-resources', 1);
    assert.equal(p!.severity, 'warning');
    assert.equal(r.report.valid, true);
  });
  test('automatic-switchback-with-mirror: a warning at spec.switchback (LifeKeeper: replicated data does not support automatic switchback)', () => {
    const objs = base();
    find(objs, 'FailoverGroup', 'web').spec.switchback = 'Automatic';
    const r = run(objs);
    const [p] = expectOnly(r, 'automatic-switchback-with-mirror', 1);
    assert.equal(p!.severity, 'warning');
    assert.equal(p!.kind, 'FailoverGroup');
    assert.equal(p!.name, 'web');
    assert.match(p!.message, /Mirror web-data/);
    pointsAt(r, p!, 'switchback: Automatic');
    assert.equal(r.report.valid, true, 'a warning, not an error');
    // Intelligent with a mirror, or Automatic without one, is fine.
    find(objs, 'FailoverGroup', 'web').spec.switchback = 'Intelligent';
    expectOnly(run(objs), 'automatic-switchback-with-mirror', 0);
    const noMirror = base().filter((o) => o.kind !== 'Mirror');
    find(noMirror, 'FailoverGroup', 'web').spec.switchback = 'Automatic';
    find(noMirror, 'IISSite', 'website1').spec.physicalPath = 'C:\\inetpub\\website1';
    const r2 = run(noMirror);
    expectOnly(r2, 'automatic-switchback-with-mirror', 0);
  });
});

describe('async failover policy', () => {
  test('async-failover-on-sync-mirror: a warning at spec.asyncFailover of a Synchronous mirror (the policy is inert there)', () => {
    const objs = base();
    find(objs, 'Mirror', 'web-data').spec.asyncFailover = 'Refuse';
    const r = run(objs);
    const [p] = expectOnly(r, 'async-failover-on-sync-mirror', 1);
    assert.equal(p!.severity, 'warning');
    assert.equal(p!.kind, 'Mirror');
    assert.match(p!.message, /Synchronous/);
    pointsAt(r, p!, 'asyncFailover: Refuse');
    assert.equal(r.report.valid, true, 'a warning, not an error');
    // Allow is the default an API server fills in everywhere: no warning; nor on an asynchronous mirror.
    find(objs, 'Mirror', 'web-data').spec.asyncFailover = 'Allow';
    expectOnly(run(objs), 'async-failover-on-sync-mirror', 0);
    find(objs, 'Mirror', 'web-data').spec.asyncFailover = 'Refuse';
    find(objs, 'Mirror', 'web-data').spec.mode = 'Asynchronous';
    expectOnly(run(objs), 'async-failover-on-sync-mirror', 0);
  });
  test('asyncFailover takes only Allow or Refuse', () => {
    const objs = base();
    find(objs, 'Mirror', 'web-data').spec.mode = 'Asynchronous';
    find(objs, 'Mirror', 'web-data').spec.asyncFailover = 'Maybe';
    assert.equal(run(objs).report.valid, false);
  });
});

describe('resource rules', () => {
  test('V1 binding-conflict: two sites with the same protocol IP:port:host, reported at both places', () => {
    const objs = base();
    const other = structuredClone(find(objs, 'IISSite', 'website1'));
    other.metadata.name = 'website2';
    other.spec.siteName = 'website2';
    other.spec.physicalPath = 'E:\\sites\\website2';
    objs.push(other);
    const r = run(objs);
    const ps = expectOnly(r, 'binding-conflict', 2);
    assert.deepEqual(ps.map((p) => p.name).sort(), ['website1', 'website2']);
    for (const p of ps) {
      assert.match(p.message, /9422/);
      assert.match(p.message, /set\.yaml:\d+:\d+/);
      pointsAt(r, p, 'protocol: http');
    }
    // A different host header is a different binding.
    other.spec.bindings[0].hostHeader = 'shop.example.com';
    expectOnly(run(objs), 'binding-conflict', 0);
  });

  test('binding-conflict: host headers compare without case, as HTTP.sys routes', () => {
    const objs = base();
    const s = find(objs, 'IISSite', 'website1');
    s.spec.bindings.push({ ...s.spec.bindings[0], hostHeader: 'WWW.Example.com' });
    expectOnly(run(objs), 'binding-conflict', 2);
  });

  test('V2 binding-address-not-virtual: an IP that is no VIP of the group, and "*"', () => {
    const objs = base();
    const s = find(objs, 'IISSite', 'website1');
    s.spec.bindings[0].address = '10.0.0.99';
    s.spec.bindings.push({ protocol: 'http', address: '*', port: 8080 });
    const r = run(objs);
    const ps = expectOnly(r, 'binding-address-not-virtual', 2);
    assert.match(ps[0]!.message, /10\.0\.0\.99 is not a VirtualIP of group web \(its VIPs: 10\.0\.0\.50\)/);
    pointsAt(r, ps[0]!, '10.0.0.99');
    assert.match(ps[1]!.message, /"\*"/);
  });

  test('binding addresses compare canonically (010.0.0.50 is 10.0.0.50)', () => {
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.bindings[0].address = '10.0.0.050';
    expectOnly(run(objs), 'binding-address-not-virtual', 0);
  });

  test("vip-shared-across-groups: a site binding another group's VIP", () => {
    const objs = base();
    objs.push(
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'FailoverGroup',
        metadata: { name: 'ftp' },
        spec: {
          nodes: [
            { name: 'node1', priority: 1 },
            { name: 'node2', priority: 2 },
          ],
        },
      },
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'IISSite',
        metadata: { name: 'ftp1' },
        spec: {
          group: 'ftp',
          siteName: 'ftp1',
          service: 'FTP',
          bindings: [{ protocol: 'ftp', address: '10.0.0.50', port: 21 }],
          physicalPath: 'E:\\ftp',
        },
      },
    );
    const r = run(objs);
    const [p] = expectOnly(r, 'vip-shared-across-groups', 1);
    assert.match(p!.message, /VirtualIP web-vip of group web/);
  });

  test('binding-protocol-mismatch and certificate-required', () => {
    const objs = base();
    const s = find(objs, 'IISSite', 'website1');
    s.spec.bindings.push({ protocol: 'ftp', address: '10.0.0.50', port: 21 });
    s.spec.bindings.push({ protocol: 'https', address: '10.0.0.50', port: 443, hostHeader: 'www.example.com' });
    const r = run(objs);
    expectOnly(r, 'binding-protocol-mismatch', 1);
    expectOnly(r, 'certificate-required', 1);
    s.spec.bindings.splice(1, 1);
    s.spec.bindings[1].certificateThumbprint = 'D043B153FCEFD5011B9C28E186A60B9F13103363';
    const ok = run(objs);
    expectOnly(ok, 'binding-protocol-mismatch', 0);
    expectOnly(ok, 'certificate-required', 0);
  });

  test('duplicate-virtual-ip: one address declared by two VIPs', () => {
    const objs = base();
    const v = structuredClone(find(objs, 'VirtualIP', 'web-vip'));
    v.metadata.name = 'web-vip-2';
    objs.push(v);
    const r = run(objs);
    const ps = expectOnly(r, 'duplicate-virtual-ip', 2);
    for (const p of ps) pointsAt(r, p, '10.0.0.50');
  });

  test('V3 content-not-on-mirror: F: without a mirror, a UNC path, a relative path', () => {
    for (const [path, pattern] of [
      ['F:\\sites\\website1', /on F:, which is no Mirror of group web \(its mirrors: E:\)/],
      ['\\\\fileserver\\share\\site', /UNC path/],
      ['sites\\website1', /absolute local path/],
    ] as const) {
      const objs = base();
      find(objs, 'IISSite', 'website1').spec.physicalPath = path;
      const r = run(objs);
      const [p] = expectOnly(r, 'content-not-on-mirror', 1);
      assert.match(p!.message, pattern);
      assert.ok(r.line(p!).includes('physicalPath'));
    }
  });

  test('a Web site without physicalPath is a schema problem', () => {
    const objs = base();
    delete find(objs, 'IISSite', 'website1').spec.physicalPath;
    const r = run(objs);
    assert.ok(r.of('schema').some((p) => /physicalPath/.test(p.message)));
  });

  test('duplicate-mirror-volume and mirror-system-volume', () => {
    const objs = base();
    const m = structuredClone(find(objs, 'Mirror', 'web-data'));
    m.metadata.name = 'web-data-2';
    m.spec.volume = 'e';
    objs.push(m);
    expectOnly(run(objs), 'duplicate-mirror-volume', 2);
    m.spec.volume = 'C:';
    const r = run(objs);
    expectOnly(r, 'duplicate-mirror-volume', 0);
    expectOnly(r, 'mirror-system-volume', 1);
  });

  test("mirror-endpoint-mismatch: endpoints must be exactly the group's nodes", () => {
    const objs = base();
    const c = find(objs, 'Cluster', 'prod');
    c.spec.nodes.push({ name: 'node3', address: '192.168.0.3' });
    find(objs, 'Mirror', 'web-data').spec.endpoints[1].node = 'node3';
    const r = run(objs);
    const [p] = expectOnly(r, 'mirror-endpoint-mismatch', 1);
    assert.match(p!.message, /no endpoint for node2; endpoint for node3, not in the group/);
    assert.ok(r.line(p!).includes('endpoints'));
  });

  test('V5 invalid-site-name: "Web Site_1"', () => {
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.siteName = 'Web Site_1';
    const r = run(objs);
    const [p] = expectOnly(r, 'invalid-site-name', 1);
    pointsAt(r, p!, 'Web Site_1');
    assert.match(p!.message, /letters, digits and "-"/);
  });

  test('duplicate IIS site names across two objects are reported', () => {
    const objs = base();
    const other = structuredClone(find(objs, 'IISSite', 'website1'));
    other.metadata.name = 'website1-copy';
    other.spec.bindings[0].port = 8080;
    objs.push(other);
    const r = run(objs);
    assert.equal(r.of('duplicate-object').length, 2);
  });

  test('credentials-missing: FTP deep check with credentials but no secret', () => {
    const objs = base();
    objs.push({
      apiVersion: 'winha.io/v1alpha1',
      kind: 'IISSite',
      metadata: { name: 'ftp1' },
      spec: {
        group: 'web',
        siteName: 'ftp1',
        service: 'FTP',
        bindings: [{ protocol: 'ftp', address: '10.0.0.50', port: 21 }],
        physicalPath: 'E:\\ftp',
        checks: { ftp: { login: 'credentials' } },
      },
    });
    expectOnly(run(objs), 'credentials-missing', 1);
    objs[objs.length - 1]!.spec.checks.ftp.credentialsSecretRef = 'ftp-probe';
    expectOnly(run(objs), 'credentials-missing', 0);
  });

  test('VIP: prefix too long for IPv4, Azure provider without probe port', () => {
    const objs = base();
    const v = find(objs, 'VirtualIP', 'web-vip');
    v.spec.prefixLength = 40;
    v.spec.provider = { type: 'azureLoadBalancer' };
    const r = run(objs);
    assert.ok(r.of('schema').some((p) => /too long for the IPv4/.test(p.message)));
    assert.ok(r.of('provider-field-missing').some((p) => /probePort/.test(p.message)));
  });
});

describe('schema problems read like sentences', () => {
  test('unknown field with a suggestion, wrong type, missing field, bad enum', () => {
    const objs = base();
    const g = find(objs, 'FailoverGroup', 'web');
    g.spec.switchbak = 'Automatic';
    g.spec.autoFailover = 'yes';
    g.spec.desiredState = 'Running';
    delete find(objs, 'VirtualIP', 'web-vip').spec.prefixLength;
    const r = run(objs);
    const msgs = r.of('schema').map((p) => p.message);
    assert.ok(msgs.includes('unknown field "spec.switchbak"; did you mean "switchback"?'), msgs.join('\n'));
    assert.ok(msgs.includes('spec.autoFailover must be true or false, not string "yes"'), msgs.join('\n'));
    assert.ok(msgs.some((m) => /spec\.desiredState must be one of InService, OutOfService; got "Running"/.test(m)));
    assert.ok(msgs.includes('missing required field "spec.prefixLength"'));
    const unknown = r.of('schema').find((p) => p.message.includes('switchbak'))!;
    pointsAt(r, unknown, 'switchbak');
  });

  test('a value error elsewhere does not hide cross-object problems', () => {
    const objs = base();
    const g = find(objs, 'FailoverGroup', 'web');
    g.spec.nodes[0].priority = 1000;
    g.spec.nodes.push({ name: 'node1', priority: 1000 });
    const r = run(objs);
    assert.equal(r.of('priority-out-of-range').length, 2);
    assert.equal(r.of('duplicate-priority').length, 2);
  });
});

describe('sets, context and lists', () => {
  test('objects already in the store satisfy references without being reported on', () => {
    const all = base();
    const context = all.filter((o) => o.kind === 'Cluster' || o.kind === 'FailoverGroup' || o.kind === 'VirtualIP' || o.kind === 'Mirror');
    const r = run([find(all, 'IISSite', 'website1')], context);
    assert.deepEqual(r.report.problems, []);
  });

  test('a kind: List document is expanded into its items, positions inside the list', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: base() };
    const text = stringify(list);
    const bad = structuredClone(list);
    bad.items[4]!.spec.siteName = 'bad name';
    const r = validateInputs([{ name: 'list.yaml', content: stringify(bad) }]);
    assert.equal(validateInputs([{ name: 'list.yaml', content: text }]).problems.length, 0);
    const [p] = r.problems.filter((x) => x.rule === 'invalid-site-name');
    assert.ok(p);
    assert.ok(stringify(bad).split('\n')[p.line - 1]!.includes('bad name'));
  });

  test('JSON input is read like YAML, with positions', () => {
    const objs = base();
    find(objs, 'FailoverGroup', 'web').spec.nodes[1].priority = 1;
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }, null, 2);
    const r = validateInputs([{ name: 'set.json', content: text }]);
    const ps = r.problems.filter((p) => p.rule === 'duplicate-priority');
    assert.equal(ps.length, 2);
    for (const p of ps) assert.ok(text.split('\n')[p.line - 1]!.includes('"priority": 1'));
  });

  test('every rule id reported here is in the catalogue', () => {
    const ids = new Set(RULES.map((r) => r.id));
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.siteName = 'x y';
    for (const p of run(objs).report.problems) assert.ok(ids.has(p.rule), p.rule);
  });
});
