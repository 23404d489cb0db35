/**
 * The dashboard tests' cluster: prod with node1 and node2 (node2's lease ran out); web in service on node1 with its
 * mirror (resyncing to node2 at 42 %), virtual IP and site; ftp only on node1 (no cell on node2); a failover in the
 * history and a Warning event.
 */
import type { LeaseRecord, StoredObject } from '../../src/store/types.js';
import type { DashboardInput } from '../../src/dashboard/model.js';
import { nodeLeaseKey } from '../../src/view/status-view.js';

export const NOW = Date.parse('2026-01-01T00:10:00Z');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [field: string]: unknown };

function stored(o: Obj): StoredObject {
  return {
    ...structuredClone(o),
    metadata: {
      namespace: 'default',
      uid: o.metadata.name,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...o.metadata,
    },
  };
}

const lease = (node: string, renewTime: string): LeaseRecord => ({
  name: `node.default.prod.${node}`,
  holder: node,
  epoch: 1,
  acquireTime: renewTime,
  renewTime,
  leaseDurationSeconds: 15,
  revision: '1',
});

export const OBJECTS: Obj[] = [
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: {
      nodes: [
        { name: 'node1', address: '192.168.10.11' },
        { name: 'node2', address: '192.168.10.12' },
      ],
    },
  },
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: {
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: 10 },
      ],
    },
    status: {
      activeNode: 'node1',
      epoch: 3,
      phase: 'InService',
      nodes: [
        { name: 'node1', state: 'ISP' },
        { name: 'node2', state: 'OSU' },
      ],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'InService' },
        { type: 'MirrorInSync', status: 'False', reason: 'MirrorNotInSync', code: 9704, message: 'node2 is not Mirroring' },
      ],
      history: [
        { at: '2026-01-01T00:00:05Z', kind: 'Start', to: 'node2', reason: 'nobody holds it yet', epoch: 1, outageSeconds: 2 },
        {
          at: '2026-01-01T00:05:00Z',
          kind: 'Failover',
          from: 'node2',
          to: 'node1',
          reason: "node2's lease expired",
          epoch: 3,
          outageSeconds: 6.5,
        },
      ],
    },
  },
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'ftp' },
    spec: { nodes: [{ name: 'node1', priority: 1 }] },
    status: {
      activeNode: 'node1',
      epoch: 1,
      phase: 'InService',
      nodes: [{ name: 'node1', state: 'ISP' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  },
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name: 'website1' },
    spec: { group: 'web', siteName: 'website1', bindings: [{ protocol: 'http', address: '10.0.0.50', port: 80 }] },
    status: {
      nodes: [
        { name: 'node1', exists: true, state: 'Started' },
        { name: 'node2', exists: true, state: 'Stopped' },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Started' }],
      lastQuickCheck: { time: '2026-01-01T00:09:55Z', result: 'Pass', code: 0 },
    },
  },
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'VirtualIP',
    metadata: { name: 'web-vip' },
    spec: { group: 'web', address: '10.0.0.50', prefixLength: 24, interface: 'Public' },
    status: {
      nodes: [
        { name: 'node1', present: true, addressState: 'Preferred' },
        { name: 'node2', present: false },
      ],
    },
  },
  {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Mirror',
    metadata: { name: 'web-data' },
    spec: {
      group: 'web',
      volume: 'E:',
      endpoints: [
        { node: 'node1', address: '172.16.0.11' },
        { node: 'node2', address: '172.16.0.12' },
      ],
    },
    status: {
      source: 'node1',
      state: 'Resyncing',
      targets: [{ name: 'node2', state: 2 }],
      nodes: [
        { name: 'node1', role: 'Source', state: 2 },
        { name: 'node2', role: 'Target', state: 2, resyncPercent: 42 },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1' },
    involvedObject: { kind: 'FailoverGroup', name: 'web', namespace: 'default' },
    type: 'Warning',
    reason: 'MirrorNotInSync',
    code: 9704,
    message: 'E: is resyncing to node2',
    node: 'node1',
    count: 3,
    lastTimestamp: '2026-01-01T00:09:00Z',
  },
];

export function fixtureInput(): DashboardInput {
  const all = OBJECTS.map(stored);
  const of = (kind: string) => all.filter((o) => o.kind === kind);
  return {
    clusters: of('Cluster'),
    groups: of('FailoverGroup'),
    mirrors: of('Mirror'),
    vips: of('VirtualIP'),
    sites: of('IISSite'),
    events: of('Event'),
    leases: new Map([
      [nodeLeaseKey('default', 'prod', 'node1'), lease('node1', '2026-01-01T00:09:58Z')],
      [nodeLeaseKey('default', 'prod', 'node2'), lease('node2', '2026-01-01T00:08:00Z')],
    ]),
    now: NOW,
  };
}
