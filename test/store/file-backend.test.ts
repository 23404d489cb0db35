/**
 * What only the file backend has: several OS processes on one directory, the
 * lock, crash recovery, and the on-disk layout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { DirLock } from '../../src/store/file/lock.js';
import { FileStore, openStore, fileUrlPath, resolveStoreUrl, isStoreError } from '../../src/store/index.js';
import { encodeSegment, Layout } from '../../src/store/file/layout.js';
import { tempStoreDir } from './file-harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const T = { timeout: 120_000 };

function runWorker(dir: string, increments: number): Promise<{ pid: number; wins: { from: string; count: number }[]; conflicts: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'helpers', 'counter-worker.js'), dir, String(increments)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempStoreDir();
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe('file:// backend', () => {
  it('several processes incrementing one counter with CAS lose no update; one winner per round', T, () =>
    withDir(async (dir) => {
      const store = await FileStore.open(dir);
      await store.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'c' }, spec: { count: 0 } });
      const processes = 4;
      const increments = 40;
      const results = await Promise.all(Array.from({ length: processes }, () => runWorker(dir, increments)));
      const final = await store.objects.get('Counter', 'default', 'c');
      assert.equal((final.spec as { count: number }).count, processes * increments, 'no lost update');
      const wins = results.flatMap((r) => r.wins);
      assert.equal(wins.length, processes * increments);
      assert.equal(new Set(wins.map((w) => w.from)).size, wins.length, 'each resourceVersion was swapped from exactly once');
      assert.deepEqual(
        wins.map((w) => w.count).sort((a, b) => a - b),
        Array.from({ length: processes * increments }, (_, i) => i + 1),
      );
      assert.equal(final.metadata.generation, processes * increments + 1);
      await store.close();
    }),
  );

  it('a watch in this process sees every increment made by other processes, in order', T, () =>
    withDir(async (dir) => {
      const store = await FileStore.open(dir, { pollIntervalMs: 100 });
      const c = await store.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'c' }, spec: { count: 0 } });
      const w = store.objects.watch('Counter', { resourceVersion: c.metadata.resourceVersion });
      const done = Promise.all([runWorker(dir, 15), runWorker(dir, 15)]);
      const counts: number[] = [];
      for await (const ev of w) {
        if (ev.type !== 'MODIFIED') continue;
        counts.push((ev.object.spec as { count: number }).count);
        if (counts.length === 30) break;
      }
      await done;
      assert.deepEqual(
        counts,
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      await store.close();
    }),
  );

  it('ignores a lock file left by a dead process (the lock dies with its holder), but waits for a live holder', T, () =>
    withDir(async (dir) => {
      const store = await FileStore.open(dir);
      await store.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'z' }, spec: { count: 0 } });
      const layout = new Layout(dir);
      const dead = spawn(process.execPath, ['-e', '']);
      const deadPid = await new Promise<number>((r) => dead.on('exit', () => r(dead.pid!)));
      await fs.writeFile(layout.lock, JSON.stringify({ pid: deadPid, host: os.hostname(), token: 'stale' }));
      await store.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'a' }, spec: { count: 0 } });

      // A live holder: a writer with a short timeout gives up with Unavailable naming it.
      const holder = new DirLock(layout.lock, new SystemClock());
      await holder.acquire();
      const impatient = await FileStore.open(dir, { lockTimeoutMs: 50 });
      const e = await impatient.objects
        .create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'b' } })
        .catch((err: unknown) => err);
      assert.ok(isStoreError(e, 'Unavailable'), String(e));
      assert.match((e as Error).message, new RegExp(`pid ${process.pid}`));
      await holder.release();
      await impatient.close();
      await store.close();
    }),
  );

  it('finishes a write whose journal entry was committed before a crash', T, () =>
    withDir(async (dir) => {
      const a = await FileStore.open(dir);
      const o = await a.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'c' }, spec: { count: 0 } });
      await a.close();
      // Simulate a crash after the commit point: journal entry written, object file and HEAD not.
      const layout = new Layout(dir);
      const rev = Number(o.metadata.resourceVersion) + 1;
      const next = { ...o, metadata: { ...o.metadata, resourceVersion: String(rev), generation: 2 }, spec: { count: 1 } };
      const change = { resource: 'object', revision: rev, type: 'MODIFIED', object: next, prevLabels: {} };
      await fs.writeFile(layout.journalFile(rev), JSON.stringify({ first: rev, last: rev, changes: [change] }));
      await fs.writeFile(`${layout.objectFile('Counter', 'default', 'c')}.99999.1.tmp`, '{"half":');
      const b = await FileStore.open(dir);
      assert.deepEqual((await b.objects.get('Counter', 'default', 'c')).spec, { count: 1 });
      const onDisk = JSON.parse(await fs.readFile(layout.objectFile('Counter', 'default', 'c'), 'utf8'));
      assert.equal(onDisk.metadata.resourceVersion, String(rev));
      assert.deepEqual(JSON.parse(await fs.readFile(layout.head, 'utf8')), { revision: rev });
      const leftovers = (await fs.readdir(path.dirname(layout.objectFile('Counter', 'default', 'c')))).filter((f) => f.endsWith('.tmp'));
      assert.deepEqual(leftovers, []);
      await b.close();
    }),
  );

  it('keeps the journal bounded', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir, { historyLimit: 10 });
      for (let i = 0; i < 60; i++) {
        await s.objects.batch([{ op: 'create', object: { apiVersion: 'v1', kind: 'Thing', metadata: { name: `t${i}` } } }]);
      }
      const files = await fs.readdir(new Layout(dir).journal);
      assert.ok(files.length <= 10 + 10 / 4 + 1, `${files.length} journal files`);
      await s.close();
    }),
  );

  it('lays objects out one file each, with names safe on case-insensitive file systems', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir, { clock: new VirtualClock() });
      await s.objects.create({ apiVersion: 'v1', kind: 'IISSite', metadata: { name: 'Web', namespace: 'prod' }, spec: {} });
      await s.objects.create({ apiVersion: 'v1', kind: 'IISSite', metadata: { name: 'web', namespace: 'prod' }, spec: {} });
      const files = (await fs.readdir(path.join(dir, 'objects', 'iissite', 'prod'))).sort();
      assert.deepEqual(files, ['%57eb.json', 'web.json']);
      assert.equal(encodeSegment('con'), '%63on');
      assert.equal(encodeSegment('a.b.'), 'a.b%2E');
      await s.close();
    }),
  );

  it('openStore reads WINHA_STORE and defaults to file://./.winha', T, async () => {
    assert.equal(resolveStoreUrl(undefined, {}), 'file://./.winha');
    assert.equal(resolveStoreUrl(undefined, { WINHA_STORE: 'memory://x' }), 'memory://x');
    assert.equal(resolveStoreUrl('file:///tmp/a', { WINHA_STORE: 'memory://x' }), 'file:///tmp/a');
    assert.equal(fileUrlPath('file://./.winha', '/srv'), '/srv/.winha');
    assert.equal(fileUrlPath('file:///var/lib/winha', '/srv'), '/var/lib/winha');
    assert.equal(fileUrlPath('file:///C:/ProgramData/winha'), 'C:/ProgramData/winha');
    await withDir(async (dir) => {
      const s = await openStore(undefined, { env: { WINHA_STORE: `file://${dir}` } });
      assert.ok(s instanceof FileStore);
      await s.close();
    });
    const m = await openStore('memory://');
    assert.equal(m.url, 'memory://');
    await assert.rejects(openStore('kubernetes://'), (e: unknown) => isStoreError(e, 'Invalid'));
    await assert.rejects(openStore('etcd://h1'), (e: unknown) => isStoreError(e, 'Invalid'), 'etcd:// needs HOST:PORT');
    await assert.rejects(openStore('ftp://x'), (e: unknown) => isStoreError(e, 'Invalid'));
  });
});
