/**
 * File store benchmark: 10,000 objects created (one by one, and in batches as
 * `apply` would), listed, updated unchanged, and the cold open of the
 * directory. Prints JSON. Run: node dist/bench/store.js [count]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SystemClock } from '../src/lib/clock.js';
import { FileStore, type ObjectInput } from '../src/store/index.js';

const clock = new SystemClock();
const count = Number(process.argv[2] ?? 10_000);
const batchSize = 500;

function site(i: number): ObjectInput {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name: `site-${i}`, namespace: 'default', labels: { group: `g${i % 500}` } },
    spec: {
      group: `g${i % 500}`,
      siteName: `Site${i}`,
      service: 'Web',
      bindings: [{ protocol: 'http', address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 80, hostHeader: `site${i}.example.com` }],
      physicalPath: `E:\\sites\\site${i}`,
      applicationPool: `pool${i}`,
      management: 'Managed',
      checks: { quickCheckIntervalSeconds: 10, deepCheckIntervalSeconds: 60, deepCheck: { path: '/health', expect: 200 } },
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = clock.monotonic();
  const value = await fn();
  return { ms: Math.round((clock.monotonic() - t) * 10) / 10, value };
}

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    objects: count,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
  };
  for (const mode of ['one-by-one', 'batch'] as const) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'winha-bench-'));
    try {
      const store = await FileStore.open(dir);
      const create = await timed(async () => {
        if (mode === 'one-by-one') for (let i = 0; i < count; i++) await store.objects.create(site(i));
        else
          for (let i = 0; i < count; i += batchSize) {
            const ops = Array.from({ length: Math.min(batchSize, count - i) }, (_, k) => ({ op: 'create' as const, object: site(i + k) }));
            const r = await store.objects.batch(ops);
            if (r.some((x) => !x.ok)) throw new Error('batch create failed');
          }
      });
      const list = await timed(() => store.objects.list('IISSite'));
      if (list.value.items.length !== count) throw new Error(`listed ${list.value.items.length}`);
      const items = list.value.items;
      const revBefore = store.engine.revision;
      const unchanged = await timed(async () => {
        if (mode === 'one-by-one') for (const o of items) await store.objects.update(o);
        else
          for (let i = 0; i < count; i += batchSize) {
            await store.objects.batch(items.slice(i, i + batchSize).map((o) => ({ op: 'update' as const, object: o })));
          }
      });
      const unchangedRevisions = store.engine.revision - revBefore;
      const changed = await timed(async () => {
        for (let i = 0; i < count; i += batchSize) {
          await store.objects.batch(
            items
              .slice(i, i + batchSize)
              .map((o) => ({ op: 'update' as const, object: { ...o, spec: { ...(o.spec as object), applicationPool: 'x' } } })),
          );
        }
      });
      await store.close();
      const reopen = await timed(() => FileStore.open(dir));
      const listCold = await timed(() => reopen.value.objects.list('IISSite'));
      await reopen.value.close();
      results[mode] = {
        create: { ms: create.ms, perSecond: rate(count, create.ms) },
        list: { ms: list.ms },
        updateUnchanged: { ms: unchanged.ms, perSecond: rate(count, unchanged.ms), newRevisions: unchangedRevisions },
        updateChangedBatched: { ms: changed.ms, perSecond: rate(count, changed.ms) },
        coldOpen: { ms: reopen.ms },
        listAfterOpen: { ms: listCold.ms },
      };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  results['batchSize'] = batchSize;
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/store: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
