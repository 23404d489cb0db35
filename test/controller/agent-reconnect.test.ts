/**
 * The sequence of the Kubernetes end-to-end test, in virtual time: node1 crashes, node2 takes over; node1 comes
 * back as standby; node2's connection to the store goes silent → it fences, node1 takes over; the connection
 * heals → node2 stays standby and the mirror resyncs to it (MirrorInSync again).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, cond, ready, mirroring } from './agent-harness.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
const SWIFT_DK = { switchoverUnreachableMs: 2000 };

describe('agents: a holder cut from the store and reconnected (virtual time)', () => {
  it('the cut holder fences, the other takes over, and after the heal the mirror is in sync again', async () => {
    const h = await harness({ timing: FAST, worldTiming: SWIFT_DK });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.fault({ type: 'nodeCrash', node: 'node1' });
      await ready(h, 'node2', 30_000);
      await h.fault({ type: 'nodeRestore', node: 'node1' });
      await mirroring(h, 60_000);
      h.cutStore('node2', 'silent');
      await h.until(async () => (await h.serving()).join() === 'node1', 30_000);
      await ready(h, 'node1', 30_000);
      h.cutStore('node2', false);
      await h.until(async () => cond(await h.group(), 'MirrorInSync')?.['status'] === 'True', 60_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${JSON.stringify((await h.group()).status)}\n${JSON.stringify((await h.mirror()).status)}\n${JSON.stringify((await h.inspect()).volumes)}\n${h.logs.slice(-30).join('\n')}`);
      });
      assert.deepEqual(await h.serving(), ['node1']);
    } finally {
      await h.stopAll();
    }
  });
});
