/**
 * Multi-target mirrors of the simulated DataKeeper (docs/spec/seed003-dk-guide-troubleshooting.md §2, §4.1–4.3):
 * one mirror per source→target pair, each with its own state and bitmap; switchover only to a Mirroring target;
 * the other targets follow the new source with a partial resync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { World } from '../../src/sim/world/world.js';
import { LocalWorldApi, callWorld } from '../../src/drivers/sim/world-protocol.js';
import { SimHostDriver } from '../../src/drivers/sim/sim-host-driver.js';
import type { Fault } from '../../src/drivers/sim/world-faults.js';
import { MirrorState, isDriverError, type MirrorMode } from '../../src/drivers/types.js';
import { settle, settleError } from '../helpers/virtual-time.js';
import { o } from './two-node-world.js';

const IP = { node1: '10.0.0.11', node2: '10.0.0.12', node3: '10.0.0.13' } as const;
type Node = keyof typeof IP;

function threeNodeWorld(seed = 1) {
  const clock = new VirtualClock();
  const names = Object.keys(IP) as Node[];
  const world = new World(clock, new SeededRandom(seed), {
    hosts: names.map((name, i) => ({
      name,
      interfaces: [{ alias: 'Ethernet', mac: `00-15-5D-00-00-0${i + 1}`, addresses: [{ address: IP[name], prefixLength: 24 }] }],
      volumes: [{ letter: 'E', totalBlocks: 8192, usedBlocks: 2048 }],
    })),
  });
  const api = new LocalWorldApi(world);
  const drv = Object.fromEntries(names.map((n) => [n, new SimHostDriver(api, n, clock)])) as Record<Node, SimHostDriver>;
  const fault = (f: Fault) => callWorld(api, 'world.fault', { fault: f });
  const inspect = () => callWorld(api, 'world.inspect', {});
  const info = (n: Node) => settle(clock, drv[n].getMirrorInfo('E', o()));
  const states = async (n: Node) => (await info(n)).targets.map((t) => [t.targetAddress, t.state]);
  return { clock, world, drv, fault, inspect, info, states };
}

/** node1 mirrors E: to node2 and node3, both Mirroring. */
async function multi(mode: MirrorMode = 'Synchronous') {
  const w = threeNodeWorld();
  for (const t of ['node2', 'node3'] as const) {
    await settle(w.clock, w.drv.node1.createMirror({ volume: 'E', sourceAddress: IP.node1, targetAddress: IP[t], mode }, o()));
  }
  await w.clock.advance(8_000);
  return w;
}

const same = (w: ReturnType<typeof threeNodeWorld>, a: Node, b: Node) =>
  [...w.world.dk.view(a, 'E').blocks].every(([blk, id]) => w.world.dk.view(b, 'E').blocks.get(blk) === id);

test('CREATEMIRROR on a source adds a mirror to another target; the source reports every target, each target its own', async () => {
  const w = await multi();
  assert.deepEqual(await w.states('node1'), [
    [IP.node2, MirrorState.Mirroring],
    [IP.node3, MirrorState.Mirroring],
  ]);
  for (const t of ['node2', 'node3'] as const) {
    const i = await w.info(t);
    assert.deepEqual([i.role, i.sourceSystem, i.targets.length, i.targets[0]?.targetAddress], ['target', 'node1', 1, IP[t]]);
  }
  const again = await settleError(
    w.clock,
    w.drv.node1.createMirror({ volume: 'E', sourceAddress: IP.node1, targetAddress: IP.node3, mode: 'Synchronous' }, o()),
  );
  assert.ok(isDriverError(again) && again.code === 'MirrorExists', String(again));
});

test('a synchronous write is acknowledged once on every Mirroring target; a paused target only tracks it in its own bitmap', async () => {
  const w = await multi();
  await w.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
  const r = await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 5, block: 9 });
  assert.ok(
    r.writes?.every((x) => x.accepted && x.onTarget),
    'on node3',
  );
  const last = r.writes!.at(-1)!.id;
  assert.equal(w.world.dk.view('node3', 'E').blocks.get(9), last);
  assert.notEqual(w.world.dk.view('node2', 'E').blocks.get(9), last);
  assert.deepEqual([...w.world.dk.pair('node1', 'node2', 'E')!.dirty], [9]);
  assert.equal(w.world.dk.pair('node1', 'node3', 'E')!.dirty.size, 0);
  assert.deepEqual(await w.states('node1'), [
    [IP.node2, MirrorState.Paused],
    [IP.node3, MirrorState.Mirroring],
  ]);
  assert.equal((await w.inspect()).volumes.find((v) => v.host === 'node1')?.state, MirrorState.Paused, 'the worst pair');
});

test('§4.3: A→B Paused, A→C Mirroring: switchover to B is refused, to C allowed; B follows C with a partial resync', async () => {
  const w = await multi();
  await w.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 3, block: 11 });
  // Healed, node1 answers again: it judges node2's request on its own pair to node2 (not yet Mirroring again).
  await w.fault({ type: 'replicationHeal', node: 'node1', peer: 'node2' });
  const refused = await settleError(w.clock, w.drv.node2.switchoverMirror('E', false, o(2)));
  assert.ok(isDriverError(refused) && refused.code === 'MirrorNotMirroring', String(refused));
  assert.notEqual(w.world.dk.pair('node1', 'node2', 'E')?.state, MirrorState.Mirroring);
  // node1→node2 is resyncing still when node3 asks: node3's own pair is what counts.
  const n3 = await settle(w.clock, w.drv.node3.switchoverMirror('E', false, o(2)), 100);
  assert.equal(n3.role, 'source');
  const req = w.world.dk.switchoverRequests.at(-1)!;
  assert.deepEqual([req.host, req.sourceReachable, req.sourceState, req.sources], ['node3', true, MirrorState.Mirroring, 1]);
  assert.equal((await w.info('node1')).sourceSystem, 'node3');
  assert.equal((await w.info('node2')).sourceSystem, 'node3');
  const toNode2 = w.world.dk.pair('node3', 'node2', 'E')!;
  assert.ok(toNode2.resync === undefined || toNode2.resync.total < 100, `partial, not full: ${toNode2.resync?.total}`);
  await w.clock.advance(8_000);
  assert.deepEqual(await w.states('node3'), [
    [IP.node1, MirrorState.Mirroring],
    [IP.node2, MirrorState.Mirroring],
  ]);
  assert.ok(same(w, 'node3', 'node1') && same(w, 'node3', 'node2'));
});

test('§4.1: a graceful switchover to B flushes the async queues and moves A→C to B→C with A’s bitmap', async () => {
  const w = await multi('Asynchronous');
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 40 });
  const n2 = await settle(w.clock, w.drv.node2.switchoverMirror('E', false, o(2)), 100);
  assert.equal(n2.role, 'source');
  assert.deepEqual(
    n2.targets.map((t) => t.targetAddress),
    [IP.node1, IP.node3],
  );
  assert.equal(w.world.dk.pair('node2', 'node3', 'E')?.replaces, 'node1');
  await w.clock.advance(8_000);
  assert.deepEqual((await w.inspect()).lostAsyncWrites, []);
  assert.ok(same(w, 'node2', 'node1') && same(w, 'node2', 'node3'));
});

test('§4.2: source crash, switchover to B: B→C partial, A returns as B’s target, no acknowledged write lost', async () => {
  const w = await multi();
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 30 });
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  const n2 = await settle(w.clock, w.drv.node2.switchoverMirror('E', false, o(2)), 500);
  assert.equal(n2.role, 'source');
  assert.equal((await w.info('node3')).sourceSystem, 'node2');
  await w.fault({ type: 'write', node: 'node2', volume: 'E', count: 10 });
  await w.clock.advance(5_000);
  assert.equal(w.world.dk.pair('node2', 'node3', 'E')?.lastResyncDone?.total ?? 0, 0, 'nothing to resend: node3 had every write');
  await w.fault({ type: 'nodeRestore', node: 'node1' });
  assert.equal((await w.info('node1')).role, 'target');
  await w.clock.advance(5_000);
  assert.deepEqual(await w.states('node2'), [
    [IP.node1, MirrorState.Mirroring],
    [IP.node3, MirrorState.Mirroring],
  ]);
  assert.ok((w.world.dk.pair('node2', 'node1', 'E')?.lastResyncDone?.total ?? 0) < 100, 'partial resync of node1');
  const seen = await w.inspect();
  assert.deepEqual([seen.lostAcknowledgedWrites, seen.splitBrains], [[], []]);
  assert.ok(same(w, 'node2', 'node1') && same(w, 'node2', 'node3'));
});

test('a third target that was down when the source failed over joins the new source when it boots', async () => {
  const w = await multi();
  await w.fault({ type: 'nodeCrash', node: 'node3' });
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 5, block: 77 });
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  await settle(w.clock, w.drv.node2.switchoverMirror('E', false, o(2)), 500);
  await w.fault({ type: 'nodeRestore', node: 'node3' });
  await w.clock.advance(5_000);
  assert.equal((await w.info('node3')).sourceSystem, 'node2');
  assert.deepEqual((await w.states('node2'))[1], [IP.node3, MirrorState.Mirroring]);
  assert.equal(w.world.dk.view('node3', 'E').blocks.get(77), w.world.dk.view('node2', 'E').blocks.get(77));
});

test('asynchronous queues are per target: a paused pair holds none, the other drains', async () => {
  const w = await multi('Asynchronous');
  await w.fault({ type: 'replicationPartition', node: 'node1', peer: 'node3' });
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 4, block: 5 });
  const i = await w.info('node1');
  assert.deepEqual(
    i.targets.map((t) => [t.state, t.queuedWrites]),
    [
      [MirrorState.Mirroring, 4],
      [MirrorState.Paused, 0],
    ],
  );
  await w.clock.advance(2_000);
  assert.equal((await w.info('node1')).targets[0]?.queuedWrites, 0);
});
