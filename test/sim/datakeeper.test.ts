import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MirrorState, isDriverError, type MirrorMode } from '../../src/drivers/types.js';
import { settle, settleError } from '../helpers/virtual-time.js';
import { NODE1_IP, NODE2_IP, o, twoNodeWorld } from './two-node-world.js';

async function mirrored(mode: MirrorMode = 'Synchronous', seed = 1) {
  const w = twoNodeWorld(seed);
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode }, o()));
  await w.clock.advance(5_000);
  return w;
}

const stateOf = async (w: Awaited<ReturnType<typeof mirrored>>, node: 'node1' | 'node2') =>
  (await settle(w.clock, w[node].getMirrorInfo('E', o()))).targets[0]?.state;

test('CREATEMIRROR starts a full resync with visible progress, then reaches Mirroring', async () => {
  const w = twoNodeWorld();
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
  await w.clock.advance(1_100);
  const during = await settle(w.clock, w.node1.getMirrorInfo('E', o()));
  assert.equal(during.role, 'source');
  assert.equal(during.targets[0]?.state, MirrorState.Resync);
  const p = during.targets[0]?.resync;
  assert.ok(p && p.fraction > 0 && p.fraction < 1, `progress ${JSON.stringify(p)}`);
  assert.equal(p?.numberOfBlocks, 8192);
  await w.clock.advance(3_000);
  const after = await settle(w.clock, w.node2.getMirrorInfo('E', o()));
  assert.deepEqual([after.role, after.sourceSystem, after.targets[0]?.state], ['target', 'node1', MirrorState.Mirroring]);
});

test('the target volume is locked: client writes there are refused', async () => {
  const w = await mirrored();
  const r = await w.fault({ type: 'write', node: 'node2', volume: 'E' });
  assert.equal(r.writes?.[0]?.refusedBecause, 'VolumeLocked');
});

test('synchronous writes are acknowledged only once on the target, and survive a source crash + switchover', async () => {
  const w = await mirrored('Synchronous');
  const r = await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 20 });
  assert.ok(r.writes?.every((x) => x.accepted && x.onTarget));
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  const info = await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)), 500);
  assert.equal(info.role, 'source');
  const seen = await w.inspect();
  assert.deepEqual(seen.lostAcknowledgedWrites, []);
});

test('asynchronous writes queue: a source crash before the queue drains leaves them off the target', async () => {
  const w = await mirrored('Asynchronous');
  const r = await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 50, block: 7 });
  assert.ok(r.writes?.every((x) => x.accepted && !x.onTarget));
  const last = r.writes!.at(-1)!.id;
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  const target = w.world.dk.view('node2', 'E');
  assert.ok((target.blocks.get(7) ?? 0) < last, 'the queued tail was lost with the source');
  assert.deepEqual((await w.inspect()).lostAcknowledgedWrites, [], 'async acks promise nothing');
});

test('asynchronous queue drains to the target while Mirroring', async () => {
  const w = await mirrored('Asynchronous');
  const r = await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 10, block: 3 });
  await w.clock.advance(2_000);
  assert.equal(w.world.dk.view('node2', 'E').blocks.get(3), r.writes!.at(-1)!.id);
  assert.equal(w.world.dk.pair('node1', 'node2', 'E')!.dirty.size, 0);
});

test('pause tracks writes in the intent log; continue is a partial resync of just those blocks', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.pauseMirror('E', o()));
  assert.equal(await stateOf(w, 'node1'), MirrorState.Paused);
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 5, block: 11 });
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 5, block: 12 });
  await settle(w.clock, w.node1.continueMirror('E', o()));
  const p = (await settle(w.clock, w.node1.getMirrorInfo('E', o()))).targets[0];
  assert.equal(p?.state, MirrorState.ResyncPending);
  assert.equal(p?.resync?.dirtyBlocks, 2, 'only the two changed blocks');
  await w.clock.advance(2_000);
  assert.equal(await stateOf(w, 'node2'), MirrorState.Mirroring);
});

test('a user pause is not resumed automatically; a pause from lost contact is', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.pauseMirror('E', o()));
  await w.clock.advance(10_000);
  assert.equal(await stateOf(w, 'node1'), MirrorState.Paused);
  await settle(w.clock, w.node1.continueMirror('E', o()));
  await w.clock.advance(2_000);
  await w.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
  assert.equal(await stateOf(w, 'node1'), MirrorState.Paused);
  await w.fault({ type: 'replicationHeal', node: 'node1', peer: 'node2' });
  await w.clock.advance(3_000);
  assert.equal(await stateOf(w, 'node1'), MirrorState.Mirroring);
});

test('break then continue is a full resync (every used block)', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.breakMirror('E', o()));
  assert.equal(await stateOf(w, 'node2'), MirrorState.Broken);
  await settle(w.clock, w.node1.continueMirror('E', o()));
  const p = (await settle(w.clock, w.node1.getMirrorInfo('E', o()))).targets[0]?.resync;
  assert.ok(p && p.dirtyBlocks >= 2048, `dirty ${p?.dirtyBlocks}`);
});

test('switchover is refused unless Mirroring (svc 187); force overrides', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.pauseMirror('E', o()));
  const err = await settleError(w.clock, w.node2.switchoverMirror('E', false, o()));
  assert.ok(isDriverError(err, 'MirrorNotMirroring'), String(err));
  const forced = await settle(w.clock, w.node2.switchoverMirror('E', true, o(2)), 500);
  assert.equal(forced.role, 'source');
});

test('a planned switchover swaps roles quickly; the old source becomes a locked target', async () => {
  const w = await mirrored();
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 3 });
  const info = await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)));
  assert.equal(info.role, 'source');
  const old = await settle(w.clock, w.node1.getMirrorInfo('E', o()));
  assert.deepEqual([old.role, old.sourceSystem], ['target', 'node2']);
  assert.equal(w.world.dk.view('node1', 'E').locked, true);
  const err = await settleError(w.clock, w.node1.pauseMirror('E', o()));
  assert.ok(isDriverError(err, 'MirrorWrongRole'), 'PAUSEMIRROR on a target is refused');
});

test('switchover to a target whose source is unreachable waits ~35 s (it tries the source first)', async () => {
  const w = await mirrored();
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  const t0 = w.clock.now();
  await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)), 500);
  assert.ok(w.clock.now() - t0 >= 35_000);
});

test('the old source returning after a failover becomes a target and is resynced partially', async () => {
  const w = await mirrored('Asynchronous');
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 30, block: 100 });
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)), 500);
  await w.fault({ type: 'write', node: 'node2', volume: 'E', count: 1, block: 200 });
  await w.fault({ type: 'nodeRestore', node: 'node1' });
  const back = await settle(w.clock, w.node1.getMirrorInfo('E', o()));
  assert.equal(back.role, 'target');
  await w.clock.advance(5_000);
  assert.equal(await stateOf(w, 'node2'), MirrorState.Mirroring);
  const n1 = w.world.dk.view('node1', 'E');
  const n2 = w.world.dk.view('node2', 'E');
  assert.equal(n1.blocks.get(100), n2.blocks.get(100), "the old source's unsent block was overwritten");
  assert.equal(n1.blocks.get(200), n2.blocks.get(200));
});

test('a switchover dies with the host that asked for it, even when the host is back before it would have completed', async () => {
  const w = await mirrored();
  void w.node2.switchoverMirror('E', false, o(2)).catch(() => undefined);
  await w.clock.advance(10);
  await w.fault({ type: 'nodeCrash', node: 'node2' });
  await w.fault({ type: 'nodeRestore', node: 'node2' });
  await w.clock.advance(60_000);
  assert.equal((await settle(w.clock, w.node2.getMirrorInfo('E', o()))).role, 'target');
  assert.equal((await settle(w.clock, w.node1.getMirrorInfo('E', o()))).role, 'source');
});

test('the old source that came back as target can be switched back to: each side then names the other as its target', async () => {
  const w = await mirrored();
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)), 500);
  await w.fault({ type: 'nodeRestore', node: 'node1' });
  await w.clock.advance(5_000);
  assert.deepEqual(
    (await settle(w.clock, w.node2.getMirrorInfo('E', o()))).targets.map((t) => [t.targetAddress, t.state]),
    [[NODE1_IP, MirrorState.Mirroring]],
  );
  await settle(w.clock, w.node1.switchoverMirror('E', false, o(3)), 500);
  const n1 = await settle(w.clock, w.node1.getMirrorInfo('E', o()));
  assert.equal(n1.role, 'source');
  assert.deepEqual(
    n1.targets.map((t) => [t.targetAddress, t.state]),
    [[NODE2_IP, MirrorState.Mirroring]],
    'node1 reports node2 as its target, not itself',
  );
});

test('split brain: both sides source after a partition heals; nothing auto-resolves; PREPARETOBECOMETARGET + CONTINUE does', async () => {
  const w = await mirrored();
  await w.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
  await settle(w.clock, w.node2.switchoverMirror('E', false, o(2)), 500);
  await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 1, block: 42 });
  await w.fault({ type: 'replicationHeal', node: 'node1', peer: 'node2' });
  await w.clock.advance(10_000);
  const roles = [
    (await settle(w.clock, w.node1.getMirrorInfo('E', o()))).role,
    (await settle(w.clock, w.node2.getMirrorInfo('E', o()))).role,
  ];
  assert.deepEqual(roles, ['source', 'source']);
  assert.deepEqual(
    (await w.inspect()).splitBrains.map((s) => s.sources),
    [['node1', 'node2']],
  );
  // The operator keeps node2: node1's block 42 will be overwritten.
  await settle(w.clock, w.node1.prepareToBecomeTarget('E', o(3)));
  await settle(w.clock, w.node2.continueMirror('E', o(3)));
  await w.clock.advance(5_000);
  assert.equal((await settle(w.clock, w.node1.getMirrorInfo('E', o()))).role, 'target');
  assert.equal(await stateOf(w, 'node2'), MirrorState.Mirroring);
  assert.equal(w.world.dk.view('node1', 'E').blocks.get(42), w.world.dk.view('node2', 'E').blocks.get(42));
});

test('a target cannot be unlocked during a resync; LOCKVOLUME fails while a started site uses the volume', async () => {
  const w = twoNodeWorld();
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
  await w.clock.advance(600);
  const busy = await settleError(w.clock, w.node2.unlockVolume('E', o()));
  assert.ok(isDriverError(busy, 'VolumeBusy'));
  await w.clock.advance(5_000);
  await settle(w.clock, w.node1.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(
    w.clock,
    w.node1.ensureSite(
      {
        name: 's',
        bindings: [{ protocol: 'http', address: '10.0.0.50', port: 80, hostHeader: '' }],
        physicalPath: 'E:\\s',
        applicationPool: 's',
        serverAutoStart: false,
      },
      o(),
    ),
  );
  await settle(w.clock, w.node1.startSite('s', o()));
  const locked = await settleError(w.clock, w.node1.lockVolume('E', o()));
  assert.ok(isDriverError(locked, 'VolumeBusy'));
});

test('a target rebooted while unlocked needs a full resync when it returns', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.pauseMirror('E', o()));
  await settle(w.clock, w.node2.unlockVolume('E', o()));
  await w.fault({ type: 'nodeCrash', node: 'node2' });
  await w.fault({ type: 'nodeRestore', node: 'node2' });
  await settle(w.clock, w.node1.continueMirror('E', o()));
  const p = (await settle(w.clock, w.node1.getMirrorInfo('E', o()))).targets[0]?.resync;
  assert.ok(p && p.dirtyBlocks >= 2048, `full resync expected, dirty ${p?.dirtyBlocks}`);
});

test('deleteMirror from the source removes both sides and unlocks the target', async () => {
  const w = await mirrored();
  await settle(w.clock, w.node1.deleteMirror('E', o()));
  const t = await settle(w.clock, w.node2.getMirrorInfo('E', o()));
  assert.deepEqual(t, { volume: 'E', role: 'none', targets: [] });
  assert.equal(w.world.dk.view('node2', 'E').locked, false);
});

test('a volume letter with a colon is refused (EMCMD parses only the first character)', async () => {
  const w = twoNodeWorld();
  const err = await settleError(w.clock, w.node1.getMirrorInfo('E:', o()));
  assert.ok(isDriverError(err, 'InvalidArgument'));
});
