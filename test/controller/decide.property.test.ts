/**
 * Properties of decide() over random views: never two actives in one view,
 * no promotion through the mirror gate without force, stop before start,
 * deterministic output.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fc } from '../support/property.js';
import { decide } from '../../src/controller/decide.js';
import type { Action, DecisionInput } from '../../src/controller/decision-types.js';
import { groupMirrorGate } from '../../src/controller/mirror-gate.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const NODES = ['node1', 'node2', 'node3'];

const viewArb = fc.record({
  nodeCount: fc.integer({ min: 2, max: 3 }),
  priorities: fc.shuffledSubarray([1, 2, 5, 10, 20, 50], { minLength: 3, maxLength: 3 }),
  alive: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  maint: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  banned: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  holder: fc.constantFrom('', 'node1', 'node2', 'node3'),
  expired: fc.boolean(),
  epoch: fc.integer({ min: 0, max: 5 }),
  switchback: fc.constantFrom('Intelligent' as const, 'Automatic' as const),
  desired: fc.constantFrom('InService' as const, 'OutOfService' as const),
  source: fc.constantFrom(undefined, 'node1', 'node2', 'node3'),
  targetStates: fc.array(fc.constantFrom(-1, 0, 1, 2, 3, 4, 5), { minLength: 3, maxLength: 3 }),
  splitBrain: fc.boolean(),
  request: fc.option(fc.record({ to: fc.constantFrom('node1', 'node2', 'node3'), force: fc.boolean() }), { nil: undefined }),
  safetyOutcome: fc.option(fc.constantFrom('serving' as const, 'silent' as const, 'unknown' as const), { nil: undefined }),
  failureCode: fc.option(fc.constantFrom(9704, 9705, 9707, 9757), { nil: undefined }),
  restarts: fc.integer({ min: 0, max: 4 }),
  activeNode: fc.constantFrom(undefined, 'node1', 'node2', 'node3'),
});

type View = typeof viewArb extends fc.Arbitrary<infer T> ? T : never;

function inputFor(v: View, self: string): DecisionInput {
  const names = NODES.slice(0, v.nodeCount);
  const holder = names.includes(v.holder) ? v.holder : '';
  const source = v.source && names.includes(v.source) ? v.source : undefined;
  const claimed = source ? (v.splitBrain ? names.slice(0, 2) : [source]) : [];
  const targets: Record<string, number> = {};
  names.forEach((n, i) => {
    if (n !== source) targets[n] = v.targetStates[i]!;
  });
  const selfActive = holder === self;
  const i: DecisionInput = {
    now: NOW,
    self,
    clusterMaintenance: false,
    safetyCheckEnabled: true,
    safetyCheckMaxAgeMs: 2000,
    group: {
      name: 'web',
      nodes: names.map((n, k) => ({ name: n, priority: v.priorities[k]! })),
      switchback: v.switchback,
      autoFailover: true,
      desiredState: v.desired,
      maintenance: false,
      restartLimit: 3,
      restartWindowSeconds: 900,
      failureExpirySeconds: 3600,
    },
    nodes: Object.fromEntries(names.map((n, k) => [n, { alive: v.alive[k]!, maintenance: v.maint[k]! }])),
    history: Object.fromEntries(
      names.map((n, k) => [
        n,
        v.banned[k] ? { bannedUntil: NOW + 60_000 } : { restarts: Array.from({ length: v.restarts }, (_, r) => NOW - r * 1000) },
      ]),
    ),
    lease: { holder, epoch: holder ? Math.max(1, v.epoch) : v.epoch, expired: holder === '' || v.expired },
    mirrors: [
      {
        name: 'web-data',
        volume: 'E',
        targets,
        claimedSources: claimed,
        ...(source ? { source, recordedBy: source, sourceEpoch: 1 } : {}),
        local: {
          role: source === self || claimed.includes(self) ? 'source' : source ? 'target' : 'none',
          state: source === self ? 1 : (targets[self] ?? 0),
        },
      },
    ],
    local: {
      observed: true,
      sites: [{ name: 'website1', siteName: 'website1', exists: true, started: selfActive, serverAutoStart: false }],
      vips: [{ name: 'web-vip', address: '10.0.0.50', present: selfActive }],
      ...(v.failureCode && selfActive
        ? {
            failure: {
              code: v.failureCode,
              check: 'quick' as const,
              site: 'website1',
              siteName: 'website1',
              localRecovery: true,
              message: 'x',
            },
          }
        : {}),
    },
  };
  if (v.activeNode && names.includes(v.activeNode)) i.activeNode = v.activeNode;
  if (v.request) i.switchover = { id: 'r', to: v.request.to, force: v.request.force };
  if (v.safetyOutcome !== undefined && holder) i.safetyCheck = { epoch: i.lease.epoch, at: NOW, outcome: v.safetyOutcome, detail: 'probe' };
  return i;
}

const ACTIVATING = new Set<Action['type']>(['promoteMirror', 'addVip', 'startSite']);
const STOPPING = new Set<Action['type']>(['stopSite', 'removeVip']);

describe('decide() properties', () => {
  it('never two nodes activating in one view (the lease admits one; others only stop)', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        // One consistent view: only nodes that view says are alive run an agent and decide.
        const names = NODES.slice(0, v.nodeCount).filter((_, k) => v.alive[k]);
        const activating = names.filter((n) => {
          const d = decide(inputFor(v, n));
          return d.actions.some((a) => ACTIVATING.has(a.type));
        });
        // Only the holder (holding) or the single elected candidate (acquiring first) may activate.
        assert.ok(activating.length <= 1, `activating on ${activating.join(', ')}`);
      }),
      { numRuns: 600 },
    );
  });

  it('activation happens only with the lease: acquireLease precedes it unless the node holds the lease', () => {
    fc.assert(
      fc.property(viewArb, fc.constantFrom('node1', 'node2', 'node3'), (v, self) => {
        const input = inputFor(v, self);
        if (!input.group.nodes.some((n) => n.name === self)) return;
        const d = decide(input);
        const first = d.actions.findIndex((a) => ACTIVATING.has(a.type));
        if (first < 0) return;
        const holds = input.lease.holder === self && !input.leaseLostBySelf;
        assert.ok(holds || d.actions.slice(0, first).some((a) => a.type === 'acquireLease'), d.reason);
      }),
      { numRuns: 600 },
    );
  });

  it('no promotion through the mirror gate without force', () => {
    fc.assert(
      fc.property(viewArb, fc.constantFrom('node1', 'node2', 'node3'), (v, self) => {
        const input = inputFor(v, self);
        const d = decide(input);
        const promotes = d.actions.filter((a) => a.type === 'promoteMirror');
        const gate = groupMirrorGate(input.mirrors, self);
        const forced = input.switchover?.to === self && input.switchover.force;
        if (promotes.length && !gate.ok) assert.ok(forced, `promoted ${self} through the gate: ${d.reason}`);
        for (const p of promotes) if (p.type === 'promoteMirror' && p.force) assert.ok(forced, 'a forced promotion needs a forced request');
      }),
      { numRuns: 600 },
    );
  });

  it('no takeover from an expired holder without a fresh silent probe, unless forced (nothing fails open)', () => {
    fc.assert(
      fc.property(viewArb, fc.constantFrom('node1', 'node2', 'node3'), (v, self) => {
        const input = inputFor(v, self);
        const { holder, expired } = input.lease;
        if (holder === '' || holder === self || !expired) return;
        const d = decide(input);
        if (!d.actions.some((a) => a.type === 'acquireLease')) return;
        const forced = input.switchover?.to === self && input.switchover.force;
        assert.ok(forced || input.safetyCheck?.outcome === 'silent', `${self} took over on ${input.safetyCheck?.outcome ?? 'no probe'}`);
      }),
      { numRuns: 600 },
    );
  });

  it('stop before start, and activation in dependency order (mirror → VIP → site)', () => {
    fc.assert(
      fc.property(viewArb, fc.constantFrom('node1', 'node2', 'node3'), (v, self) => {
        const d = decide(inputFor(v, self));
        const types = d.actions.map((a) => a.type);
        const lastStop = Math.max(-1, ...types.map((t, k) => (STOPPING.has(t) ? k : -1)));
        const firstStart = types.findIndex((t) => ACTIVATING.has(t));
        if (firstStart >= 0) assert.ok(lastStop < firstStart, types.join(','));
        const order = ['promoteMirror', 'addVip', 'startSite'];
        const seen = types.filter((t) => order.includes(t)).map((t) => order.indexOf(t));
        assert.deepEqual(
          seen,
          [...seen].sort((a, b) => a - b),
          types.join(','),
        );
        // A fence takes the addresses down first, then the sites (issue 15): clients stop reaching this node at once.
        const stopOrder = ['removeVip', 'stopSite'];
        const stops = types.filter((t) => stopOrder.includes(t)).map((t) => stopOrder.indexOf(t));
        assert.deepEqual(
          stops,
          [...stops].sort((a, b) => a - b),
          types.join(','),
        );
        const release = types.indexOf('releaseLease');
        if (release >= 0) assert.ok(lastStop < release, 'release only after everything stopped');
      }),
      { numRuns: 600 },
    );
  });

  it('is deterministic: same input, same decision; input order of nodes does not matter', () => {
    fc.assert(
      fc.property(viewArb, fc.constantFrom('node1', 'node2', 'node3'), (v, self) => {
        const input = inputFor(v, self);
        const a = decide(structuredClone(input));
        const b = decide(structuredClone(input));
        assert.deepEqual(a, b);
        const reversed = structuredClone(input);
        reversed.group.nodes.reverse();
        assert.deepEqual(decide(reversed).actions, a.actions);
      }),
      { numRuns: 400 },
    );
  });
});
