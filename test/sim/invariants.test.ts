/** The invariant checker on synthetic histories: each invariant violated, and not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, type InvariantOptions } from '../../src/sim/scenario/invariants.js';
import type { HistoryEntry } from '../../src/sim/scenario/history.js';
import type { GroupObservation, Observation } from '../../src/sim/scenario/target.js';
import type { WorldInspection } from '../../src/drivers/sim/world-protocol.js';
import { topologyOf } from '../../src/sim/world/topology.js';

const T0 = 1_000_000;
const topology = topologyOf([
  {
    kind: 'Cluster',
    metadata: { name: 'c' },
    spec: {
      nodes: [
        { name: 'node1', address: '10.0.0.11' },
        { name: 'node2', address: '10.0.0.12' },
      ],
    },
  },
  {
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: {
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: 10 },
      ],
    },
  },
  { kind: 'VirtualIP', metadata: { name: 'vip' }, spec: { group: 'web', address: '10.0.0.50', prefixLength: 24 } },
  {
    kind: 'Mirror',
    metadata: { name: 'data' },
    spec: {
      group: 'web',
      volume: 'E:',
      endpoints: [
        { node: 'node1', address: '1.1.1.1' },
        { node: 'node2', address: '1.1.1.2' },
      ],
    },
  },
  { kind: 'IISSite', metadata: { name: 'site' }, spec: { group: 'web', siteName: 'website1', bindings: [], physicalPath: 'E:\\w' } },
]);
const opts: InvariantOptions = {
  invariants: ['singleActive', 'noUnsafePromotion', 'noLostWrites', 'converges'],
  convergeWithinMs: 30_000,
  origin: T0,
};

type Vol = [host: string, role: 'source' | 'target' | 'none', state: number];

interface WorldSketch {
  vip?: string[];
  sites?: Record<string, string[]>;
  volumes?: Vol[];
  down?: string[];
  lost?: WorldInspection['lostAcknowledgedWrites'];
  ready?: boolean;
  active?: string;
  blocked?: boolean;
  requests?: WorldInspection['switchoverRequests'];
  /** The group's phase (Failed is what converges excuses and available does not). */
  phase?: string;
  /** Nodes banned from the group until this many seconds from T0. */
  bannedUntilSec?: Record<string, number>;
}

function obs(atSec: number, w: WorldSketch): HistoryEntry {
  const world: WorldInspection = {
    now: T0 + atSec * 1000,
    addressConflicts: [],
    splitBrains: [],
    lostAcknowledgedWrites: w.lost ?? [],
    addressHolders: w.vip?.length ? { '10.0.0.50': w.vip } : {},
    startedSites: { node1: [], node2: [], ...w.sites },
    volumes: (
      w.volumes ?? [
        ['node1', 'source', 1],
        ['node2', 'target', 1],
      ]
    ).map(([host, role, state]) => ({ host, volume: 'E', role, state, locked: role === 'target', dirtyBlocks: 0 })),
    switchoverRequests: w.requests ?? [],
    hosts: Object.fromEntries(
      ['node1', 'node2'].map((h) => [h, { up: !(w.down ?? []).includes(h), agentRunning: true, storeReachable: true, clockSkewMs: 0 }]),
    ),
  };
  const group: GroupObservation = {
    namespace: 'default',
    name: 'web',
    desiredState: 'InService',
    maintenance: false,
    ready: w.ready ?? true,
    conditions: w.blocked ? [{ type: 'PromotionBlocked', status: 'True', reason: 'MirrorNotInSync' }] : [],
    nodes: Object.entries(w.bannedUntilSec ?? {}).map(([name, sec]) => ({ name, state: 'OSF', bannedUntil: T0 + sec * 1000 })),
  };
  if (w.active) group.activeNode = w.active;
  if (w.phase) group.phase = w.phase;
  const observation: Observation = { at: world.now, world, groups: [group] };
  return { kind: 'observation', at: world.now, observation };
}
const fault = (atSec: number, f: Extract<HistoryEntry, { kind: 'fault' }>['fault']): HistoryEntry => ({
  kind: 'fault',
  at: T0 + atSec * 1000,
  fault: f,
});

const healthy = (at: number) => obs(at, { vip: ['node1'], sites: { node1: ['website1'] }, active: 'node1' });

test('singleActive: one server at a time passes; two at once is one violation per episode', () => {
  assert.deepEqual(
    checkHistory(
      topology,
      [
        healthy(0),
        healthy(1),
        obs(2, {
          vip: ['node2'],
          sites: { node2: ['website1'] },
          volumes: [
            ['node1', 'target', 1],
            ['node2', 'source', 1],
          ],
        }),
      ],
      opts,
    ),
    [],
  );
  const v = checkHistory(
    topology,
    [
      healthy(0),
      obs(1, { vip: ['node1'], sites: { node1: ['website1'], node2: ['website1'] } }),
      obs(2, { vip: ['node1'], sites: { node1: ['website1'], node2: ['website1'] } }),
      healthy(3),
      obs(4, { vip: ['node1', 'node2'], sites: { node1: ['website1'] } }),
    ],
    opts,
  );
  assert.equal(v.length, 2);
  assert.equal(v[0]!.invariant, 'singleActive');
  assert.equal(v[0]!.at, 1000);
  assert.match(v[0]!.message, /served by 2 nodes at once: node1 \(10\.0\.0\.50, site website1\), node2 \(site website1\)/);
  assert.ok(
    v[0]!.excerpt.some((l) => l.includes('sites started on node2: website1')),
    'the excerpt shows the second server',
  );
  assert.equal(v[1]!.at, 4000);
});

test('singleActive: a foreign claimant and drift started by hand are not WinHA serving twice', () => {
  const foreign = checkHistory(
    topology,
    [healthy(0), obs(1, { vip: ['node1', 'foreign:02-00-5E-10-00-01'], sites: { node1: ['website1'] } })],
    opts,
  );
  assert.deepEqual(foreign, []);
  const manual: HistoryEntry = {
    kind: 'manual',
    at: T0 + 1500,
    action: { action: 'startSite', node: 'node2', site: 'website1' },
    accepted: true,
    message: '',
  };
  const drift = obs(2, { vip: ['node1'], sites: { node1: ['website1'], node2: ['website1'] } });
  assert.deepEqual(checkHistory(topology, [healthy(0), manual, drift, healthy(3)], opts), []);
  // Once the drift is gone, the excuse is gone too.
  assert.equal(
    checkHistory(
      topology,
      [healthy(0), manual, drift, healthy(3), obs(4, { vip: ['node1'], sites: { node1: ['website1'], node2: ['website1'] } })],
      opts,
    ).length,
    1,
  );
});

test('noUnsafePromotion: a Mirroring target may be promoted; a resyncing one only with --force', () => {
  const crashThenPromote = (state: number): HistoryEntry[] => [
    obs(0, {
      vip: ['node1'],
      volumes: [
        ['node1', 'source', state],
        ['node2', 'target', state],
      ],
    }),
    fault(1, { type: 'nodeCrash', node: 'node1' }),
    obs(1, {
      down: ['node1'],
      volumes: [
        ['node1', 'source', state],
        ['node2', 'target', state],
      ],
      ready: false,
    }),
    obs(5, {
      down: ['node1'],
      volumes: [
        ['node1', 'source', state],
        ['node2', 'source', 4],
      ],
      ready: false,
    }),
  ];
  assert.deepEqual(checkHistory(topology, crashThenPromote(1), { ...opts, invariants: ['noUnsafePromotion'] }), []);
  const v = checkHistory(topology, crashThenPromote(2), { ...opts, invariants: ['noUnsafePromotion'] });
  assert.equal(v.length, 1);
  assert.equal(v[0]!.invariant, 'noUnsafePromotion');
  assert.equal(v[0]!.node, 'node2');
  assert.equal(v[0]!.at, 5000);
  assert.match(v[0]!.message, /node2 became source of E: without --force.*state Resync \(2\)/);
  const forced: HistoryEntry = {
    kind: 'operator',
    at: T0 + 3000,
    action: { action: 'switchover', group: 'web', to: 'node2', force: true },
    accepted: true,
    message: '',
  };
  const h = crashThenPromote(2);
  h.splice(3, 0, forced);
  assert.deepEqual(checkHistory(topology, h, { ...opts, invariants: ['noUnsafePromotion'] }), []);
});

test("noUnsafePromotion: a stale target view does not count; the source's state at the end of its epoch does", () => {
  // Replication cut: the source pauses, the target still believes Mirroring; then the source dies.
  const v = checkHistory(
    topology,
    [
      obs(0, {
        volumes: [
          ['node1', 'source', 1],
          ['node2', 'target', 1],
        ],
      }),
      obs(1, {
        volumes: [
          ['node1', 'source', 4],
          ['node2', 'target', 1],
        ],
      }),
      obs(2, {
        down: ['node1'],
        volumes: [
          ['node1', 'source', 4],
          ['node2', 'target', 1],
        ],
      }),
      obs(6, {
        down: ['node1'],
        volumes: [
          ['node1', 'source', 4],
          ['node2', 'source', 4],
        ],
      }),
    ],
    { ...opts, invariants: ['noUnsafePromotion'] },
  );
  assert.equal(v.length, 1);
  assert.match(v[0]!.message, /Paused \(4\)/);
  // Creating a mirror is no promotion.
  assert.deepEqual(
    checkHistory(
      topology,
      [
        obs(0, {
          volumes: [
            ['node1', 'none', 0],
            ['node2', 'none', 0],
          ],
        }),
        obs(1, {
          volumes: [
            ['node1', 'source', 5],
            ['node2', 'target', 5],
          ],
        }),
      ],
      { ...opts, invariants: ['noUnsafePromotion'] },
    ),
    [],
  );
});

test('noUnsafePromotion: judged when the promotion was asked for, not when DataKeeper finished it', () => {
  // node2 asks at 5 s (eligible: node1 died Mirroring); node1 returns at 6 s and starts a resync; the switchover completes at 7 s.
  const req = [{ host: 'node2', volume: 'E', at: T0 + 5000, force: false }];
  const h: HistoryEntry[] = [
    obs(0, {
      volumes: [
        ['node1', 'source', 1],
        ['node2', 'target', 1],
      ],
    }),
    obs(1, {
      down: ['node1'],
      volumes: [
        ['node1', 'source', 1],
        ['node2', 'target', 1],
      ],
    }),
    obs(6, {
      volumes: [
        ['node1', 'source', 2],
        ['node2', 'target', 2],
      ],
      requests: req,
    }),
    obs(7, {
      volumes: [
        ['node1', 'target', 1],
        ['node2', 'source', 1],
      ],
      requests: req,
    }),
  ];
  assert.deepEqual(checkHistory(topology, h, { ...opts, invariants: ['noUnsafePromotion'] }), []);
  // Asked for during the resync: unsafe.
  const late = [{ host: 'node2', volume: 'E', at: T0 + 6500, force: false }];
  const v = checkHistory(
    topology,
    [
      ...h.slice(0, 3),
      obs(8, {
        volumes: [
          ['node1', 'target', 1],
          ['node2', 'source', 1],
        ],
        requests: late,
      }),
    ],
    { ...opts, invariants: ['noUnsafePromotion'] },
  );
  assert.equal(v.length, 1);
  assert.match(v[0]!.message, /when it asked \(\[\s*6\.500s\]\) it was target in state Resync \(2\)/);
});

test("noUnsafePromotion: a request the world recorded is judged by the source's state then, not by a later event of the same instant", () => {
  // node2 asks at 5 s while node1 is the one source and Mirroring; a replication blip in the same instant pauses node1.
  const asked = { host: 'node2', volume: 'E', at: T0 + 5000, force: false, sourceReachable: true, sourceState: 1, sources: 1 };
  const paused: Vol[] = [
    ['node1', 'source', 4],
    ['node2', 'target', 1],
  ];
  const swapped: Vol[] = [
    ['node1', 'target', 1],
    ['node2', 'source', 1],
  ];
  const history = (request: typeof asked) => [
    healthy(0),
    obs(5, { volumes: paused, requests: [request] }),
    obs(6, { volumes: swapped, requests: [request] }),
  ];
  const only = { ...opts, invariants: ['noUnsafePromotion' as const] };
  assert.deepEqual(checkHistory(topology, history(asked), only), []);
  // The same promotion asked while node1, cut off, had paused the mirror (it may have taken writes node2 lacks): unsafe.
  const v = checkHistory(topology, history({ ...asked, sourceReachable: false, sourceState: 4 }), only);
  assert.equal(v.length, 1);
  assert.match(v[0]!.message, /when it asked \(\[\s*5\.000s\]\) it was target in state Paused \(4\)/);
  // Two sources when asked (split brain): unsafe even if one said Mirroring.
  assert.equal(checkHistory(topology, history({ ...asked, sources: 2 }), only).length, 1);
});

test('noLostWrites: reported once per lost write, naming the source', () => {
  const lost = [{ volume: 'E', host: 'node2', writeIds: [7, 9] }];
  const v = checkHistory(
    topology,
    [healthy(0), obs(1, { lost }), obs(2, { lost }), obs(3, { lost: [{ volume: 'E', host: 'node2', writeIds: [7, 9, 12] }] })],
    { ...opts, invariants: ['noLostWrites'] },
  );
  assert.equal(v.length, 2);
  assert.match(v[0]!.message, /source node2 of E: lacks 2 writes .*\(ids 7, 9\)/);
  assert.match(v[1]!.message, /lacks 1 write .*\(ids 12\)/);
  assert.deepEqual(checkHistory(topology, [healthy(0), healthy(1)], { ...opts, invariants: ['noLostWrites'] }), []);
});

test('converges: bounded after the last heal; not while a fault is open; not while blocked for an operator', () => {
  const only = { ...opts, invariants: ['converges' as const] };
  const notReady = (at: number, extra: WorldSketch = {}) => obs(at, { ready: false, down: ['node1'], ...extra });
  // Ready in time after the heal: fine.
  assert.deepEqual(
    checkHistory(
      topology,
      [
        fault(0, { type: 'nodeCrash', node: 'node1' }),
        notReady(10),
        fault(20, { type: 'nodeRestore', node: 'node1' }),
        notReady(40, { down: [] }),
        healthy(45),
        healthy(60),
      ],
      only,
    ),
    [],
  );
  // Still not Ready 30 s after the heal: one violation.
  const v = checkHistory(
    topology,
    [
      fault(0, { type: 'nodeCrash', node: 'node1' }),
      fault(20, { type: 'nodeRestore', node: 'node1' }),
      notReady(49, { down: [] }),
      notReady(50, { down: [] }),
      notReady(51, { down: [] }),
    ],
    only,
  );
  assert.equal(v.length, 1);
  assert.equal(v[0]!.invariant, 'converges');
  assert.equal(v[0]!.at, 50_000);
  assert.match(v[0]!.message, /not Ready 30\.000s after the last disturbance/);
  // A crash never restored: nothing is owed.
  assert.deepEqual(checkHistory(topology, [fault(0, { type: 'nodeCrash', node: 'node1' }), notReady(500)], only), []);
  // PromotionBlocked waits for an operator by design.
  assert.deepEqual(
    checkHistory(
      topology,
      [
        fault(0, { type: 'nodeCrash', node: 'node1' }),
        fault(1, { type: 'nodeRestore', node: 'node1' }),
        notReady(100, { down: [], blocked: true }),
      ],
      only,
    ),
    [],
  );
  // Client writes are not disturbances: the clock keeps running from the start.
  const w = checkHistory(topology, [fault(10, { type: 'write', node: 'node1', volume: 'E' }), obs(31, { ready: false })], only);
  assert.equal(w.length, 1);
});

test('checkHistory is pure: the same history gives the same violations', () => {
  const h = [healthy(0), obs(1, { vip: ['node1', 'node2'] }), fault(2, { type: 'nodeCrash', node: 'node1' })];
  assert.deepEqual(checkHistory(topology, h, opts), checkHistory(topology, h, opts));
});

test("a group condition's message (substring, regex) and code", async () => {
  const { evaluate } = await import('../../src/sim/scenario/conditions.js');
  const { topologyOf } = await import('../../src/sim/world/topology.js');
  const t = topologyOf([]);
  // A topology that declares the group (the condition names it).
  const obs = {
    at: 0,
    world: { addressHolders: {}, startedSites: {}, volumes: [], hosts: {} },
    groups: [
      {
        namespace: 'default',
        name: 'web',
        desiredState: 'InService' as const,
        maintenance: false,
        ready: false,
        nodes: [],
        conditions: [
          { type: 'Failed', status: 'True' as const, reason: 'NoEligibleNode', code: 9422, message: 'binding *:80 is taken by site other' },
        ],
      },
    ],
  } as unknown as Parameters<typeof evaluate>[2];
  const t2 = { ...t, groups: [{ namespace: 'default', name: 'web', nodes: [] }] } as unknown as typeof t;
  const h = (condition: Record<string, unknown>) =>
    evaluate(t2, { kind: 'group', group: 'web', condition: { type: 'Failed', ...condition } }, obs, []);
  assert.equal(h({ code: 9422, messageContains: 'TAKEN BY' }).holds, true);
  assert.equal(h({ messageMatches: '^binding \\*:80 is taken' }).holds, true);
  assert.equal(h({ messageMatches: 'free' }).holds, false);
  assert.equal(h({ code: 9408 }).holds, false);
  assert.match(h({ code: 9408 }).seen, /Failed: code=9422 message="binding \*:80 is taken by site other"/);
});

test('available: a Failed group with a healthy, unbanned member after the faults healed is a violation; converges excuses it', () => {
  const failed = (at: number, extra: Partial<WorldSketch> = {}) => obs(at, { ready: false, phase: 'Failed', ...extra });
  const both = { ...opts, invariants: ['converges' as const, 'available' as const] };
  const history = [
    healthy(0),
    fault(1, { type: 'nodeCrash', node: 'node1' }),
    fault(2, { type: 'nodeRestore', node: 'node1' }),
    failed(10),
    failed(40),
  ];
  const v = checkHistory(topology, history, both);
  assert.deepEqual(
    v.map((x) => x.invariant),
    ['available'],
  );
  assert.match(v[0]!.message, /node1, node2 could serve it/);
  // Every member banned (a hard failure on each): nobody could serve it, so Failed is the truthful outcome.
  const banned = { bannedUntilSec: { node1: 3600, node2: 3600 } };
  assert.deepEqual(
    checkHistory(
      topology,
      [healthy(0), fault(1, { type: 'nodeCrash', node: 'node1' }), fault(2, { type: 'nodeRestore', node: 'node1' }), failed(40, banned)],
      both,
    ),
    [],
  );
  // Waiting for an operator on purpose (a blocked promotion) is excused.
  assert.deepEqual(
    checkHistory(
      topology,
      [
        healthy(0),
        fault(1, { type: 'nodeCrash', node: 'node1' }),
        fault(2, { type: 'nodeRestore', node: 'node1' }),
        failed(40, { blocked: true }),
      ],
      both,
    ),
    [],
  );
  // Within the bound, no verdict yet.
  assert.deepEqual(
    checkHistory(
      topology,
      [healthy(0), fault(1, { type: 'nodeCrash', node: 'node1' }), fault(2, { type: 'nodeRestore', node: 'node1' }), failed(20)],
      both,
    ),
    [],
  );
});
