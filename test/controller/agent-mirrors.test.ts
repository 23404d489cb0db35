/**
 * Acceptance rows M3, M4, M5, M6, M7 with real agents (memory store,
 * simulated hosts and DataKeeper, virtual time): data safety beats priority.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, cond, ready, mirroring, VIP, type Harness } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
const SWIFT_DK = { switchoverUnreachableMs: 500 };

const volume = async (h: Harness, host: string) => (await h.inspect()).volumes.find((v) => v.host === host && v.volume === 'E')!;
const switchoverPending = async (h: Harness) => !!(await h.group()).metadata.annotations?.['winha.io/switchover'];

/**
 * Make a split brain the way DataKeeper's FAQ says it happens (docs/spec/seed003-dk-guide-troubleshooting.md §15):
 * cut the replication link, switch over to the target (forced: its mirror is Paused), let the old source write,
 * reconnect. Returns the blocks each side wrote.
 */
async function splitBrain(h: Harness): Promise<{ node1Block: number; node2Block: number }> {
  await ready(h, 'node1');
  await mirroring(h);
  await h.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
  await h.until(async () => cond(await h.group(), 'MirrorInSync')?.['reason'] === 'MirrorNotInSync', 10_000);
  await h.switchover('node2', true, 'make-split');
  await ready(h, 'node2', 30_000);
  await h.until(async () => !(await switchoverPending(h)), 10_000);
  // Both sides change block 7 while they cannot talk.
  const w1 = await h.fault({ type: 'write', node: 'node1', volume: 'E', count: 1, block: 7 });
  const w2 = await h.fault({ type: 'write', node: 'node2', volume: 'E', count: 1, block: 8 });
  assert.ok(w1.writes![0]!.accepted && w2.writes![0]!.accepted, 'both sides are writable sources');
  await h.fault({ type: 'replicationHeal', node: 'node1', peer: 'node2' });
  await h.run(3000);
  return { node1Block: 7, node2Block: 8 };
}

/** M1 then M5's start: node1 serves in sync, crashes, node2 takes over; `meanwhile` runs; node1's host is restored. */
async function crashNode1AndBringItBack(h: Harness, meanwhile?: () => Promise<unknown>): Promise<void> {
  await ready(h, 'node1');
  await mirroring(h);
  await h.fault({ type: 'nodeCrash', node: 'node1' });
  await ready(h, 'node2', 30_000);
  await meanwhile?.();
  await h.fault({ type: 'nodeRestore', node: 'node1' });
}

async function assertSplitBrainReported(h: Harness): Promise<void> {
  assert.ok((await h.inspect()).splitBrains.length > 0, 'the world has a split brain');
  for (const n of ['node1', 'node2'])
    assert.ok(await h.hasEvent((e) => e['reason'] === 'SplitBrain' && e['node'] === n), `${n} reports the split brain`);
  const g = await h.group();
  assert.equal(cond(g, 'MirrorInSync')?.['reason'], 'SplitBrain');
  assert.equal(cond(g, 'PromotionBlocked')?.['reason'], 'SplitBrain');
  assert.equal(cond(g, 'PromotionBlocked')?.['status'], 'True');
}

describe('agents: mirrors and data safety (virtual time)', () => {
  it('M3: replication link cut: node1 keeps serving, Paused reported, node2 not promotable; on heal it resyncs to Mirroring', async () => {
    const h = await harness({ timing: FAST });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.fault({ type: 'replicationPartition', node: 'node1', peer: 'node2' });
      await h.until(async () => (await h.mirror()).status?.['state'] === 'Paused', 10_000);
      await h.run(10_000);
      assert.deepEqual(await h.serving(), ['node1']);
      const g = await h.group();
      assert.equal(cond(g, 'Ready')?.['status'], 'True', 'still serving');
      assert.equal(cond(g, 'MirrorInSync')?.['status'], 'False');
      assert.equal(cond(g, 'PromotionBlocked')?.['reason'], 'StandbyNotPromotable');
      assert.match(cond(g, 'PromotionBlocked')?.['message'], /node2/);
      assert.equal(cond(g, 'Degraded')?.['status'], 'True');
      assert.deepEqual(
        ((await h.mirror()).status?.['targets'] as any[]).map((t) => `${t.name}:${t.state}`),
        ['node2:4'],
      );
      await h.fault({ type: 'replicationHeal', node: 'node1', peer: 'node2' });
      await mirroring(h, 60_000);
      assert.equal((await h.mirror()).status?.['state'], 'Mirroring');
      assert.equal(cond(await h.group(), 'PromotionBlocked')?.['reason'], 'None');
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('M4: split brain: both report it, nothing moves; switchover --to node2 --force keeps node2, node1 prepares, node2 continues; node1 changes discarded', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      const { node1Block } = await splitBrain(h);
      await h.until(async () => (await h.events()).filter((e) => e['reason'] === 'SplitBrain').length >= 2, 10_000);
      await h.run(10_000);
      await assertSplitBrainReported(h);
      assert.deepEqual(await h.serving(), ['node2'], 'not moved automatically');
      assert.equal((await volume(h, 'node1')).role, 'source', 'nobody resolved it on its own');
      await h.switchover('node2', true, 'pick-node2');
      await h.until(async () => (await volume(h, 'node1')).role === 'target', 20_000);
      await mirroring(h, 60_000);
      await h.until(async () => !(await switchoverPending(h)), 10_000);
      const prepared = (await h.events()).find((e) => e['reason'] === 'SplitBrainResolved' && e['node'] === 'node1');
      assert.ok(prepared && /discarded/.test(prepared['message']), 'node1 says its changes are discarded');
      assert.ok(await h.hasEvent((e) => e['reason'] === 'SplitBrainResolved' && e['node'] === 'node2' && /overwritten/.test(e['message'])));
      const one = h.world.dk.view('node1', 'E');
      const two = h.world.dk.view('node2', 'E');
      assert.equal(one.blocks.get(node1Block), two.blocks.get(node1Block), "node1's write to its block is overwritten by node2's copy");
      assert.deepEqual(await h.serving(), ['node2']);
      const g = await h.group();
      assert.equal(cond(g, 'MirrorInSync')?.['status'], 'True');
      assert.equal(cond(g, 'PromotionBlocked')?.['status'], 'False');
    } finally {
      await h.stopAll();
    }
  });

  it('M4: switchover --to node1 --force picks the side that does not serve: node2 hands over and prepares, node1 serves and continues; node2 changes discarded', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      const { node2Block } = await splitBrain(h);
      await h.until(async () => (await h.events()).filter((e) => e['reason'] === 'SplitBrain').length >= 2, 10_000);
      await assertSplitBrainReported(h);
      await h.switchover('node1', true, 'pick-node1');
      await ready(h, 'node1', 30_000);
      await h.until(async () => (await volume(h, 'node2')).role === 'target', 20_000);
      await mirroring(h, 60_000);
      await h.until(async () => !(await switchoverPending(h)), 10_000);
      assert.ok(await h.hasEvent((e) => e['reason'] === 'SplitBrainResolved' && e['node'] === 'node2' && /discarded/.test(e['message'])));
      const one = h.world.dk.view('node1', 'E');
      const two = h.world.dk.view('node2', 'E');
      assert.equal(two.blocks.get(node2Block), one.blocks.get(node2Block), "node2's write is overwritten by node1's copy");
      assert.deepEqual(await h.serving(), ['node1']);
      assert.deepEqual((await h.inspect()).addressHolders[VIP], ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('M5: node1 returns after M1: it becomes target, resyncs to Mirroring; web stays on node2 (Intelligent)', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      await crashNode1AndBringItBack(h, () => h.fault({ type: 'write', node: 'node2', volume: 'E', count: 20 }));
      await h.until(async () => (await volume(h, 'node1')).role === 'target', 20_000);
      await mirroring(h, 60_000);
      await h.run(20_000);
      assert.deepEqual(await h.serving(), ['node2']);
      const g = await h.group();
      assert.equal(g.status?.['activeNode'], 'node2');
      assert.deepEqual(
        ((await h.mirror()).status?.['targets'] as any[]).map((t) => `${t.name}:${t.state}`),
        ['node1:1'],
      );
      assert.equal(cond(g, 'Degraded')?.['status'], 'False');
      assert.deepEqual((await h.inspect()).lostAcknowledgedWrites, []);
    } finally {
      await h.stopAll();
    }
  });

  it('M6: switchback Automatic: web moves back to node1 only after its mirror is Mirroring again', async () => {
    const h = await harness({ timing: FAST, switchback: 'Automatic', worldTiming: { ...SWIFT_DK, resyncBlocksPerSecond: 20 } });
    try {
      await ready(h, 'node1', 300_000);
      await mirroring(h);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await ready(h, 'node2', 30_000);
      await h.fault({ type: 'write', node: 'node2', volume: 'E', count: 200 });
      await h.fault({ type: 'nodeRestore', node: 'node1' });
      let mirroringAt: number | undefined;
      let backAt: number | undefined;
      let resyncStartedAt: number | undefined;
      await h.until(async () => {
        const now = h.clock.now();
        // node2's mirror to node1 goes when node1 becomes source again: read its resync while it is there.
        resyncStartedAt = h.world.dk.pair('node2', 'node1', 'E')?.lastResyncDone?.startedAt ?? resyncStartedAt;
        if (mirroringAt === undefined && (await volume(h, 'node1')).state === 1 && (await volume(h, 'node1')).role === 'target')
          mirroringAt = now;
        if (backAt === undefined && (await h.serving()).includes('node1')) backAt = now;
        return backAt !== undefined;
      }, 120_000);
      assert.ok(mirroringAt !== undefined && backAt! >= mirroringAt, `moved back at ${backAt}, Mirroring at ${mirroringAt}`);
      assert.ok(resyncStartedAt !== undefined && backAt! - resyncStartedAt > 5000, 'it waited through the resync');
      await ready(h, 'node1', 30_000);
      assert.equal((await h.group()).status?.['lastFailover']?.['reason'], 'Switchback');
      assert.deepEqual((await h.inspect()).lostAcknowledgedWrites, []);
    } finally {
      await h.stopAll();
    }
  });

  it('M7: a switchover while resyncing is refused with the reason; with --force it goes through with a data-loss event', async () => {
    const h = await harness({ timing: FAST, worldTiming: { ...SWIFT_DK, resyncBlocksPerSecond: 20 } });
    try {
      await ready(h, 'node1', 300_000);
      assert.notEqual((await volume(h, 'node2')).state, 1, 'the initial resync is still running');
      await h.switchover('node2', false, 'plain');
      await h.until(async () => h.hasEvent((e) => e['reason'] === 'SwitchoverRefused'), 10_000);
      await h.until(async () => !(await switchoverPending(h)), 10_000);
      const refused = (await h.events()).find((e) => e['reason'] === 'SwitchoverRefused')!;
      assert.match(refused['message'], /Resync|not Mirroring/);
      assert.match(refused['message'], /--force/);
      await h.run(5000);
      assert.deepEqual(await h.serving(), ['node1'], 'nothing moved');
      await h.switchover('node2', true, 'forced');
      await ready(h, 'node2', 60_000);
      assert.ok(await h.hasEvent((e) => e['reason'] === 'ForcedPromotion' && /may be lost/.test(e['message'])));
      await h.until(async () => !(await switchoverPending(h)), 10_000);
    } finally {
      await h.stopAll();
    }
  });

  // The Kubernetes end-to-end sequence in virtual time: after the heal the mirror is in sync again (the returned
  // old source's DataKeeper addresses swapped with its role, so the new source names the right target).
  it('the cut holder fences, the other takes over, and after the heal the mirror is in sync again', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      await crashNode1AndBringItBack(h);
      await mirroring(h, 60_000);
      h.cutStore('node2', 'silent');
      await h.until(async () => (await h.serving()).join() === 'node1', 30_000);
      await ready(h, 'node1', 30_000);
      h.cutStore('node2', false);
      await h
        .until(async () => cond(await h.group(), 'MirrorInSync')?.['status'] === 'True', 60_000)
        .catch(async (e: Error) => {
          throw new Error(
            `${e.message}\n${JSON.stringify((await h.group()).status)}\n${JSON.stringify((await h.mirror()).status)}\n${JSON.stringify((await h.inspect()).volumes)}\n${h.logs.slice(-30).join('\n')}`,
          );
        });
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });

  it('M1 with a store that refuses Mirror status writes for a while: the new source is not banned, and it serves only once its source role is on record', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      h.failStatusWrites('node2', 'Mirror', true);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await h.until(async () => (await volume(h, 'node2')).role === 'source', 30_000);
      await h.run(5000);
      assert.deepEqual((await h.inspect()).addressHolders[VIP] ?? [], [], 'no address while the source role is not on record');
      h.failStatusWrites('node2', 'Mirror', false);
      await ready(h, 'node2', 30_000);
      assert.equal((await h.mirror()).status?.['source'], 'node2');
      assert.ok(!(await h.hasEvent((e) => e['reason'] === 'Banned')), 'nobody banned for a store write');
      assert.deepEqual(await h.serving(), ['node2']);
    } finally {
      await h.stopAll();
    }
  });
});
