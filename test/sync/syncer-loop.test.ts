/**
 * Issue 20: the syncer as a loop — a source that fails is retried with backoff (5 s doubling up to the interval, on
 * the injected clock) and the failure is in status and an event until it recovers; a watched local directory is
 * synced at once when a file changes, not at the next interval.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/controller/logger.js';
import { EventRecorder } from '../../src/controller/event-recorder.js';
import { Syncer, type SyncerConfig } from '../../src/sync/syncer.js';
import { SourceError, openSource, type Revision, type Source } from '../../src/sync/source.js';
import type { SyncStatus } from '../../src/api/types.js';
import { runSync } from '../../src/cli/commands/sync.js';
import { CLUSTER, groupYaml, writeTree } from './fixture.js';
import type { CliIO } from '../../src/cli/io.js';
import { PassThrough } from 'node:stream';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function cfg(over: Partial<SyncerConfig['spec']> = {}): SyncerConfig {
  return {
    name: 'prod',
    namespace: 'default',
    identity: 'syncer-a',
    spec: { source: '/repo', path: '.', intervalSeconds: 60, prune: false, correctDrift: true, ...over },
    leaseSeconds: 15,
  };
}

test('a failing source is retried with backoff (5 s, 10 s, 20 s, 40 s, then every interval); Failed in status and a SyncFailed event; recovery resets it', async () => {
  const clock = new VirtualClock();
  const store: Store = openMemoryStore('sync-loop-backoff');
  cleanups.push(() => store.close());
  const root = mkdtempSync(join(tmpdir(), 'winha-sync-loop-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeTree(root, { 'cluster.yaml': CLUSTER, 'web.yaml': groupYaml('web', '10.0.0.50') });
  const attempts: number[] = [];
  let down = true;
  const start = clock.now();
  const source: Source = {
    kind: 'git',
    fetch: (): Promise<Revision> => {
      attempts.push((clock.now() - start) / 1000);
      if (down) return Promise.reject(new SourceError('source-unreachable', 'git.example.com: connection refused'));
      return Promise.resolve({ revision: 'r1', root, dir: root });
    },
    close: () => Promise.resolve(),
  };
  const events = new EventRecorder(store.objects, 'syncer-a', clock);
  cleanups.push(() => events.stop());
  const s = new Syncer(cfg(), { store, clock, source, log: silentLogger, event: (e) => events.record(e) });
  const stop = new AbortController();
  const running = s.run(stop.signal);
  const advance = async (seconds: number) => {
    for (let i = 0; i < seconds * 10; i++) await clock.advance(100);
  };
  await advance(140);
  assert.deepEqual(attempts, [0, 5, 15, 35, 75, 135]);
  const st = ((await store.objects.get('Sync', 'default', 'prod').catch(() => undefined))?.status ?? {}) as SyncStatus;
  // The Sync object is created by the first pass that reaches the store; a source that never answered leaves none.
  assert.equal(st.phase, undefined);
  down = false;
  await advance(60);
  // The recovering pass reads files for real: let it finish (virtual time stands still meanwhile).
  const status = async () => ((await store.objects.get('Sync', 'default', 'prod').catch(() => undefined))?.status ?? {}) as SyncStatus;
  for (let i = 0; i < 200 && (await status()).phase !== 'Synced'; i++) await new Promise((r) => setTimeout(r, 50));
  const ok = await status();
  assert.equal(ok.phase, 'Synced');
  assert.equal(ok.consecutiveFailures, 0);
  // The recovering pass came at 195 s (135 + the 60 s cap); after it, every interval again.
  assert.deepEqual(attempts.slice(6), [195]);
  // (The interval counts from the end of a pass, and this clock moves on while the pass reads files.)
  await advance(120);
  const next = attempts[7]!;
  assert.ok(next - 195 >= 60, `the next pass after ${next - 195} s, not the interval`);
  stop.abort();
  assert.equal(await running, 0);
});

test('a failure after the Sync exists is in its status (Failed, the code, how many in a row) and in a SyncFailed event', async () => {
  const store: Store = openMemoryStore('sync-loop-failed');
  cleanups.push(() => store.close());
  const root = mkdtempSync(join(tmpdir(), 'winha-sync-loop-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeTree(root, { 'cluster.yaml': CLUSTER, 'web.yaml': groupYaml('web', '10.0.0.50') });
  let down = false;
  const source: Source = {
    kind: 'git',
    fetch: () =>
      down
        ? Promise.reject(new SourceError('auth-failed', 'https://git.example.com/ops.git: the server refused the credentials'))
        : Promise.resolve({ revision: 'r1', root, dir: root }),
    close: () => Promise.resolve(),
  };
  const clock = new SystemClock();
  const events = new EventRecorder(store.objects, 'syncer-a', clock);
  cleanups.push(() => events.stop());
  const s = new Syncer(cfg(), { store, clock, source, log: silentLogger, event: (e) => events.record(e) });
  assert.ok(await s.tryLead());
  await s.pass();
  down = true;
  await s.pass();
  await s.pass();
  const st = (await store.objects.get('Sync', 'default', 'prod')).status as SyncStatus;
  assert.equal(st.phase, 'Failed');
  assert.equal(st.consecutiveFailures, 2);
  assert.equal(st.lastAppliedRevision, 'r1', 'the store still equals the last good revision');
  assert.match(st.message ?? '', /refused the credentials \[auth-failed\]$/);
  assert.equal(st.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  const failed = (await store.objects.list('Event')).items.filter((e) => (e as unknown as { reason: string }).reason === 'SyncFailed');
  assert.equal(failed.length, 1, 'the repeat is folded into one event');
  await s.stop();
});

function captureIO(cwd: string): CliIO & { text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { stdout: out, stderr: out, stdin: new PassThrough(), env: { NO_COLOR: '1' }, cwd, text: () => text };
}

test('a local directory is watched: a changed file is synced at once, not at the next interval (1 h here)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'winha-sync-watch-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const repo = join(root, 'repo');
  writeTree(repo, { 'cluster.yaml': CLUSTER, 'web.yaml': groupYaml('web', '10.0.0.50') });
  const storeUrl = `file://${join(root, 'store')}`;
  const io = captureIO(root);
  const stop = new AbortController();
  const running = runSync({ from: repo, interval: '1h', store: storeUrl, signal: stop.signal }, io);
  cleanups.push(async () => {
    stop.abort();
    await running.catch(() => undefined);
  });
  const until = async (what: string, fn: () => boolean) => {
    for (let i = 0; i < 300 && !fn(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fn(), `${what}; output:\n${io.text()}`);
  };
  await until('the first pass', () => /synced: 3 object/.test(io.text()));
  writeFileSync(join(repo, 'ftp.yaml'), groupYaml('ftp', '10.0.0.60'));
  await until('the change synced at once', () => /failovergroup\/ftp \(default\) created/.test(io.text()));
  stop.abort();
  assert.equal(await running, 0);
  // The revision of a plain directory is the digest of its manifests.
  assert.match(io.text(), /revision sha256:[0-9a-f]{12} synced/);
});

test('openSource refuses a token in the URL before anything runs', () => {
  assert.throws(
    () => openSource({ from: 'https://ops:s3cret@git.example.com/ops.git', cwd: '/', env: {} }),
    (e: unknown) => e instanceof SourceError && e.code === 'credentials-in-url' && !e.message.includes('s3cret'),
  );
});

test('--once against a store that does not answer gives up after twice the lease and says so (not "another syncer")', async () => {
  const clock = new VirtualClock();
  const inner: Store = openMemoryStore('sync-loop-away');
  cleanups.push(() => inner.close());
  const away = Object.assign(new Error('etcd://10.0.0.5:2379 did not answer: connection refused [store-unreachable]'), {});
  const store = { ...inner, leases: { ...inner.leases, acquire: () => Promise.reject(away) } } as unknown as Store;
  const lines: string[] = [];
  const log = {
    info: (_o: object, m: string) => lines.push(`info ${m}`),
    warn: (_o: object, m: string) => lines.push(`warn ${m}`),
    error: (_o: object, m: string) => lines.push(`error ${m}`),
  };
  const source: Source = { kind: 'git', fetch: () => Promise.reject(new Error('not reached')), close: () => Promise.resolve() };
  const s = new Syncer(cfg(), { store, clock, source, log, event: () => Promise.resolve() });
  const running = s.run(new AbortController().signal, true);
  for (let i = 0; i < 400 && lines.every((l) => !l.startsWith('error')); i++) await clock.advance(100);
  assert.equal(await running, 1);
  assert.ok(!lines.some((l) => /standing by/.test(l)), lines.join('\n'));
  assert.match(lines.at(-1) ?? '', /^error the store did not answer: nothing was done \(.*\[store-unreachable\]\)$/);
});
