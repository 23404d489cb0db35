/** The work queue's workers option (MaxConcurrentReconciles): default one at a time; several keys at once, never one key twice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { WorkQueue } from '../../src/controller/work-queue.js';

async function run(workers: number | undefined) {
  const clock = new VirtualClock();
  let now = 0;
  let max = 0;
  const busy = new Set<string>();
  const log: string[] = [];
  const q = new WorkQueue(
    clock,
    async (k) => {
      assert.ok(!busy.has(k), `key ${k} processed twice at once`);
      busy.add(k);
      now++;
      max = Math.max(max, now);
      log.push(`start ${k}`);
      await clock.sleep(1000);
      busy.delete(k);
      now--;
    },
    () => undefined,
    workers === undefined ? {} : { workers },
  );
  for (const k of ['a', 'b', 'c', 'a']) q.add(k);
  await clock.advance(100);
  q.add('a'); // while a is processing: once more afterwards
  await clock.advance(10_000);
  return { max, log, elapsed: clock.now() };
}

test('work queue: one key at a time by default; with workers, several keys at once, never the same key twice', async () => {
  const one = await run(undefined);
  assert.equal(one.max, 1);
  assert.deepEqual(one.log, ['start a', 'start b', 'start c', 'start a']);
  const three = await run(3);
  assert.equal(three.max, 3);
  assert.deepEqual(three.log, ['start a', 'start b', 'start c', 'start a']);
});
