/**
 * endpoint-conflict (issue 15 item 12): HTTP.sys configures TLS per IP:port endpoint, so http and https cannot
 * share one, and the FTP service cannot listen where an http/https binding claims the IP:port.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RULE_BY_ID } from '../../src/validate/problem.js';
import { base, expectOnly, find, pointsAt, run, type Obj } from '../support/validate-set.js';

const THUMB = 'D043B153FCEFD5011B9C28E186A60B9F13103363';

function site(name: string, group: string, service: string, bindings: Obj[]): Obj {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name },
    spec: { group, siteName: name, service, bindings, physicalPath: `E:\\sites\\${name}` },
  };
}

/** A second group "other" on `nodes`, with its own mirror on E: (the letter is per group) and VIP 10.0.1.50. */
function otherGroup(nodes: string[], cluster?: string): Obj[] {
  return [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'FailoverGroup',
      metadata: { name: 'other' },
      spec: { ...(cluster ? { cluster } : {}), nodes: nodes.map((n, i) => ({ name: n, priority: i + 1 })) },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'VirtualIP',
      metadata: { name: 'other-vip' },
      spec: { group: 'other', address: '10.0.1.50', prefixLength: 24 },
    },
  ];
}

describe('endpoint-conflict', () => {
  test('the rule is in the catalogue', () => {
    assert.equal(RULE_BY_ID.get('endpoint-conflict')?.severity, 'error');
  });

  test('http and https on one IP:port, in one site: both bindings reported, naming each other and TLS per endpoint', () => {
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.bindings = [
      { protocol: 'http', address: '10.0.0.50', port: 8443, hostHeader: 'a.example.com' },
      { protocol: 'https', address: '10.0.0.50', port: 8443, hostHeader: 'b.example.com', certificateThumbprint: THUMB },
    ];
    const r = run(objs);
    const ps = expectOnly(r, 'endpoint-conflict', 2);
    for (const p of ps) {
      assert.match(p.message, /10\.0\.0\.50:8443/);
      assert.match(p.message, /TLS is configured per IP:port endpoint/);
      assert.match(p.message, /this site/);
      assert.match(p.message, /set\.yaml:\d+:\d+/);
    }
    assert.match(ps[0]!.message, /^http binding .* https binding/);
    pointsAt(r, ps[0]!, 'protocol: http');
    assert.equal(r.report.valid, false);
  });

  test('an ftp binding on an IP:port an http binding of another site claims', () => {
    const objs = base();
    objs.push(site('ftp1', 'web', 'FTP', [{ protocol: 'ftp', address: '10.0.0.50', port: 80 }]));
    const ps = expectOnly(run(objs), 'endpoint-conflict', 2);
    const ftp = ps.find((p) => p.name === 'ftp1')!;
    assert.match(ftp.message, /ftp binding 10\.0\.0\.50:80 .*http binding 10\.0\.0\.50:80 of IISSite website1/);
    assert.match(ftp.message, /HTTP\.sys/);
    assert.ok(ps.some((p) => p.name === 'website1' && /IISSite ftp1/.test(p.message)));
  });

  test('"*" overlaps every address on its port, and the message says so', () => {
    const objs = base();
    const s = find(objs, 'IISSite', 'website1');
    s.spec.bindings.push({ protocol: 'https', address: '*', port: 80, certificateThumbprint: THUMB });
    const ps = expectOnly(run(objs), 'endpoint-conflict', 2);
    for (const p of ps) assert.match(p.message, /"\*" means every address of the node, so \*:80 overlaps 10\.0\.0\.50:80/);
  });

  test('IPv6 spellings of one address are one endpoint', () => {
    const objs = base();
    objs.push({
      apiVersion: 'winha.io/v1alpha1',
      kind: 'VirtualIP',
      metadata: { name: 'web-vip6' },
      spec: { group: 'web', address: '2001:db8::50', prefixLength: 64 },
    });
    find(objs, 'IISSite', 'website1').spec.bindings.push(
      { protocol: 'http', address: '2001:DB8:0::50', port: 443 },
      { protocol: 'https', address: '2001:db8::50', port: 443, certificateThumbprint: THUMB },
    );
    expectOnly(run(objs), 'endpoint-conflict', 2);
  });

  test('two SNI https sites on one IP:443, ftp:21 beside http:80, ftp and ftps on one FTP endpoint stay valid; http on that :443 does not', () => {
    const objs = base();
    find(objs, 'IISSite', 'website1').spec.bindings.push({
      protocol: 'https',
      address: '10.0.0.50',
      port: 443,
      hostHeader: 'www.example.com',
      sni: true,
      certificateThumbprint: THUMB,
    });
    objs.push(
      site('shop', 'web', 'Web', [
        { protocol: 'https', address: '10.0.0.50', port: 443, hostHeader: 'shop.example.com', sni: true, certificateThumbprint: THUMB },
      ]),
      site('ftp1', 'web', 'FTP', [
        { protocol: 'ftp', address: '10.0.0.50', port: 21 },
        { protocol: 'ftps', address: '10.0.0.50', port: 21, certificateThumbprint: THUMB },
      ]),
    );
    assert.deepEqual(run(objs).report.problems, []);
    // …while plain http on that IP:443 would break the TLS endpoint they share.
    find(objs, 'IISSite', 'shop').spec.bindings.push({ protocol: 'http', address: '10.0.0.50', port: 443, hostHeader: 'shop.example.com' });
    expectOnly(run(objs), 'endpoint-conflict', 3);
  });

  test('only sites that can run on one node at one time: groups sharing a node of one cluster', () => {
    const conflicting = (nodes: string[]): number => {
      const objs = base();
      const c = find(objs, 'Cluster', 'prod');
      c.spec.nodes.push({ name: 'node3', address: '192.168.0.3' }, { name: 'node4', address: '192.168.0.4' });
      objs.push(...otherGroup(nodes));
      objs.push(site('ftp-all', 'other', 'FTP', [{ protocol: 'ftp', address: '*', port: 80 }]));
      return run(objs).of('endpoint-conflict').length;
    };
    assert.equal(conflicting(['node2', 'node3']), 2, 'node2 can run both groups');
    assert.equal(conflicting(['node3', 'node4']), 0, 'no node runs both groups');
    const dr = {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'dr' },
      spec: {
        nodes: [
          { name: 'node1', address: '192.168.1.1' },
          { name: 'node2', address: '192.168.1.2' },
        ],
      },
    };
    const objs = base();
    find(objs, 'FailoverGroup', 'web').spec.cluster = 'prod';
    objs.push(dr, ...otherGroup(['node1', 'node2'], 'dr'));
    objs.push(site('ftp-all', 'other', 'FTP', [{ protocol: 'ftp', address: '*', port: 80 }]));
    expectOnly(run(objs), 'endpoint-conflict', 0);
  });
});
