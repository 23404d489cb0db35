/**
 * The world the status and dashboard tests share: Cluster default/prod with node1 and node2; node1's lease renewed
 * 2 s before NOW, node2's 2 min before (node2 dead); web in service on node1 (node2 OSU), its failover from node2,
 * and its mirror web-data on E: resyncing from node1 to node2 at 42 %. Each test adds what it needs on top.
 */
import type { LeaseRecord, StoredObject } from '../../src/store/types.js';
import { nodeLeaseKey } from '../../src/view/status-view.js';
import { nodeLeaseName } from '../../src/controller/lease/node-liveness.js';

export const NOW = Date.parse('2026-01-01T00:10:00Z');

/** An object as a manifest gives it: metadata with no more than a name (and a namespace). */
export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [field: string]: unknown };

/** The metadata the store gives an object named `name` in default. */
export function meta(name: string, extra: Partial<StoredObject['metadata']> = {}): StoredObject['metadata'] {
  return {
    name,
    namespace: 'default',
    uid: name,
    generation: 1,
    resourceVersion: '1',
    creationTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

/** A copy of `o` as the store would hold it. */
export function stored(o: Obj): StoredObject {
  return { ...structuredClone(o), metadata: meta(o.metadata.name, o.metadata) };
}

const PROD = { namespace: 'default', name: 'prod' };

/** The key a StatusInput's leases map has for `node` of prod. */
export const leaseKey = (node: string): string => nodeLeaseKey(PROD.namespace, PROD.name, node);

/** `node`'s lease on prod, last renewed at `renewTime`. */
export function nodeLease(node: string, renewTime: string): LeaseRecord {
  return {
    name: nodeLeaseName(PROD, node),
    holder: node,
    epoch: 1,
    acquireTime: renewTime,
    renewTime,
    leaseDurationSeconds: 15,
    revision: '1',
  };
}

/** node1 renewed 2 s before NOW, node2 2 min before. */
export function nodeLeases(): Map<string, LeaseRecord> {
  return new Map([
    [leaseKey('node1'), nodeLease('node1', '2026-01-01T00:09:58Z')],
    [leaseKey('node2'), nodeLease('node2', '2026-01-01T00:08:00Z')],
  ]);
}

export const PROD_CLUSTER: Obj = {
  apiVersion: 'winha.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    nodes: [
      { name: 'node1', address: '192.168.10.11' },
      { name: 'node2', address: '192.168.10.12' },
    ],
  },
};

/** prod's status as the agents report it: node2 dead. */
export const PROD_STATUS = {
  nodes: [
    { name: 'node1', state: 'Alive' },
    { name: 'node2', state: 'Dead' },
  ],
};

/** web's node states: in service on node1, out of service on node2. */
export const WEB_NODE_STATES = [
  { name: 'node1', state: 'ISP' },
  { name: 'node2', state: 'OSU' },
];

export const WEB_LAST_FAILOVER = {
  from: 'node2',
  to: 'node1',
  reason: 'Failover',
  message: 'node2 stopped renewing its lease',
  time: '2026-01-01T00:05:00Z',
};

export const MIRROR_NOT_IN_SYNC = {
  type: 'MirrorInSync',
  status: 'False',
  reason: 'MirrorNotInSync',
  code: 9704,
  message: 'node2 is not Mirroring',
};

/** web-data's status: E: resyncing from node1 to node2 at 42 %. */
export const WEB_DATA_RESYNCING = {
  source: 'node1',
  state: 'Resyncing',
  targets: [{ name: 'node2', state: 2 }],
  nodes: [
    { name: 'node1', role: 'Source', state: 2 },
    { name: 'node2', role: 'Target', state: 2, resyncPercent: 42 },
  ],
};

export const WEB_DATA_MIRROR: Obj = {
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
  status: WEB_DATA_RESYNCING,
};
