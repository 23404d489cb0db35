/**
 * Agent.shutdown (issue 16, `winha agent` on a service stop): the action in flight finishes (bounded by the stop
 * timeout), no new work starts, and nothing is released or taken out of service.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, mirroring, ready, type Harness } from './agent-harness.js';
import { groupLeaseName } from '../../src/controller/agent.js';

const FAST = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

/** A harness whose node1 site start blocks until released. */
async function blockedActivation() {
  const h = await harness({ timing: FAST });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let blocked = false;
  (h.api as unknown as { before: (r: { op: string; args: any }) => Promise<void> | void }).before = (r) => {
    if (r.op === 'site.start' && r.args.host === 'node1') {
      blocked = true;
      return released;
    }
  };
  await h.until(async () => blocked, 60_000);
  return { h, release };
}

/** Begin `node`'s graceful stop; the getter answers what it returned, undefined while it waits. */
function shutdown(h: Harness, node: string, timeoutMs: number): () => boolean | undefined {
  let result: boolean | undefined;
  void h.agents
    .get(node)!
    .shutdown(timeoutMs)
    .then((r) => (result = r));
  return () => result;
}

test('shutdown waits for the action in flight, keeps renewing meanwhile, then stops without releasing', async () => {
  const { h, release } = await blockedActivation();
  try {
    const result = shutdown(h, 'node1', 15_000);
    await h.clock.advance(12_000); // longer than renewDeadline: the lease must still be renewed while finishing
    assert.equal(result(), undefined, 'shutdown returned before the action in flight finished');
    const mid = await h.admin.leases.get(groupLeaseName('default', 'web'));
    assert.equal(mid?.holder, 'node1');
    assert.ok(Date.parse(mid.renewTime) >= h.clock.now() - 2 * FAST.retryPeriodSeconds * 1000, `lease not renewed: ${mid.renewTime}`);
    release();
    await h.clock.advance(2_000);
    assert.equal(result(), true);
    assert.ok((await h.serving()).includes('node1'), 'the site start in flight completed; the site stays in service');
    const lease = await h.admin.leases.get(groupLeaseName('default', 'web'));
    assert.equal(lease?.holder, 'node1', 'a stop releases nothing');
  } finally {
    release();
    await h.stopAll();
  }
});

test('shutdown gives up waiting at the stop timeout and reports it', async () => {
  const { h, release } = await blockedActivation();
  try {
    const result = shutdown(h, 'node1', 5_000);
    await h.clock.advance(5_100);
    assert.equal(result(), false);
  } finally {
    release();
    await h.stopAll();
  }
});

test('shutdown waits for a switchover running detached from the workers, which completes', async () => {
  // The old source does not answer: DataKeeper's switchover takes 20 s here (30–40 s on real DataKeeper).
  const h = await harness({ timing: FAST, worldTiming: { switchoverUnreachableMs: 20_000 } });
  try {
    await ready(h, 'node1');
    await mirroring(h);
    await h.fault({ type: 'nodeCrash', node: 'node1' });
    await h.until(() => h.hasEvent((e) => e['reason'] === 'Failover' && e['node'] === 'node2'), 30_000);
    const result = shutdown(h, 'node2', 30_000);
    await h.clock.advance(10_000);
    assert.equal(result(), undefined, 'shutdown returned while the switchover was still running');
    await h.clock.advance(15_000);
    assert.equal(result(), true, 'shutdown returned once the switchover (and what followed it) was done');
    const v = (await h.inspect()).volumes.find((x) => x.host === 'node2' && x.volume === 'E');
    assert.equal(v?.role, 'source', 'the switchover completed');
    assert.ok(await h.hasEvent((e) => e['reason'] === 'MirrorPromoted' && e['node'] === 'node2'), 'and was recorded as such');
  } finally {
    await h.stopAll();
  }
});
