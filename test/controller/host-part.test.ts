/** host-part.ts: what the beat compares for a resting group — its own sites and addresses, nothing else (issue 19). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostParts, watchable } from '../../src/controller/host-part.js';
import { jsonEqual } from '../../src/lib/json.js';
import type { IpAddressInfo, SiteInfo } from '../../src/drivers/types.js';
import type { VirtualIP } from '../../src/api/types.js';

const site = (name: string, state: SiteInfo['state'] = 'Started'): SiteInfo => ({
  id: 1,
  name,
  state,
  bindings: [{ protocol: 'http', address: '10.0.0.50', port: 80, hostHeader: '' }],
  physicalPath: `E:\\sites\\${name}`,
  serverAutoStart: false,
  applicationPool: name,
});
const addr = (address: string, addressState: IpAddressInfo['addressState'] = 'Preferred'): IpAddressInfo => ({
  address,
  prefixLength: 24,
  interfaceAlias: 'Ethernet',
  addressState,
  skipAsSource: false,
});
const sitesOf = (...l: SiteInfo[]) => new Map(l.map((s) => [s.name.toLowerCase(), s]));
const part = { sites: ['website1'], addresses: ['10.0.0.50'], quickMs: 10_000 };

/** The part as a full look records it on one observation. */
const recorded = (p: HostParts, sites: Map<string, SiteInfo>, addrs: IpAddressInfo[], what = part) => ({
  ...what,
  seen: p.seen(what, sites, addrs),
  fullAt: 0,
});

describe('a resting group’s part of the host', () => {
  it('is the same on a new observation of the same host, whatever changed for other groups', () => {
    const p = new HostParts();
    const r = recorded(p, sitesOf(site('website1'), site('other')), [addr('10.0.0.11'), addr('10.0.0.50'), addr('10.0.0.51')]);
    assert.equal(p.same(r, sitesOf(site('website1'), site('other', 'Stopped')), [addr('10.0.0.50'), addr('10.0.0.11')]), true);
  });

  it('changes when its site stops, disappears or changes its bindings', () => {
    const p = new HostParts();
    const addrs = [addr('10.0.0.50')];
    const r = recorded(p, sitesOf(site('website1')), addrs);
    assert.equal(p.same(r, sitesOf(site('website1', 'Stopped')), addrs), false);
    assert.equal(p.same(r, sitesOf(), addrs), false);
    const moved: SiteInfo = { ...site('website1'), bindings: [{ protocol: 'http', address: '10.0.0.60', port: 80, hostHeader: '' }] };
    assert.equal(p.same(r, sitesOf(moved), addrs), false);
  });

  it('changes when its address goes, comes, turns Duplicate or appears on a second interface', () => {
    const p = new HostParts();
    const sites = sitesOf(site('website1'));
    const r = recorded(p, sites, [addr('10.0.0.50')]);
    assert.equal(p.same(r, sites, []), false);
    assert.equal(p.same(r, sites, [addr('10.0.0.50', 'Duplicate')]), false);
    assert.equal(p.same(r, sites, [addr('10.0.0.50'), { ...addr('10.0.0.50'), interfaceAlias: 'Replication' }]), false);
    const absent = recorded(p, sites, [], { ...part, addresses: ['10.0.0.51'] });
    assert.equal(p.same(absent, sites, [addr('10.0.0.51')]), false);
    assert.equal(p.same(absent, sites, [addr('10.0.0.52')]), true);
  });

  it('compares what a driver answers by value: equal data read twice is the same, any field that differs is not', () => {
    const a = site('website1');
    assert.equal(jsonEqual(JSON.parse(JSON.stringify(a)), a), true);
    assert.equal(jsonEqual({ ...a, error: 'access denied' }, a), false);
    assert.equal(jsonEqual(a, { ...a, error: 'access denied' }), false);
    assert.equal(jsonEqual({ ...a, bindings: [] }, a), false);
    assert.equal(jsonEqual({ ...a, bindings: [{ ...a.bindings[0]!, port: 8080 }] }, a), false);
    assert.equal(jsonEqual(null, a), false);
    assert.equal(jsonEqual([], {}), false);
    assert.equal(jsonEqual({ n: 1 }, { m: 1 }), false);
  });

  it('is not enough for an address a cloud API moves or a load balancer probes', () => {
    const vip = (spec: Record<string, unknown>) =>
      ({ spec: { group: 'web', address: '10.0.0.50', prefixLength: 24, ...spec } }) as unknown as VirtualIP;
    assert.equal(watchable([vip({})]), true);
    assert.equal(watchable([vip({ provider: { type: 'azureLoadBalancer', probePort: 59999 } })]), false);
    assert.equal(watchable([vip({ provider: { type: 'awsSecondaryIp' } })]), false);
  });
});
