/**
 * Child process for the multi-process test: increments spec.count of one
 * object N times with read + compare-and-swap + retry, and prints JSON with
 * the resourceVersion each of its successful swaps started from.
 *
 *   node counter-worker.js DIR INCREMENTS
 */
import { FileStore, isStoreError } from '../../../src/store/index.js';

async function main(): Promise<void> {
  const [dir, n] = process.argv.slice(2);
  if (!dir || !n) throw new Error('usage: counter-worker DIR INCREMENTS');
  const store = await FileStore.open(dir);
  const wins: { from: string; count: number }[] = [];
  let conflicts = 0;
  for (let i = 0; i < Number(n); i++) {
    for (;;) {
      const o = await store.objects.get('Counter', 'default', 'c');
      const count = (o.spec as { count: number }).count + 1;
      try {
        await store.objects.update({ ...o, spec: { count } });
        wins.push({ from: o.metadata.resourceVersion, count });
        break;
      } catch (e) {
        if (!isStoreError(e, 'Conflict')) throw e;
        conflicts++;
      }
    }
  }
  await store.close();
  process.stdout.write(JSON.stringify({ pid: process.pid, wins, conflicts }));
}

main().catch((e: unknown) => {
  process.stderr.write(`counter-worker: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
