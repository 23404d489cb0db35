/**
 * The agent's version in its node lease (issue 18 item 4, `winha version`): written when the holder takes or
 * renews the lease, kept across renewals, seen by another connection and after a restart (file://); a lease
 * written without one (an older agent, a group lease) reads without it; another holder's take drops it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { openMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { fileHarness } from './file-harness.js';

async function roundTrip(connect: () => Promise<Store>, advance: (ms: number) => Promise<void>): Promise<void> {
  const agent = await connect();
  const reader = await connect();
  await agent.leases.acquire('node.default.prod.node1', 'node1', 15);
  assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, undefined, 'an older agent: unknown');
  const taken = await agent.leases.acquire('node.default.prod.node1', 'node1', 15, '1.4.0');
  assert.equal(taken.lease.holderVersion, '1.4.0');
  await agent.leases.renew('node.default.prod.node1', 'node1', taken.lease.epoch);
  assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, '1.4.0', 'kept across a renewal');
  await agent.leases.acquire('node.default.prod.node1', 'node1', 15, '1.5.0');
  assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, '1.5.0', 'an upgraded agent says so at its next beat');
  // Another holder takes the lease after it expired: the record no longer speaks for the old holder's software.
  await reader.leases.get('node.default.prod.node1');
  await advance(16_000);
  const other = await reader.leases.acquire('node.default.prod.node1', 'intruder', 15);
  assert.equal(other.acquired, true);
  assert.equal(other.lease.holderVersion, undefined);
}

describe('holderVersion of a lease', () => {
  it('memory://', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const name = `holder-version-${process.pid}`;
    const stores: Store[] = [];
    try {
      await roundTrip(
        async () => {
          const s = openMemoryStore(name, { clock });
          stores.push(s);
          return s;
        },
        (ms) => clock.advance(ms),
      );
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('file:// (and read again by a fresh process)', async () => {
    const h = await fileHarness(100);
    try {
      await roundTrip(
        () => h.connect(),
        (ms) => h.advance(ms),
      );
      const w = await h.connect();
      await w.leases.acquire('node.default.prod.node2', 'node2', 15, '2.0.0-rc.1');
      const fresh = await h.connect();
      assert.equal((await fresh.leases.get('node.default.prod.node2'))?.holderVersion, '2.0.0-rc.1');
    } finally {
      await h.cleanup();
    }
  });
});
