/**
 * Child process for the kill -9 test: CAS increments of one counter, and a
 * create every fourth write, forever; prints one JSON line per acknowledged
 * write (stdout to a pipe is synchronous on Linux, so a printed line is an
 * acknowledgement the parent holds).
 *
 *   node kill-writer.js DIR ID
 */
import { FileStore, isStoreError } from '../../../src/store/index.js';

async function main(): Promise<void> {
  const [dir, id] = process.argv.slice(2);
  if (!dir || !id) throw new Error('usage: kill-writer DIR ID');
  const store = await FileStore.open(dir, { historyLimit: 1_000_000, lockTimeoutMs: 120_000 });
  for (let i = 1; ; i++) {
    if (i % 4 === 0) {
      const name = `w${id}-${i}`;
      const o = await store.objects.create({ apiVersion: 'test/v1', kind: 'Item', metadata: { name }, spec: {} });
      process.stdout.write(`${JSON.stringify({ op: 'create', name, rev: o.metadata.resourceVersion, uid: o.metadata.uid })}\n`);
      continue;
    }
    for (;;) {
      const o = await store.objects.get('Counter', 'default', 'c');
      const count = (o.spec as { count: number }).count + 1;
      try {
        const u = await store.objects.update({ ...o, spec: { count } });
        process.stdout.write(
          `${JSON.stringify({ op: 'inc', count, rev: u.metadata.resourceVersion, from: o.metadata.resourceVersion })}\n`,
        );
        break;
      } catch (e) {
        if (!isStoreError(e, 'Conflict')) throw e;
      }
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`kill-writer: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
