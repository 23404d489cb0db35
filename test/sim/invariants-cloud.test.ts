/**
 * The invariants over a cloud: singleActive judges a cloud-routed address by where the cloud sends it (and who
 * holds it), and available catches a Ready group whose address the cloud sends elsewhere. Synthetic histories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, serversOf, type InvariantOptions } from '../../src/sim/scenario/invariants.js';
import { observationFacts, type HistoryEntry } from '../../src/sim/scenario/history.js';
import type { GroupObservation, Observation } from '../../src/sim/scenario/target.js';
import type { WorldInspection } from '../../src/drivers/sim/world-protocol.js';
import { evaluate } from '../../src/sim/scenario/conditions.js';
import { topologyOf } from '../../src/sim/world/topology.js';
import { AZURE, ELASTIC, SECONDARY, cloudObjects } from './cloud-world.js';

const T0 = 1_000_000;
const topology = topologyOf(cloudObjects());
const opts: InvariantOptions = { invariants: ['singleActive', 'available'], convergeWithinMs: 30_000, origin: T0 };

interface Sketch {
  holders?: Record<string, string[]>;
  routes?: Record<string, string[]> | null;
  ready?: boolean;
  active?: string;
}

function observation(atSec: number, s: Sketch): Observation {
  const world: WorldInspection = {
    now: T0 + atSec * 1000,
    addressConflicts: [],
    splitBrains: [],
    lostAcknowledgedWrites: [],
    addressHolders: s.holders ?? {},
    startedSites: { node1: [], node2: [] },
    volumes: [],
    switchoverRequests: [],
    hosts: Object.fromEntries(['node1', 'node2'].map((h) => [h, { up: true, agentRunning: true, storeReachable: true, clockSkewMs: 0 }])),
  };
  if (s.routes !== null) world.cloudRoutes = s.routes ?? {};
  const group: GroupObservation = {
    namespace: 'default',
    name: 'web',
    desiredState: 'InService',
    maintenance: false,
    ready: s.ready ?? false,
    conditions: [],
    nodes: [],
  };
  if (s.active) group.activeNode = s.active;
  return { at: world.now, world, groups: [group] };
}
const obs = (atSec: number, s: Sketch): HistoryEntry => ({
  kind: 'observation',
  at: T0 + atSec * 1000,
  observation: observation(atSec, s),
});
const group = topology.groups[0]!;

test('singleActive: two nodes the cloud routes to that both hold the address serve it twice', () => {
  const both = { [AZURE]: ['node1', 'node2'] };
  const v = checkHistory(topology, [obs(0, { holders: both, routes: both })], opts);
  assert.deepEqual(
    v.map((x) => x.invariant),
    ['singleActive'],
  );
  assert.match(v[0]!.message, /node1 \(10\.0\.1\.60 routed by the cloud\), node2 \(10\.0\.1\.60 routed by the cloud\)/);
});

test('singleActive: held by two but routed to one is one server (the cloud, not ARP, decides)', () => {
  const h = { holders: { [AZURE]: ['node1', 'node2'], [SECONDARY]: ['node1', 'node2'] }, routes: { [AZURE]: ['node1'], [SECONDARY]: [] } };
  assert.deepEqual(checkHistory(topology, [obs(0, h)], opts), []);
  assert.deepEqual(serversOf(observation(0, h), group, topology), ['node1']);
  assert.deepEqual(serversOf(observation(0, h), group), ['node1', 'node2'], 'without the topology: every holder, as on premises');
});

test('singleActive: routed to a node that does not hold the address is no server, except for an Elastic IP (NAT)', () => {
  const routedOnly = observation(0, { holders: { [SECONDARY]: ['node1'] }, routes: { [SECONDARY]: ['node2'], [ELASTIC]: ['node1'] } });
  assert.deepEqual(serversOf(routedOnly, group, topology), ['node1']);
  const twoWays = { holders: {}, routes: { [ELASTIC]: ['node1'], [AZURE]: ['node2'] } };
  assert.deepEqual(serversOf(observation(0, twoWays), group, topology), ['node1']);
  const split = { holders: { [AZURE]: ['node2'] }, routes: { [ELASTIC]: ['node1'], [AZURE]: ['node2'] } };
  assert.deepEqual(
    checkHistory(topology, [obs(0, split)], opts).map((x) => x.invariant),
    ['singleActive'],
    'the Elastic IP on node1 and the load balancer on node2: two servers',
  );
});

test('singleActive: an inspection without cloudRoutes falls back to the address holders', () => {
  const both = { [AZURE]: ['node1', 'node2'] };
  assert.deepEqual(serversOf(observation(0, { holders: both, routes: null }), group, topology), ['node1', 'node2']);
});

test('available: a Ready group whose cloud route points elsewhere (or nowhere) says something untrue', () => {
  const good = { [AZURE]: ['node1'], [SECONDARY]: ['node1'], [ELASTIC]: ['node1'], '192.168.50.10': ['node1'] };
  const holders = { [AZURE]: ['node1'], [SECONDARY]: ['node1'] };
  const v = checkHistory(
    topology,
    [
      obs(0, { holders, routes: good, ready: true, active: 'node1' }),
      obs(40, { holders, routes: good, ready: true, active: 'node1' }),
      obs(41, { holders, routes: { ...good, [SECONDARY]: ['node2'] }, ready: true, active: 'node1' }),
      obs(42, { holders, routes: { ...good, [SECONDARY]: ['node2'] }, ready: true, active: 'node1' }),
      obs(43, { holders, routes: { ...good, [ELASTIC]: [] }, ready: true, active: 'node1' }),
    ],
    opts,
  );
  assert.deepEqual(
    v.map((x) => [x.invariant, x.at / 1000]),
    [
      ['available', 41],
      ['available', 43],
    ],
  );
  assert.match(v[0]!.message, /is Ready but the cloud sends 10\.0\.1\.50 to node2 \(awsSecondaryIp; active=node1\)/);
  assert.match(v[1]!.message, /the cloud sends 203\.0\.113\.7 to no node/);
});

test('available: within the convergence window, or not Ready, a wrong route is no violation', () => {
  const wrong = { [AZURE]: ['node2'] };
  assert.deepEqual(checkHistory(topology, [obs(10, { routes: wrong, ready: true, active: 'node1' })], opts), []);
  assert.deepEqual(
    checkHistory(topology, [obs(40, { routes: wrong, ready: false, active: 'node1' })], { ...opts, invariants: ['singleActive'] }),
    [],
  );
});

test('history shows where the cloud sends each address; the cloudRoute condition reads it', () => {
  const o = observation(0, { routes: { [AZURE]: ['node2'], [SECONDARY]: [] } });
  const facts = observationFacts(o);
  assert.ok(facts.includes(`cloud ${AZURE}: node2`));
  assert.ok(facts.includes(`cloud ${SECONDARY}: -`));
  assert.deepEqual(evaluate(topology, { kind: 'cloudRoute', address: AZURE, nodes: ['node2'] }, o, []), {
    holds: true,
    seen: 'routed to [node2]',
  });
  assert.equal(evaluate(topology, { kind: 'cloudRoute', address: SECONDARY, nodes: ['node1'] }, o, []).holds, false);
  assert.equal(evaluate(topology, { kind: 'cloudRoute', address: SECONDARY, nodes: [] }, o, []).holds, true);
});
