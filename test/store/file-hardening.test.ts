/**
 * Issue 14 on the file store: long and Windows-reserved names, directories
 * that are not stores, damaged files, locks that must not block, disk full,
 * file modes.
 */
import assert from 'node:assert/strict';
import fsCallback, { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { FileStore, isStoreError } from '../../src/store/index.js';
import { DirLock } from '../../src/store/file/lock.js';
import { encodeSegment, Layout, MAX_RELATIVE_PATH, MAX_SEGMENT } from '../../src/store/file/layout.js';
import { tempStoreDir } from './file-harness.js';

const T = { timeout: 60_000 };
const obj = (name: string, kind = 'Thing', namespace?: string) => ({
  apiVersion: 'test/v1',
  kind,
  metadata: namespace === undefined ? { name } : { name, namespace },
  spec: { n: 1 },
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempStoreDir();
  try {
    await fn(dir);
  } finally {
    await fs.chmod(dir, 0o700).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function allFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}

describe('file:// hardening (issue 14)', () => {
  it('a 240-character name, a long lease name and a long kind are stored, read and reopened', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir, { clock: new VirtualClock() });
      const long = 'a'.repeat(240);
      await s.objects.create(obj(long));
      await s.objects.create(obj(`${long}b`, `K${'k'.repeat(250)}`, 'n'.repeat(250)));
      await s.leases.acquire(`group/${'x'.repeat(250)}`, 'n'.repeat(250), 15);
      await s.close();
      const again = await FileStore.open(dir);
      assert.equal((await again.objects.get('Thing', 'default', long)).metadata.name, long);
      assert.equal((await again.objects.list(`K${'k'.repeat(250)}`)).items.length, 1);
      assert.equal((await again.leases.get(`group/${'x'.repeat(250)}`))?.holder, 'n'.repeat(250));
      await again.close();
      for (const f of await allFiles(dir)) assert.ok(f.length <= MAX_RELATIVE_PATH, f);
    }),
  );

  it('encodes Windows device names (also with an extension) and bounds every name', () => {
    for (const n of ['nul.prod', 'aux.web', 'com1.a', 'COM1', 'lpt9.x.y', 'con', 'conin$', 'prn.']) {
      const e = encodeSegment(n);
      assert.doesNotMatch(e.split('.')[0]!, /^(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)$/i, `${n} -> ${e}`);
    }
    assert.equal(encodeSegment('nul.prod'), '%6Eul.prod');
    assert.equal(encodeSegment('web'), 'web');
    const a = encodeSegment('x'.repeat(300));
    const b = encodeSegment(`${'x'.repeat(299)}y`);
    assert.ok(a.length <= MAX_SEGMENT && b.length <= MAX_SEGMENT && a !== b);
    const L = new Layout('/s');
    assert.ok(path.relative('/s', L.objectFile('K'.repeat(300), 'N'.repeat(300), '%'.repeat(300))).length + 24 <= MAX_RELATIVE_PATH);
  });

  it('an unreadable journal entry does not stop the store from opening; the next write sets it aside', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir);
      const o = await s.objects.create(obj('a'));
      await s.close();
      const L = new Layout(dir);
      const bad = L.journalFile(Number(o.metadata.resourceVersion) + 1);
      await fs.writeFile(bad, '{"first": 2, "la');
      const again = await FileStore.open(dir);
      assert.equal((await again.objects.get('Thing', 'default', 'a')).metadata.uid, o.metadata.uid);
      await again.objects.create(obj('b'));
      assert.deepEqual((await again.objects.list('Thing')).items.map((i) => i.metadata.name).sort(), ['a', 'b']);
      await again.close();
      await fs.stat(`${bad}.bad`);
      const third = await FileStore.open(dir);
      assert.equal((await third.objects.list('Thing')).items.length, 2);
      await third.close();
    }),
  );

  it('never writes to a directory that is not a store, and refuses one that has files', T, () =>
    withDir(async (dir) => {
      const git = path.join(dir, '.git');
      await fs.mkdir(git);
      await fs.writeFile(path.join(git, 'HEAD'), 'ref: refs/heads/main\n');
      const before = await allFiles(git);
      const e = await FileStore.open(git).catch((err: unknown) => err);
      assert.ok(isStoreError(e, 'Invalid') && e.reason === 'NotAStore', String(e));
      assert.match((e as Error).message, /not a WinHA file store/);
      assert.equal(await fs.readFile(path.join(git, 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
      assert.deepEqual(await allFiles(git), before);

      // Reading a store that does not exist yet creates nothing; the first write does.
      const fresh = path.join(dir, 'new', 'store');
      const s = await FileStore.open(fresh);
      assert.deepEqual((await s.objects.list('Thing')).items, []);
      await assert.rejects(fs.stat(path.join(dir, 'new')));
      await s.objects.create(obj('a'));
      assert.ok((await allFiles(fresh)).includes('FORMAT'));
      await s.close();
    }),
  );

  it('a truncated object file is rebuilt from the journal', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir);
      const o = await s.objects.create(obj('a'));
      await s.close();
      const file = new Layout(dir).objectFile('Thing', 'default', 'a');
      await fs.writeFile(file, '{"apiVersion":"te');
      const again = await FileStore.open(dir);
      assert.equal((await again.objects.get('Thing', 'default', 'a')).metadata.uid, o.metadata.uid);
      await again.objects.create(obj('b'));
      await again.close();
      assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).metadata.uid, o.metadata.uid);
    }),
  );

  it('a lock file from another host or a live pid blocks nothing; reads never wait for a writer', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir);
      await s.objects.create(obj('a'));
      await s.close();
      const L = new Layout(dir);
      for (const holder of [
        { pid: 1, host: 'another-host', token: 'x' },
        { pid: process.pid, host: os.hostname(), token: 'reused-pid' },
      ]) {
        await fs.writeFile(L.lock, JSON.stringify(holder));
        const w = await FileStore.open(dir, { lockTimeoutMs: 1000 });
        await w.objects.create(obj(`by-${holder.token}`));
        await w.close();
      }
      // A hung writer holds the lock: a reader opens and reads at once; a writer gives up with LockTimeout.
      const hung = new DirLock(L.lock, new SystemClock());
      await hung.acquire();
      try {
        const r = await FileStore.open(dir, { lockTimeoutMs: 300 });
        assert.equal((await r.objects.list('Thing')).items.length, 3);
        const e = await r.objects.create(obj('c')).catch((err: unknown) => err);
        assert.ok(isStoreError(e, 'Unavailable') && e.reason === 'LockTimeout', String(e));
        assert.match((e as Error).message, new RegExp(`pid ${process.pid}`));
        await r.close();
      } finally {
        await hung.release();
      }
    }),
  );

  it('disk full: a clear one-line error, nothing committed, no temporary file left', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir);
      await s.objects.create(obj('a'));
      const open = fsCallback.promises.open;
      fsCallback.promises.open = async (...args: Parameters<typeof open>) => {
        const fh = await open(...args);
        fh.writeFile = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        return fh;
      };
      let e: unknown;
      try {
        e = await s.objects.create(obj('b')).catch((err: unknown) => err);
      } finally {
        fsCallback.promises.open = open;
      }
      assert.ok(isStoreError(e, 'Unavailable') && e.reason === 'NoSpace', String(e));
      assert.match((e as Error).message, /disk is full.*nothing was committed/);
      assert.doesNotMatch((e as Error).message, /\n/);
      assert.deepEqual(
        (await allFiles(dir)).filter((f) => f.endsWith('.tmp')),
        [],
      );
      await assert.rejects(s.objects.get('Thing', 'default', 'b'), (err: unknown) => isStoreError(err, 'NotFound'));
      await s.objects.create(obj('b'));
      await s.close();
    }),
  );

  it('sweeps temporary debris on open; store files are private (0600/0700)', T, () =>
    withDir(async (dir) => {
      const s = await FileStore.open(dir);
      await s.objects.create(obj('a'));
      await s.leases.acquire('l', 'me', 15);
      await s.close();
      const L = new Layout(dir);
      await fs.writeFile(`${L.journalFile(99)}.1.1.tmp`, '{"half');
      await fs.writeFile(`${L.objectFile('Thing', 'default', 'a')}.1.2.tmp`, '{"half');
      await fs.writeFile(`${L.head}.1.3.tmp`, '{');
      const again = await FileStore.open(dir);
      await again.close();
      assert.deepEqual(
        (await allFiles(dir)).filter((f) => f.endsWith('.tmp')),
        [],
      );
      if (process.platform === 'win32') return;
      for (const f of [dir, ...(await allFiles(dir)).map((f) => path.join(dir, f))]) {
        const st = await fs.stat(f);
        assert.equal(st.mode & 0o777, st.isDirectory() ? 0o700 : 0o600, `${f} ${(st.mode & 0o777).toString(8)}`);
      }
    }),
  );
});
