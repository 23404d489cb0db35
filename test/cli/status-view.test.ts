/** `winha status` rendering: objects, leases and a time → view model → text, on the example an operator meets most. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatusView, groupMirrorCell, groupNodesCell, statusSignature, type StatusInput } from '../../src/view/status-view.js';
import { statusText } from '../../src/cli/status-text.js';
import type { StoredObject } from '../../src/store/types.js';
import {
  MIRROR_NOT_IN_SYNC,
  NOW,
  PROD_CLUSTER,
  PROD_STATUS,
  WEB_DATA_MIRROR,
  WEB_LAST_FAILOVER,
  WEB_NODE_STATES,
  leaseKey as key,
  meta,
  nodeLease as lease,
  nodeLeases,
  stored,
} from '../support/status-fixture.js';

/** Two nodes; web in service on node1; node2 dead (its lease 2 min old); E: resyncing to node2 at 42 %. */
export function example(): StatusInput {
  const cluster = stored({ ...PROD_CLUSTER, status: PROD_STATUS });
  const group = stored({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: {
      nodes: [
        { name: 'node2', priority: 10 },
        { name: 'node1', priority: 1 },
      ],
    },
    status: {
      activeNode: 'node1',
      epoch: 3,
      phase: 'InService',
      nodes: WEB_NODE_STATES,
      lastFailover: WEB_LAST_FAILOVER,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Serving' },
        { type: 'Degraded', status: 'True', reason: 'MirrorResyncing', message: 'E: resyncing to node2 (42%)' },
        MIRROR_NOT_IN_SYNC,
        { type: 'PromotionBlocked', status: 'False' },
      ],
    },
  });
  return {
    clusters: [cluster],
    groups: [group],
    mirrors: [stored(WEB_DATA_MIRROR)],
    events: [],
    leases: nodeLeases(),
    now: NOW,
  };
}

test('the view model: node liveness from leases, node states by priority, mirror direction and resync, failover, warnings', () => {
  const v = buildStatusView(example());
  assert.equal(v.kind, 'Status');
  assert.equal(v.time, '2026-01-01T00:10:00.000Z');
  assert.deepEqual(v.clusters[0]!.nodes, [
    { name: 'node1', state: 'Alive', maintenance: false, bannedFrom: [], leaseAgeSeconds: 2, reported: 'Alive' },
    { name: 'node2', state: 'Dead', maintenance: false, bannedFrom: [], leaseAgeSeconds: 120, reported: 'Dead' },
  ]);
  const g = v.groups[0]!;
  assert.equal(g.activeNode, 'node1');
  assert.equal(g.epoch, 3);
  assert.equal(g.cluster, 'prod', 'the only cluster of the namespace');
  assert.equal(g.ready.status, 'True');
  assert.equal(g.degraded?.reason, 'MirrorResyncing');
  assert.deepEqual(
    g.nodes.map((n) => `${n.name}:${n.state}`),
    ['node1:ISP', 'node2:Unknown'],
    "a dead node's last report (OSU) is not shown as its state",
  );
  assert.deepEqual(g.mirrors, [
    { name: 'web-data', volume: 'E:', source: 'node1', targets: ['node2'], state: 'Resyncing', resyncPercent: 42 },
  ]);
  assert.deepEqual(g.lastFailover, {
    from: 'node2',
    to: 'node1',
    reason: 'Failover',
    time: '2026-01-01T00:05:00Z',
    message: 'node2 stopped renewing its lease',
  });
  assert.deepEqual(
    g.warnings.map((w) => w.type),
    ['MirrorInSync'],
    'PromotionBlocked=False is healthy',
  );
  assert.equal(v.healthy, false);
  assert.deepEqual(v.problems, ['node node2 of cluster prod is dead', 'group web is degraded (MirrorResyncing)']);
});

test('the active node dead: the group is not shown Ready on its last word, and the problem says why', () => {
  const input = example();
  input.leases.set(key('node1'), lease('node1', '2026-01-01T00:09:30Z'));
  input.leases.set(key('node2'), lease('node2', '2026-01-01T00:09:58Z'));
  const g = buildStatusView(input).groups[0]!;
  assert.equal(g.ready.status, 'Unknown');
  assert.equal(g.ready.reason, 'ActiveNodeDead');
  assert.deepEqual(
    g.nodes.map((n) => `${n.name}:${n.state}`),
    ['node1:Unknown', 'node2:OSU'],
  );
  assert.ok(buildStatusView(input).problems.includes('group web is not ready (ActiveNodeDead)'));
});

test('maintenance set with winha maintenance on (annotations) shows as the manifest flag does', () => {
  const input = example();
  const c = input.clusters[0]!;
  c.metadata.annotations = { 'winha.io/maintenance-nodes': 'node2' };
  let v = buildStatusView(input);
  assert.deepEqual(
    v.clusters[0]!.nodes.map((n) => `${n.name}:${n.maintenance}`),
    ['node1:false', 'node2:true'],
  );
  assert.deepEqual(v.problems, ['group web is degraded (MirrorResyncing)'], 'a node in maintenance is no problem');
  c.metadata.annotations = { 'winha.io/maintenance': 'true' };
  v = buildStatusView(input);
  assert.equal(v.clusters[0]!.maintenance, true);
});

test("a mirror caught mid-takeover (the new source recorded, its targets not yet): the old source's record is not shown", () => {
  const input = example();
  const m = input.mirrors[0]!;
  m.status = { ...(m.status as object), source: 'node2', state: 'Mirroring', targets: [{ name: 'node2', state: 1 }] };
  const [mirror] = buildStatusView(input).groups[0]!.mirrors;
  assert.deepEqual([mirror!.source, mirror!.targets, mirror!.state], ['node2', ['node1'], 'Unknown']);
});

test('the text an operator reads (golden)', () => {
  assert.equal(
    statusText(buildStatusView(example())),
    [
      'Cluster prod   1/2 nodes alive',
      '  NODE    STATE   LEASE    MAINTENANCE   BANNED FROM',
      '  node1   Alive   2s ago',
      '  node2   Dead    2m ago',
      '',
      'Group web   active on node1   Ready   Degraded (MirrorResyncing)   epoch 3',
      '  nodes:     node1 ISP   node2 Unknown',
      '  degraded:  E: resyncing to node2 (42%)',
      '  mirror:    web-data E: node1→node2 Resyncing 42%',
      '  failover:  node2 → node1   Failover   5m ago (2026-01-01T00:05:00Z): node2 stopped renewing its lease',
      '  warning:   MirrorInSync MirrorNotInSync [9704]: node2 is not Mirroring',
      '',
      'PROBLEMS: node node2 of cluster prod is dead; group web is degraded (MirrorResyncing).',
      '',
    ].join('\n'),
  );
});

test('the lease says alive, the agents said dead (a skewed clock here, or a status not yet rewritten): both shown', () => {
  const input = example();
  input.leases.set(key('node2'), lease('node2', '2026-01-01T00:09:59Z'));
  const v = buildStatusView(input);
  assert.equal(v.clusters[0]!.nodes[1]!.state, 'Alive');
  assert.equal(v.clusters[0]!.nodes[1]!.reported, 'Dead');
  assert.match(statusText(v), /^ {2}node2 {3}Alive \(agents: Dead\) {3}1s ago$/m);
});

test('healthy: every node alive, every group ready and in sync', () => {
  const input = example();
  input.leases.set(key('node2'), lease('node2', '2026-01-01T00:09:59Z'));
  const g = input.groups[0]!;
  const st = g.status as { conditions: { type: string; status: string }[] };
  st.conditions = [{ type: 'Ready', status: 'True' }];
  const m = input.mirrors[0]!;
  m.status = { source: 'node1', state: 'Mirroring', targets: [{ name: 'node2', state: 1 }] };
  const v = buildStatusView(input);
  assert.equal(v.healthy, true, v.problems.join('; '));
  assert.match(statusText(v), /^OK: every group in service is ready\.$/m);
  assert.equal(v.groups[0]!.mirrors[0]!.resyncPercent, null);
});

test('not reported yet, banned nodes, maintenance, out of service groups, a failover known only from events', () => {
  const input = example();
  input.leases.clear();
  const cl = input.clusters[0]!;
  (cl.spec as { nodes: Record<string, unknown>[] }).nodes[1]!['maintenance'] = true;
  delete cl.status;
  const web = input.groups[0]!;
  web.status = {
    nodes: [{ name: 'node2', state: 'OSF', bannedUntil: '2026-01-01T01:00:00Z', banReason: 'site stopped' }],
  };
  input.events = [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Event',
      metadata: meta('e1'),
      involvedObject: { kind: 'FailoverGroup', name: 'web' },
      reason: 'Failover',
      node: 'node1',
      message: 'took over',
      lastTimestamp: '2026-01-01T00:09:00Z',
    },
  ];
  const off: StoredObject = {
    ...web,
    metadata: meta('ftp'),
    spec: { desiredState: 'OutOfService', nodes: [{ name: 'node1', priority: 1 }] },
    status: {},
  };
  input.groups.push(off);
  const v = buildStatusView(input);
  assert.deepEqual(
    v.clusters[0]!.nodes.map((n) => [n.name, n.state, n.maintenance, n.bannedFrom]),
    [
      ['node1', 'Unknown', false, []],
      ['node2', 'Unknown', true, ['web']],
    ],
  );
  const web2 = v.groups.find((g) => g.name === 'web')!;
  assert.deepEqual(web2.nodes, [
    { name: 'node1', state: 'Unknown', bannedUntil: null, banReason: null },
    { name: 'node2', state: 'OSF', bannedUntil: '2026-01-01T01:00:00Z', banReason: 'site stopped' },
  ]);
  assert.equal(web2.lastFailover?.to, 'node1');
  assert.equal(web2.ready.status, 'Unknown');
  assert.deepEqual(v.problems, ['node node1 of cluster prod is unknown', 'group web is not ready (NotReported)'], 'ftp is out of service');
  const text = statusText(v);
  assert.match(text, /^Group web {3}no active node {3}NOT READY \(NotReported\) {3}epoch -$/m);
  assert.match(text, /node2 OSF \(banned 50m more\)/);
  assert.match(text, /^Group ftp {3}OutOfService {3}NOT READY/m);
  assert.match(text, /^ {2}node2 {3}Unknown {3}<none> {3}yes {11}web$/m);
});

test('signature ignores lease ages and the time, not state', () => {
  const a = buildStatusView(example());
  const later = example();
  later.now += 1000;
  assert.equal(statusSignature(a), statusSignature(buildStatusView(later)));
  const changed = example();
  (changed.groups[0]!.status as { epoch: number }).epoch = 4;
  assert.notEqual(statusSignature(a), statusSignature(buildStatusView(changed)));
});

test('get groups -o wide cells: NODES and MIRROR', () => {
  const input = example();
  assert.equal(groupNodesCell(input.groups[0]!), 'node1:ISP,node2:OSU');
  assert.equal(groupMirrorCell(input.groups[0]!, input.mirrors), 'E: node1→node2 Resyncing 42%');
  assert.equal(groupMirrorCell(input.groups[0]!, []), '');
});
