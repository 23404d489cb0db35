/** A manifest's address and the host's are one address whatever their text forms (issue 15 item 10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IISSite, VirtualIP } from '../../src/api/types.js';
import type { IpAddressInfo, SiteInfo } from '../../src/drivers/types.js';
import { observeVip } from '../../src/reconcilers/virtual-ip.js';
import { planSite } from '../../src/reconcilers/iis-site.js';

const vip = (address: string): VirtualIP => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name: 'web-vip6', namespace: 'default' },
  spec: { group: 'web', address, prefixLength: 64 },
});

test('a VIP declared 2001:DB8::1 is present when the host reports 2001:db8::1', () => {
  const host: IpAddressInfo[] = [
    { address: '2001:db8::1', prefixLength: 64, interfaceAlias: 'Ethernet', addressState: 'Preferred', skipAsSource: false },
  ];
  const seen = observeVip(vip('2001:DB8::1'), host);
  assert.equal(seen.present, true);
  assert.equal(seen.state, 'Preferred');
});

test('a site binding written 2001:DB8::1 does not drift from the host-reported 2001:db8::1', () => {
  const site: IISSite = {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name: 'web1', namespace: 'default' },
    spec: {
      group: 'web',
      siteName: 'web1',
      bindings: [{ protocol: 'http', address: '2001:DB8::1', port: 80, hostHeader: '' }],
      physicalPath: 'E:\\sites\\web1',
    },
  };
  const observed: SiteInfo = {
    name: 'web1',
    id: 1,
    state: 'Stopped',
    serverAutoStart: false,
    bindings: [{ protocol: 'http', address: '2001:db8::1', port: 80, hostHeader: '' }],
    physicalPath: 'E:\\sites\\web1',
    applicationPool: 'web1',
  };
  assert.deepEqual(planSite(site, observed), []);
});
