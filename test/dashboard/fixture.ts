/**
 * The dashboard tests' cluster: prod with node1 and node2 (node2's lease ran out); web in service on node1 with its
 * mirror (resyncing to node2 at 42 %), virtual IP and site; ftp only on node1 (no cell on node2); a failover in the
 * history and a Warning event.
 */
import type { DashboardInput } from '../../src/dashboard/model.js';
import {
  MIRROR_NOT_IN_SYNC,
  NOW,
  PROD_CLUSTER,
  WEB_DATA_MIRROR,
  WEB_NODE_STATES,
  nodeLeases,
  stored,
  type Obj,
} from '../support/status-fixture.js';

export { NOW };

export const OBJECTS: Obj[] = [
  PROD_CLUSTER,
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
      nodes: WEB_NODE_STATES,
      conditions: [{ type: 'Ready', status: 'True', reason: 'InService' }, MIRROR_NOT_IN_SYNC],
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
  WEB_DATA_MIRROR,
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
    leases: nodeLeases(),
    now: NOW,
  };
}
