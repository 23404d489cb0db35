/**
 * Writes test/scheduler/<case>/input.json from the concise definitions below.
 * Run on purpose (like regenerating Pacemaker's scheduler inputs):
 *   node dist/test/scheduler/make-cases.js && UPDATE_GOLDEN=1 ./scripts/test.sh
 * then review the diff of every expected.json and summary.txt (expected.json
 * leaves out default conditions: golden.ts). Defaults follow
 * acceptance/scenarios.md: node1 = 1, node2 = 10, group web, VIP 10.0.0.50,
 * mirror E:, site website1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DecisionInput, LocalView, MirrorView } from '../../src/controller/decision-types.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 5);
const MIN = 60_000;

function mirror(over: Partial<MirrorView> = {}): MirrorView {
  return {
    name: 'web-data',
    volume: 'E',
    source: 'node1',
    sourceEpoch: 1,
    targets: { node2: 1 },
    recordedBy: 'node1',
    claimedSources: ['node1'],
    local: { role: 'source', state: 1 },
    ...over,
  };
}

function activeLocal(): LocalView {
  return {
    observed: true,
    sites: [{ name: 'website1', siteName: 'website1', exists: true, started: true, serverAutoStart: false }],
    vips: [{ name: 'web-vip', address: '10.0.0.50', present: true }],
  };
}
function idleLocal(): LocalView {
  return {
    observed: true,
    sites: [{ name: 'website1', siteName: 'website1', exists: true, started: false, serverAutoStart: false }],
    vips: [{ name: 'web-vip', address: '10.0.0.50', present: false }],
  };
}

function base(self = 'node1'): DecisionInput {
  return {
    now: NOW,
    self,
    clusterMaintenance: false,
    safetyCheckEnabled: true,
    safetyCheckMaxAgeMs: 2000,
    group: {
      name: 'web',
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: 10 },
      ],
      switchback: 'Intelligent',
      autoFailover: true,
      desiredState: 'InService',
      maintenance: false,
      restartLimit: 3,
      restartWindowSeconds: 900,
      failureExpirySeconds: 3600,
    },
    nodes: { node1: { alive: true, maintenance: false }, node2: { alive: true, maintenance: false } },
    history: {},
    lease: { holder: 'node1', epoch: 1, expired: false },
    activeNode: 'node1',
    mirrors: [mirror(self === 'node1' ? {} : { local: { role: 'target', state: 1 } })],
    local: self === 'node1' ? activeLocal() : idleLocal(),
  };
}

/** node1 crashed: its lease expired by node2's observation. */
function node1Crashed(i: DecisionInput): void {
  i.nodes['node1']!.alive = false;
  i.lease = { holder: 'node1', epoch: 1, expired: true, expiredAt: NOW - 2000 };
  i.safetyCheck = { epoch: 1, at: NOW - 500, outcome: 'silent', detail: 'nothing answers on 10.0.0.50' };
}
function fresh(i: DecisionInput): void {
  i.lease = { holder: '', epoch: 0, expired: true };
  delete i.activeNode;
  i.mirrors = [{ name: 'web-data', volume: 'E', targets: {}, claimedSources: [], local: { role: 'none', state: 0 } }];
  i.local = idleLocal();
}
function threeNodes(i: DecisionInput): void {
  i.group.nodes.push({ name: 'node3', priority: 20 });
  i.group.nodes[1]!.priority = 10;
  i.nodes['node3'] = { alive: true, maintenance: false };
  i.mirrors = [];
}
function failure(code: number, check: 'quick' | 'deep' = 'quick', message = 'check failed') {
  return (i: DecisionInput) => {
    i.local.failure = { code, check, site: 'website1', siteName: 'website1', localRecovery: true, message };
  };
}

type Case = { name: string; rows: string[]; description: string; build: () => DecisionInput };
const cases: Case[] = [];
function add(name: string, rows: string[], description: string, self: string, ...patches: ((i: DecisionInput) => void)[]): void {
  cases.push({
    name,
    rows,
    description,
    build: () => {
      const i = base(self);
      for (const p of patches) p(i);
      return i;
    },
  });
}

// ── C: convergence and ownership
add(
  'c1-fresh-node1-elected',
  ['C1'],
  'fresh apply: node1 (priority 1) takes the lease, adds the VIP, starts the site, creates the mirror',
  'node1',
  fresh,
);
add('c1-fresh-node2-waits', ['C1'], 'fresh apply seen by node2: it waits for node1', 'node2', fresh);
add('c1-holder-brings-up', ['C1'], 'node1 holds the lease but nothing runs yet: VIP then site then mirror creation', 'node1', (i) => {
  i.local = idleLocal();
  i.mirrors = [{ name: 'web-data', volume: 'E', targets: {}, claimedSources: [], local: { role: 'none', state: 0 } }];
});
add('c1-steady-active', ['C1', 'C7'], 'node1 serves, mirror Mirroring: nothing to do, Ready', 'node1');
add('c1-steady-standby', ['C1', 'C7'], 'node2 standby with site stopped, VIP absent, target Mirroring: nothing to do', 'node2');
add('c1-standby-autostart-on', ['C1'], 'node2 site has serverAutoStart on: turn it off', 'node2', (i) => {
  i.local.sites[0]!.serverAutoStart = true;
});
add(
  'c1-active-autostart-on',
  ['C1'],
  'the active site has serverAutoStart on: turn it off (a reboot must not start it before the agent decides)',
  'node1',
  (i) => {
    i.local.sites[0]!.serverAutoStart = true;
  },
);
add(
  'c2-oos-holder',
  ['C2'],
  'desiredState OutOfService on the holder: stop the site, remove the VIP, release; the mirror keeps replicating',
  'node1',
  (i) => {
    i.group.desiredState = 'OutOfService';
  },
);
add('c2-oos-standby', ['C2'], 'OutOfService on the standby: nothing to do, not Ready', 'node2', (i) => {
  i.group.desiredState = 'OutOfService';
});
add('c2-oos-released-nothing-runs', ['C2'], 'OutOfService after release: nobody takes the lease', 'node1', (i) => {
  i.group.desiredState = 'OutOfService';
  i.lease = { holder: '', epoch: 1, expired: true };
  i.local = idleLocal();
});
add('c2-oos-no-failover-on-crash', ['C2'], 'OutOfService and node1 crashed: node2 does not take over', 'node2', node1Crashed, (i) => {
  i.group.desiredState = 'OutOfService';
});
add('c3-reversed-node2-elected', ['C3'], 'priorities node1 = 10, node2 = 1 on a fresh apply: node2 takes it', 'node2', fresh, (i) => {
  i.group.nodes[0]!.priority = 10;
  i.group.nodes[1]!.priority = 1;
});
add('c3-reversed-node1-waits', ['C3'], 'priorities reversed: node1 waits for node2', 'node1', fresh, (i) => {
  i.group.nodes[0]!.priority = 10;
  i.group.nodes[1]!.priority = 1;
});
add(
  'c4-three-node1-down-node2-takes',
  ['C4'],
  'three nodes, node1 crashed: node2 (priority 10) takes over',
  'node2',
  threeNodes,
  node1Crashed,
);
add(
  'c4-three-node1-down-node3-waits',
  ['C4'],
  'three nodes, node1 crashed: node3 waits for node2',
  'node3',
  threeNodes,
  node1Crashed,
  (i) => {
    i.local = idleLocal();
  },
);
add('c4-three-node2-down-node3-takes', ['C4'], 'then node2 crashes too: node3 takes over', 'node3', threeNodes, (i) => {
  i.nodes['node1']!.alive = false;
  i.nodes['node2']!.alive = false;
  i.local = idleLocal();
  i.lease = { holder: 'node2', epoch: 2, expired: true, expiredAt: NOW - 1000 };
  i.activeNode = 'node2';
  i.safetyCheck = { epoch: 2, at: NOW - 100, outcome: 'silent', detail: 'nothing answers on 10.0.0.50' };
});
add(
  'c4-three-probe-first',
  ['C4'],
  'three nodes, node1 crashed, no safety-check result yet: probe first',
  'node2',
  threeNodes,
  node1Crashed,
  (i) => {
    delete i.safetyCheck;
  },
);
add('c5-standby-site-started', ['C5'], 'site started by hand on the standby: stop it', 'node2', (i) => {
  i.local.sites[0]!.started = true;
});
add(
  'c5-standby-site-started-autostart',
  ['C5'],
  'drift on the standby with serverAutoStart on: stop it and turn auto-start off',
  'node2',
  (i) => {
    i.local.sites[0]!.started = true;
    i.local.sites[0]!.serverAutoStart = true;
  },
);
add('c6-vip-on-standby', ['C6'], 'the VIP found on the standby NIC: remove it', 'node2', (i) => {
  i.local.vips[0]!.present = true;
});
add('c6-vip-and-site-on-standby', ['C5', 'C6'], 'site and VIP on the standby: stop the site before removing the VIP', 'node2', (i) => {
  i.local.vips[0]!.present = true;
  i.local.sites[0]!.started = true;
});
add('c7-three-node-steady', ['C7'], 'three nodes, steady: node3 has nothing to do', 'node3', threeNodes, (i) => {
  i.local = idleLocal();
});
add('c7-two-sites-steady', ['C7'], 'two sites and two VIPs in service: no action', 'node1', (i) => {
  i.local.sites.push({ name: 'website2', siteName: 'website2', exists: true, started: true, serverAutoStart: false });
  i.local.vips.push({ name: 'web-vip2', address: '10.0.0.51', present: true });
});
add('c8-new-site-in-group', ['C8'], 'a site added to the group while it runs: start only the new one', 'node1', (i) => {
  i.local.sites.push({ name: 'website2', siteName: 'website2', exists: true, started: false, serverAutoStart: false });
});

// ── H: health, local recovery, failover
add(
  'h1-w3svc-stopped-recover',
  ['H1'],
  'quickCheck 9705 on the active node: local recovery 1 of 3, no failover',
  'node1',
  failure(9705, 'quick', 'service W3SVC is Stopped'),
);
add('h1-second-failure-recover', ['H1', 'H5'], 'a second failure in the window: recovery 2 of 3', 'node1', failure(9705), (i) => {
  i.history['node1'] = { restarts: [NOW - 5 * MIN] };
});
add(
  'h2-site-stopped-recover',
  ['H2'],
  'quickCheck 9704 (site stopped, W3SVC running): recover starts the site',
  'node1',
  failure(9704, 'quick', 'site website1 is Stopped'),
);
add(
  'h3-site-deleted-recover-attempt',
  ['H3'],
  'quickCheck 9707 (site deleted): recovery is attempted',
  'node1',
  failure(9707, 'quick', 'site website1 not found'),
  (i) => {
    i.local.sites[0]!.exists = false;
    i.local.sites[0]!.started = false;
  },
);
add('h3-recovery-9609-fails-over', ['H3'], 'recovery failed 9609: ban node1, remove the VIP (site already gone), release', 'node1', (i) => {
  i.local.recoveryFailed = { code: 9609, message: 'invalid (null) instance number while recovering website1' };
  i.local.sites[0]!.exists = false;
  i.local.sites[0]!.started = false;
});
add(
  'h3-node2-takes-released',
  ['H3', 'H4'],
  'node1 released after banning itself: node2 takes the lease at once (no safety check: released, not expired)',
  'node2',
  (i) => {
    i.lease = { holder: '', epoch: 1, expired: true };
    i.history['node1'] = { bannedUntil: NOW + 55 * MIN };
  },
);
add('h4-recovery-9607-fails-over', ['H4'], 'W3SVC cannot start (9607): ban node1 for failureExpirySeconds and fail over', 'node1', (i) => {
  i.local.recoveryFailed = { code: 9607, message: 'IIS service W3SVC could not be started; current state is Stopped' };
  i.local.sites[0]!.started = false;
});
add('h4-banned-node1-waits', ['H4'], 'banned node1 does not take a free lease; node2 does', 'node1', (i) => {
  i.lease = { holder: '', epoch: 2, expired: true };
  i.history['node1'] = { bannedUntil: NOW + MIN };
  i.local = idleLocal();
});
add(
  'h4-ban-expired-eligible',
  ['H4'],
  'the ban expired: node1 is eligible again and, best priority, takes the free lease',
  'node1',
  (i) => {
    i.lease = { holder: '', epoch: 2, expired: true };
    i.activeNode = 'node2';
    i.history['node1'] = { bannedUntil: NOW - 1 };
    i.local = idleLocal();
    i.mirrors = [
      mirror({
        source: 'node2',
        recordedBy: 'node2',
        targets: { node1: 1 },
        claimedSources: ['node2'],
        local: { role: 'target', state: 1 },
      }),
    ];
  },
);
add(
  'h5-fourth-failure-fails-over',
  ['H5'],
  'three recoveries in the window already: the 4th failure fails over',
  'node1',
  failure(9704),
  (i) => {
    i.history['node1'] = { restarts: [NOW - 10 * MIN, NOW - 5 * MIN, NOW - MIN] };
  },
);
add('h5-old-restarts-expire', ['H5'], 'three recoveries, all older than the window: recover again', 'node1', failure(9704), (i) => {
  i.history['node1'] = { restarts: [NOW - 40 * MIN, NOW - 30 * MIN, NOW - 20 * MIN] };
});
add(
  'h6-deepcheck-9757-recover',
  ['H6'],
  'deepCheck: no HTTP answer on VIP:80 (9757): recovery',
  'node1',
  failure(9757, 'deep', 'Cannot get a valid connection to the http site'),
);
add(
  'h6-deepcheck-persists-fails-over',
  ['H6'],
  'the deep check keeps failing after 3 recoveries: fail over',
  'node1',
  failure(9757, 'deep'),
  (i) => {
    i.history['node1'] = { restarts: [NOW - 3 * MIN, NOW - 2 * MIN, NOW - MIN] };
  },
);
add(
  'h6-no-local-recovery-fails-over',
  ['H6'],
  'localRecovery off: a failed check fails over at once',
  'node1',
  failure(9757, 'deep'),
  (i) => {
    i.local.failure!.localRecovery = false;
  },
);
add('h7-warning-is-not-failure', ['H7'], 'a 9773 warning (binding without IP) is no failure: nothing to do', 'node1');
add(
  'h8-restore-9414-nobody-left',
  ['H8'],
  'restore on node2 failed 9414/9408 and node1 is banned: node2 bans itself, group Failed (OSF)',
  'node2',
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
    i.activeNode = 'node2';
    i.nodes['node1']!.alive = false;
    i.history['node1'] = { bannedUntil: NOW + 50 * MIN };
    i.local.activationFailed = { code: 9414, message: 'IIS site website1 not found in the current IIS metadata' };
    i.local.sites[0]!.exists = false;
  },
);
add('h8-no-eligible-node', ['H8'], 'both nodes banned: no candidate, Failed', 'node2', (i) => {
  i.lease = { holder: '', epoch: 2, expired: true };
  i.history['node1'] = { bannedUntil: NOW + 50 * MIN };
  i.history['node2'] = { bannedUntil: NOW + 59 * MIN };
});
add(
  'h9-restore-9422-hands-back',
  ['H9'],
  'restore on node2 refused 9422 (foreign site holds the binding): node2 bans itself, node1 takes it back',
  'node2',
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
    i.activeNode = 'node2';
    i.local.activationFailed = {
      code: 9422,
      message: 'IIS Site website1 can not be started because its binding is in use on site "squatter-1"',
    };
    i.local.vips[0]!.present = true;
  },
);
add(
  'h10-group-maintenance',
  ['H10'],
  'group maintenance: a failed check leads to no recovery and no failover',
  'node1',
  failure(9705),
  (i) => {
    i.group.maintenance = true;
  },
);
add('h10-cluster-maintenance', ['H10'], 'cluster maintenance: nothing happens, even for a crashed holder', 'node2', node1Crashed, (i) => {
  i.clusterMaintenance = true;
});
add('h10-node-maintenance-self', ['H10'], 'node maintenance on node1: its agent takes no action', 'node1', failure(9705), (i) => {
  i.nodes['node1']!.maintenance = true;
});
add('h10-node-maintenance-not-candidate', ['H10'], 'node1 in maintenance and the lease free: node2 takes it', 'node2', (i) => {
  i.lease = { holder: '', epoch: 1, expired: true };
  i.nodes['node1']!.maintenance = true;
});
add(
  'h10-maintenance-off-recovers',
  ['H10'],
  'maintenance off, the re-probe finds W3SVC stopped: recover',
  'node1',
  failure(9705, 'quick', 'service W3SVC is Stopped'),
);

// ── M: mirrors and data safety
add(
  'm1-crash-mirroring-node2-takes',
  ['M1', 'E5'],
  'node1 crashed while Mirroring: node2 takes the lease, becomes source, then VIP, then site',
  'node2',
  node1Crashed,
);
add(
  'm2-crash-resyncing-blocked',
  ['M2'],
  'node1 crashed while resyncing (state 2): PromotionBlocked MirrorNotInSync',
  'node2',
  node1Crashed,
  (i) => {
    i.mirrors[0]!.targets['node2'] = 2;
    i.mirrors[0]!.local = { role: 'target', state: 2 };
  },
);
add('m2-force-promotes', ['M2'], 'winha switchover web --to node2 --force: promote through the gate', 'node2', node1Crashed, (i) => {
  i.mirrors[0]!.targets['node2'] = 2;
  i.mirrors[0]!.local = { role: 'target', state: 2 };
  i.switchover = { id: 'r1', to: 'node2', force: true };
});
add(
  'm2-unforced-request-refused',
  ['M2', 'M7'],
  'a switchover without --force to a resyncing node is refused',
  'node2',
  node1Crashed,
  (i) => {
    i.mirrors[0]!.targets['node2'] = 2;
    i.switchover = { id: 'r1', to: 'node2', force: false };
  },
);
add('m2-crash-broken-blocked', ['M2'], 'node1 crashed with the mirror Broken (3): blocked', 'node2', node1Crashed, (i) => {
  i.mirrors[0]!.targets['node2'] = 3;
});
add(
  'm2-unknown-record-blocked',
  ['M2'],
  'the mirror state was recorded by an older source: unknown, blocked',
  'node2',
  node1Crashed,
  (i) => {
    i.mirrors[0]!.recordedBy = 'node2';
  },
);
add('m3-link-cut-holder-serves', ['M3'], 'replication cut (Paused): node1 keeps serving; node2 not promotable', 'node1', (i) => {
  i.mirrors[0]!.targets['node2'] = 4;
  i.mirrors[0]!.local = { role: 'source', state: 4 };
});
add('m3-link-cut-standby-view', ['M3'], 'replication cut seen by node2: standby, nothing to do', 'node2', (i) => {
  i.mirrors[0]!.targets['node2'] = 4;
});
add(
  'm3-link-cut-then-crash-blocked',
  ['M3', 'M2'],
  'node1 dies while the mirror is Paused: node2 may not be promoted',
  'node2',
  node1Crashed,
  (i) => {
    i.mirrors[0]!.targets['node2'] = 4;
  },
);
add('m4-split-brain-holder-stays', ['M4'], 'both nodes mirror source: the holder keeps serving, nothing moves', 'node2', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.mirrors = [
    mirror({
      source: 'node2',
      recordedBy: 'node2',
      targets: { node1: 4 },
      claimedSources: ['node1', 'node2'],
      local: { role: 'source', state: 4 },
    }),
  ];
});
add('m4-split-brain-other-side', ['M4'], 'split brain seen from node1 (standby): no promotion', 'node1', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = idleLocal();
  i.mirrors = [
    mirror({
      source: 'node2',
      recordedBy: 'node2',
      targets: { node1: 4 },
      claimedSources: ['node1', 'node2'],
      local: { role: 'source', state: 4 },
    }),
  ];
});
add('m4-split-brain-expired-blocked', ['M4'], 'split brain and the lease expired: nobody is promoted', 'node1', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: true };
  i.nodes['node2']!.alive = false;
  i.activeNode = 'node2';
  i.local = idleLocal();
  i.mirrors = [
    mirror({
      source: 'node2',
      recordedBy: 'node2',
      targets: { node1: 4 },
      claimedSources: ['node1', 'node2'],
      local: { role: 'source', state: 4 },
    }),
  ];
});
add(
  'm4-force-loser-prepares',
  ['M4'],
  'winha switchover --to node2 --force: node1 gives up its source role (its changes are discarded)',
  'node1',
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
    i.activeNode = 'node2';
    i.local = idleLocal();
    i.switchover = { id: 'r2', to: 'node2', force: true };
    i.mirrors = [
      mirror({
        source: 'node2',
        recordedBy: 'node2',
        targets: { node1: 4 },
        claimedSources: ['node1', 'node2'],
        local: { role: 'source', state: 4 },
      }),
    ];
  },
);
add(
  'm4-force-survivor-waits-for-loser',
  ['M4'],
  'the survivor node2 waits while node1 still claims the source role (no continue, the request stays)',
  'node2',
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
    i.activeNode = 'node2';
    i.local = activeLocal();
    i.switchover = { id: 'r2', to: 'node2', force: true };
    i.mirrors = [
      mirror({
        source: 'node2',
        recordedBy: 'node2',
        targets: { node1: 4 },
        claimedSources: ['node1', 'node2'],
        local: { role: 'source', state: 4 },
      }),
    ];
  },
);
add(
  'm4-force-survivor-continues',
  ['M4'],
  'node1 gave up its source role (PREPARETOBECOMETARGET): the survivor node2 continues the mirror',
  'node2',
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
    i.activeNode = 'node2';
    i.local = activeLocal();
    i.switchover = { id: 'r2', to: 'node2', force: true };
    i.mirrors = [
      mirror({
        source: 'node2',
        recordedBy: 'node2',
        targets: { node1: 4 },
        claimedSources: ['node2'],
        preparedTargets: ['node1'],
        local: { role: 'source', state: 4 },
      }),
    ];
  },
);
add('m4-force-survivor-done', ['M4'], 'node1 is target again: the split brain is resolved and the request completes', 'node2', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.switchover = { id: 'r2', to: 'node2', force: true };
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 2 }, claimedSources: ['node2'], local: { role: 'source', state: 2 } }),
  ];
});
add(
  'm4-force-survivor-takes-over',
  ['M4'],
  'winha switchover --to node1 --force while node2 holds: node1 takes the lease but keeps the request until node2 has prepared',
  'node1',
  (i) => {
    i.lease = { holder: '', epoch: 2, expired: true };
    i.activeNode = 'node2';
    i.local = idleLocal();
    i.switchover = { id: 'r3', to: 'node1', force: true };
    i.mirrors = [
      mirror({
        source: 'node2',
        recordedBy: 'node2',
        targets: { node1: 4 },
        claimedSources: ['node1', 'node2'],
        local: { role: 'source', state: 4 },
      }),
    ];
  },
);
add('m5-node1-back-intelligent-stays', ['M5'], 'node1 returns as target, Mirroring; Intelligent: web stays on node2', 'node2', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 1 }, claimedSources: ['node2'], local: { role: 'source', state: 1 } }),
  ];
});
add('m5-node1-back-is-standby', ['M5'], 'node1 back: standby duties only', 'node1', (i) => {
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = idleLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 2 }, claimedSources: ['node2'], local: { role: 'target', state: 2 } }),
  ];
});
add('m6-automatic-hands-back', ['M6'], 'switchback Automatic, node1 Mirroring again: node2 hands back', 'node2', (i) => {
  i.group.switchback = 'Automatic';
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 1 }, claimedSources: ['node2'], local: { role: 'source', state: 1 } }),
  ];
});
add('m6-automatic-waits-for-resync', ['M6'], 'switchback Automatic but node1 still resyncing: stay on node2', 'node2', (i) => {
  i.group.switchback = 'Automatic';
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 2 }, claimedSources: ['node2'], local: { role: 'source', state: 2 } }),
  ];
});
add('m6-node1-takes-released', ['M6'], 'node2 released for switchback: node1 takes the lease, becomes source, VIP, site', 'node1', (i) => {
  i.group.switchback = 'Automatic';
  i.lease = { holder: '', epoch: 2, expired: true };
  i.activeNode = 'node2';
  i.local = idleLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 1 }, claimedSources: ['node2'], local: { role: 'target', state: 1 } }),
  ];
});
add('m6-automatic-never-to-worse', ['M6'], 'switchback Automatic on the preferred node: never hands to a worse priority', 'node1', (i) => {
  i.group.switchback = 'Automatic';
});
add('m7-switchover-resyncing-refused', ['M7'], 'switchover to node2 while it resyncs: refused with the reason', 'node1', (i) => {
  i.mirrors[0]!.targets['node2'] = 2;
  i.switchover = { id: 'r3', to: 'node2', force: false };
});
add(
  'm7-switchover-resyncing-forced',
  ['M7'],
  'the same switchover with --force: node1 takes web out of service and releases',
  'node1',
  (i) => {
    i.mirrors[0]!.targets['node2'] = 2;
    i.switchover = { id: 'r3', to: 'node2', force: true };
  },
);

// ── M11/M12: asynchronous mirrors (issue 13 item 7)
/** The mirror is asynchronous; node1, its source, recorded `queued` writes for node2 (undefined: not recorded). */
function asyncMirror(queued?: number, policy?: 'Allow' | 'Refuse') {
  return (i: DecisionInput) => {
    const m = i.mirrors[0]!;
    m.mode = 'Asynchronous';
    m.asyncFailover = policy ?? 'Allow';
    if (queued !== undefined) m.queuedWrites = { node2: queued };
  };
}
add(
  'm11-async-crash-allow-warns',
  ['M11'],
  'async mirror, node1 crashed with 900 writes recorded as queued, Allow: node2 takes over; the promotion carries the risk',
  'node2',
  node1Crashed,
  asyncMirror(900),
);
add(
  'm11-async-crash-queue-unknown',
  ['M11'],
  'async mirror, node1 crashed, no queue recorded (a Windows source): node2 takes over; the risk says no number',
  'node2',
  node1Crashed,
  asyncMirror(),
);
add(
  'm12-async-crash-refused',
  ['M12'],
  'async mirror, node1 crashed, asyncFailover Refuse: PromotionBlocked AsyncFailoverRefused, nobody takes the lease',
  'node2',
  node1Crashed,
  asyncMirror(900, 'Refuse'),
);
add(
  'm12-async-refused-force-promotes',
  ['M12'],
  'Refuse, winha switchover --to node2 --force: node2 is promoted, the risk marked forced',
  'node2',
  node1Crashed,
  asyncMirror(900, 'Refuse'),
  (i) => {
    i.switchover = { id: 'r1', to: 'node2', force: true };
  },
);
add(
  'm12-async-refused-unforced-request-refused',
  ['M12'],
  'Refuse, winha switchover --to node2 without --force after the crash: refused, says --force',
  'node2',
  node1Crashed,
  asyncMirror(900, 'Refuse'),
  (i) => {
    i.switchover = { id: 'r1', to: 'node2', force: false };
  },
);
add(
  'm12-async-refused-graceful-switchover',
  ['M12'],
  'Refuse, node1 alive released the lease for a switchover to node2: DataKeeper flushes the queue, node2 is promoted, no risk',
  'node2',
  asyncMirror(900, 'Refuse'),
  (i) => {
    i.lease = { holder: '', epoch: 1, expired: true };
    i.switchover = { id: 'r1', to: 'node2', force: false };
  },
);
add(
  'm12-async-refused-holder-waits',
  ['M12'],
  'Refuse, node2 already holds the lease but its copy is still a target and node1 is down: activation stops at the mirror',
  'node2',
  node1Crashed,
  asyncMirror(900, 'Refuse'),
  (i) => {
    i.lease = { holder: 'node2', epoch: 2, expired: false };
  },
);

// ── E: election, partitions, timing
add(
  'e1-holder-lost-lease-fences',
  ['E1', 'E2'],
  'node1 could not renew within renewDeadline: it takes the site and VIP out of service at once',
  'node1',
  (i) => {
    i.leaseLostBySelf = true;
  },
);
add('e1-node2-waits-for-expiry', ['E1'], "node1 is silent but its lease has not expired by node2's observation: wait", 'node2', (i) => {
  i.nodes['node1']!.alive = false;
});
add(
  'e1-node2-takes-after-expiry',
  ['E1'],
  'the lease expired and node1 no longer serves (it fenced itself): node2 takes over',
  'node2',
  node1Crashed,
);
add('e2-fenced-holder-idle', ['E2'], 'after fencing, nothing runs on node1: no action', 'node1', (i) => {
  i.leaseLostBySelf = true;
  i.local = idleLocal();
});
add(
  'e3-restart-finds-own-lease',
  ['E3'],
  'agent restarted within the lease: it still holds it and everything runs: no action',
  'node1',
  (i) => {
    i.lease = { holder: 'node1', epoch: 1, expired: true };
  },
);
add('e4-standby-restart', ['E4'], 'node2 agent restarted: standby, nothing moves', 'node2', (i) => {
  i.nodes['node2']!.alive = false;
});
add(
  'e7-switchover-holder-releases',
  ['E7'],
  'winha switchover web --to node2: node1 stops the site (not W3SVC), removes the VIP, releases',
  'node1',
  (i) => {
    i.switchover = { id: 'r4', to: 'node2', force: false };
  },
);
add('e7-switchover-target-takes', ['E7'], 'node2 takes the released lease: mirror source, VIP, site; request done', 'node2', (i) => {
  i.switchover = { id: 'r4', to: 'node2', force: false };
  i.lease = { holder: '', epoch: 1, expired: true };
});
add('e7-switchover-target-waits', ['E7'], 'node2 waits while node1 still holds the lease', 'node2', (i) => {
  i.switchover = { id: 'r4', to: 'node2', force: false };
});
add('e7-switchover-done', ['E7'], 'web active on node2 with the request still there: complete it', 'node2', (i) => {
  i.switchover = { id: 'r4', to: 'node2', force: false };
  i.lease = { holder: 'node2', epoch: 2, expired: false };
  i.activeNode = 'node2';
  i.local = activeLocal();
  i.mirrors = [
    mirror({ source: 'node2', recordedBy: 'node2', targets: { node1: 1 }, claimedSources: ['node2'], local: { role: 'source', state: 1 } }),
  ];
});
add('e7-switchover-remove-failed-aborts', ['E7'], 'removal failed 9556 during a switchover: aborted, web stays on node1', 'node1', (i) => {
  i.switchover = { id: 'r4', to: 'node2', force: false };
  i.local.deactivationFailed = { code: 9556, message: 'Unable to stop IIS site' };
});
add('e7-switchover-to-down-node-refused', ['E7'], 'switchover to a node that is down: refused', 'node1', (i) => {
  i.switchover = { id: 'r5', to: 'node2', force: false };
  i.nodes['node2']!.alive = false;
});

// ── safety check and ordering rules
add(
  'safety-previous-still-serving',
  ['E1'],
  'the lease expired but node1 still answers on the VIP: PromotionBlocked PreviousActiveStillServing',
  'node2',
  node1Crashed,
  (i) => {
    i.nodes['node1']!.alive = true;
    i.safetyCheck = { epoch: 1, at: NOW - 100, outcome: 'serving', detail: '10.0.0.50 answers from 00-15-5D-00-00-01' };
  },
);
add('safety-stale-result-reprobed', ['E1'], 'a safety-check result older than the retry period is repeated', 'node2', node1Crashed, (i) => {
  i.safetyCheck = { epoch: 1, at: NOW - 10_000, outcome: 'silent', detail: 'nothing answers' };
});
const PROBE_FAILED = 'could not probe 10.0.0.50 (DriverError: Timeout after 3000 ms): cannot tell whether node1 still serves';
add(
  'safety-probe-failed-blocks',
  ['E1'],
  'the probe of node1 timed out (unknown): PromotionBlocked SafetyCheckFailed, no takeover, re-probe after the retry period',
  'node2',
  node1Crashed,
  (i) => {
    i.safetyCheck = { epoch: 1, at: NOW - 100, outcome: 'unknown', detail: PROBE_FAILED };
  },
);
add(
  'safety-probe-failed-reprobed',
  ['E1'],
  'an unknown probe older than the retry period is repeated; the block stands until it answers (one retry, not a ban)',
  'node2',
  node1Crashed,
  (i) => {
    i.safetyCheck = { epoch: 1, at: NOW - 10_000, outcome: 'unknown', detail: PROBE_FAILED };
  },
);
add('safety-probe-failed-forced', ['E1'], 'an unknown probe does not stop `winha switchover --force`', 'node2', node1Crashed, (i) => {
  i.safetyCheck = { epoch: 1, at: NOW - 100, outcome: 'unknown', detail: PROBE_FAILED };
  i.switchover = { id: 'r9', to: 'node2', force: true };
});
add(
  'safety-probe-failed-gate-closed',
  ['E1', 'M8'],
  'node1 served past its lease unrecorded (gate closed); the last probe failed: SafetyCheckFailed, not MirrorNotInSync',
  'node2',
  node1Crashed,
  (i) => {
    i.mirrors = [mirror({ unsupervisedBy: 'node1', local: { role: 'target', state: 1 } })];
    i.safetyCheck = { epoch: 1, at: NOW - 100, outcome: 'unknown', detail: PROBE_FAILED };
  },
);
add('safety-disabled', ['E1'], 'safety check disabled in the Cluster: take over without probing', 'node2', node1Crashed, (i) => {
  i.safetyCheckEnabled = false;
  delete i.safetyCheck;
});
add('deactivation-failed-blocks-others', ['E7'], 'node1 failed to remove (9556) and is alive: node2 may not activate', 'node2', (i) => {
  i.lease = { holder: '', epoch: 1, expired: true };
  i.history['node1'] = { deactivationFailed: true, bannedUntil: NOW + MIN };
});
add(
  'deactivation-failed-node-dead-unblocks',
  ['E7'],
  'node1 failed to remove but its node lease expired since: node2 may take over',
  'node2',
  node1Crashed,
  (i) => {
    i.history['node1'] = { deactivationFailed: true };
  },
);
add(
  'autofailover-off-stays-failed',
  ['H4'],
  'autoFailover false: recovery failure leaves the group Failed on node1, no move',
  'node1',
  (i) => {
    i.group.autoFailover = false;
    i.local.recoveryFailed = { code: 9607, message: 'W3SVC could not be started' };
  },
);
add('not-a-member', ['C4'], 'a cluster node that is not in the group does nothing', 'node3', (i) => {
  i.local = { observed: true, sites: [], vips: [] };
});

// ── cloud-routed addresses (issue 17): AWS moves through the API, Azure follows the probe the agent answers
add(
  'cloud-aws-new-term-claims',
  ['C1'],
  'node1 holds, the VIP is on the host but AWS routes are not known in this term: claim them (addVip)',
  'node1',
  (i) => {
    i.local.vips[0]!.cloud = { local: true };
  },
);
add(
  'cloud-aws-drift-repaired',
  ['C1'],
  'node1 serves; a read finds the secondary IP moved to another ENI behind our back: take it back (addVip)',
  'node1',
  (i) => {
    i.local.vips[0]!.cloud = { local: true, here: false };
  },
);
add('cloud-aws-routed-here', ['C1'], 'node1 serves and AWS routes the address here: nothing to do', 'node1', (i) => {
  i.local.vips[0]!.cloud = { local: true, here: true };
});
add(
  'cloud-eip-not-on-host',
  ['C1'],
  'an Elastic IP is never on the host: associated here, nothing to do (no addVip for a missing local address)',
  'node1',
  (i) => {
    i.local.vips[0] = { ...i.local.vips[0]!, present: false, cloud: { local: false, here: true } };
    delete i.local.vips[0].state;
  },
);
add(
  'cloud-azure-probe-opens-after-site',
  ['C1'],
  'node1 holds, nothing runs: VIP, site, then answer the load balancer probe',
  'node1',
  (i) => {
    i.local = idleLocal();
    i.local.vips[0]!.probe = { port: 59999, open: false };
  },
);
add(
  'cloud-azure-fence-closes-probe-first',
  ['E1', 'E2'],
  'node1 could not renew: it stops answering the probe first, then removes the VIP, then stops the site',
  'node1',
  (i) => {
    i.leaseLostBySelf = true;
    i.local.vips[0]!.probe = { port: 59999, open: true };
  },
);
add('cloud-azure-standby-probe-open', ['C5'], 'node2 is standby but answers the probe (drift): close it', 'node2', (i) => {
  i.local.vips[0]!.probe = { port: 59999, open: true };
});

const dir = path.resolve(process.argv[2] ?? 'test/scheduler');
for (const c of cases) {
  const caseDir = path.join(dir, c.name);
  fs.mkdirSync(caseDir, { recursive: true });
  fs.writeFileSync(
    path.join(caseDir, 'input.json'),
    JSON.stringify({ description: c.description, rows: c.rows, input: c.build() }, null, 2) + '\n',
  );
}
console.log(`${cases.length} cases written to ${dir}`);
