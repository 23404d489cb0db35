/**
 * What the etcd backend must do beyond the contract: parse its URL, keep
 * secrets out of every message, answer within its deadline when etcd is down
 * or cut off, keep working with one member of three down, refuse to work
 * without a majority, and keep its watches gapless across outages.
 */
import { TEST_CERT } from '../support/test-cert.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SystemClock } from '../../src/lib/clock.js';
import { isStoreError, openStore, type ObjectInput, type Store, type WatchEvent } from '../../src/store/index.js';
import { describeEtcd, parseEtcdUrl, resolveEtcdConfig } from '../../src/store/etcd/config.js';
import { openEtcdStore, type EtcdStore } from '../../src/store/etcd/etcd-store.js';
import { EtcdCluster, etcdUnavailableReason } from '../support/etcd-cluster.js';
import { freePorts } from '../support/free-port.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const clock = new SystemClock();
const API = 'winha.io/v1alpha1';
const group = (name: string, spec: unknown = {}): ObjectInput => ({ apiVersion: API, kind: 'FailoverGroup', metadata: { name }, spec });

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown; value: T | undefined }> {
  const t = clock.monotonic();
  try {
    const value = await p;
    return { ms: clock.monotonic() - t, error: undefined, value };
  } catch (error) {
    return { ms: clock.monotonic() - t, error, value: undefined };
  }
}

async function take(it: AsyncIterator<WatchEvent>, n: number, timeoutMs = 20_000): Promise<string[]> {
  const out: string[] = [];
  const deadline = clock.monotonic() + timeoutMs;
  while (out.length < n) {
    const left = deadline - clock.monotonic();
    const stop = new AbortController();
    const timeout = clock.sleep(Math.max(0, left), stop.signal).then(
      () => 'timeout' as const,
      () => 'timeout' as const,
    );
    const r = await Promise.race([it.next(), timeout]);
    stop.abort();
    if (r === 'timeout') assert.fail(`watch: ${out.length} of ${n} events after ${timeoutMs} ms: ${out.join(', ')}`);
    if (r.done) assert.fail('watch ended');
    if (r.value.type !== 'BOOKMARK') out.push(`${r.value.type} ${r.value.object.metadata.name}`);
  }
  return out;
}

describe('etcd URL and credentials', () => {
  it('parses endpoints and the prefix', () => {
    assert.deepEqual(parseEtcdUrl('etcd://127.0.0.1:2379'), { endpoints: ['127.0.0.1:2379'], prefix: '/winha' });
    assert.deepEqual(parseEtcdUrl('etcd://a:1,b:2,[::1]:3/ha/prod/'), { endpoints: ['a:1', 'b:2', '[::1]:3'], prefix: '/ha/prod' });
    for (const bad of ['etcd://', 'etcd://host', 'etcd://h:99999', 'etcd://h:1?x=1']) {
      assert.throws(
        () => parseEtcdUrl(bad),
        (e: unknown) => isStoreError(e, 'Invalid'),
        bad,
      );
    }
  });

  it('never takes credentials from the URL, and never shows a password', () => {
    assert.throws(
      () => parseEtcdUrl('etcd://root:hunter2@h:2379'),
      (e: unknown) =>
        isStoreError(e, 'Invalid') && !(e as Error).message.includes('hunter2') && /WINHA_ETCD_PASSWORD/.test((e as Error).message),
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'winha-etcd-cfg-'));
    try {
      const pw = path.join(dir, 'pw');
      writeFileSync(pw, 'file-secret\n');
      const c = resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_USERNAME: 'winha', WINHA_ETCD_PASSWORD_FILE: pw });
      assert.deepEqual(c.auth, { username: 'winha', password: 'file-secret' });
      assert.equal(describeEtcd(c), 'etcd h:1/winha, user winha');
      const e = resolveEtcdConfig('etcd://h:1', { username: 'x' }, { WINHA_ETCD_PASSWORD: 'env-secret' });
      assert.equal(e.auth?.password, 'env-secret');
      assert.ok(!JSON.stringify(describeEtcd(e)).includes('env-secret'));
      assert.throws(() => resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_USERNAME: 'u' }), /no password/);
      assert.throws(() => resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_PASSWORD: 'p' }), /no user/);
      assert.throws(
        () => resolveEtcdConfig('etcd://h:1', { passwordFile: path.join(dir, 'missing') }, { WINHA_ETCD_USERNAME: 'u' }),
        (err: unknown) => isStoreError(err, 'Invalid') && /ENOENT/.test((err as Error).message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('request timeout: option, else $WINHA_ETCD_REQUEST_TIMEOUT_MS, else 5 s; nonsense refused', () => {
    assert.equal(resolveEtcdConfig('etcd://h:1', {}, {}).requestTimeoutMs, 5000);
    assert.equal(resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_REQUEST_TIMEOUT_MS: '1000' }).requestTimeoutMs, 1000);
    assert.equal(
      resolveEtcdConfig('etcd://h:1', { requestTimeoutMs: 750 }, { WINHA_ETCD_REQUEST_TIMEOUT_MS: '1000' }).requestTimeoutMs,
      750,
    );
    for (const bad of ['1s', '0', '-5', '99']) {
      assert.throws(
        () => resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_REQUEST_TIMEOUT_MS: bad }),
        (e: unknown) => isStoreError(e, 'Invalid'),
        bad,
      );
    }
  });

  it('TLS: a CA turns it on; a certificate needs its key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'winha-etcd-tls-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      writeFileSync(ca, TEST_CERT);
      const c = resolveEtcdConfig('etcd://h:1', {}, { WINHA_ETCD_CACERT: ca });
      assert.ok(c.tls?.ca);
      assert.equal(describeEtcd(c), 'etcd h:1/winha, TLS');
      assert.throws(() => resolveEtcdConfig('etcd://h:1', { caFile: ca, certFile: ca }, {}), /certificate and its key/);
      assert.throws(() => resolveEtcdConfig('etcd://h:1', { certFile: ca, keyFile: ca }, {}), /--etcd-cacert/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const missing = etcdUnavailableReason();

describe('etcd unreachable', { skip: missing }, () => {
  it('a closed port: UnavailableError naming the endpoint, quickly', async () => {
    const [port] = await freePorts(1);
    const s = openEtcdStore(`etcd://127.0.0.1:${port}`, { etcd: { requestTimeoutMs: 1500 }, env: {} });
    try {
      const r = await elapsed(s.objects.get('FailoverGroup', 'default', 'web'));
      assert.ok(isStoreError(r.error, 'Unavailable'), String(r.error));
      assert.match((r.error as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.ok(r.ms < 2500, `answered in ${Math.round(r.ms)} ms`);
    } finally {
      await s.close();
    }
  });

  it('a silent peer (partition): every call ends within its deadline, writes and leases too', async () => {
    const proxy = await TcpProxy.start(1); // never forwards: cut from the start
    proxy.cut('blackhole');
    const s = openEtcdStore(`etcd://${proxy.endpoint}`, { etcd: { requestTimeoutMs: 1000 }, env: {} });
    try {
      const calls: (() => Promise<unknown>)[] = [
        () => s.objects.list('FailoverGroup'),
        () => s.objects.create(group('x')),
        () => s.leases.acquire('group/web', 'node1', 15),
      ];
      for (const call of calls) {
        const r = await elapsed(call());
        assert.ok(isStoreError(r.error, 'Unavailable'), String(r.error));
        assert.ok(r.ms < 2000, `answered in ${Math.round(r.ms)} ms`);
      }
    } finally {
      await s.close();
      await proxy.close();
    }
  });
});

describe('etcd cluster faults', { skip: missing }, () => {
  let cluster: EtcdCluster | undefined;
  const stores: Store[] = [];
  after(async () => {
    for (const s of stores) await s.close();
    await cluster?.stop();
  });

  it(
    'three members: one down changes nothing; no majority → Unavailable in time; back → the watch has no gap',
    { timeout: 90_000 },
    async () => {
      cluster = await EtcdCluster.start({ members: 3 });
      const s = openEtcdStore(cluster.url('/faults'), { etcd: { requestTimeoutMs: 2000 }, env: {} });
      stores.push(s);
      const l = await s.objects.list('FailoverGroup');
      const w = s.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion });
      const it = w[Symbol.asyncIterator]();
      await s.objects.create(group('a'));
      assert.deepEqual(await take(it, 1), ['ADDED a']);

      await cluster.stopMember(0, 'SIGKILL');
      await s.objects.create(group('b')); // the pool moves to a live member
      const lease = await s.leases.acquire('group/web', 'node1', 15);
      assert.ok(lease.acquired);
      assert.deepEqual(await take(it, 1), ['ADDED b']);

      await cluster.stopMember(1, 'SIGKILL'); // one of three left: no quorum
      const write = await elapsed(s.objects.create(group('c')));
      assert.ok(isStoreError(write.error, 'Unavailable'), String(write.error));
      assert.ok(write.ms < 3500, `write answered in ${Math.round(write.ms)} ms`);
      const renew = await elapsed(s.leases.renew('group/web', 'node1', 1));
      assert.ok(isStoreError(renew.error, 'Unavailable'), String(renew.error));
      assert.ok(renew.ms < 7500, `renew (read + write) answered in ${Math.round(renew.ms)} ms`);

      await cluster.startMember(0);
      await cluster.startMember(1);
      await cluster.waitReady();
      const other = openEtcdStore(cluster.url('/faults'), { env: {} });
      stores.push(other);
      await retry(() => other.objects.create(group('d')));
      await other.objects.create(group('e'));
      assert.deepEqual(await take(it, 2), ['ADDED d', 'ADDED e']);
      const renewed = await retry(() => s.leases.renew('group/web', 'node1', 1));
      assert.equal(renewed.epoch, 1);
      w.close();
    },
  );

  it(
    'a client cut off through a proxy fails in time, and its watch resumes without gaps when the link returns',
    { timeout: 60_000 },
    async () => {
      cluster ??= await EtcdCluster.start({ members: 3 });
      await cluster.waitReady();
      const proxy = await TcpProxy.start(cluster.members[2]!.clientPort);
      try {
        const cut = openEtcdStore(cluster.url('/proxy', [proxy.endpoint]), { etcd: { requestTimeoutMs: 1500 }, env: {} });
        const direct = openEtcdStore(cluster.url('/proxy'), { env: {} });
        stores.push(cut, direct);
        const l = await cut.objects.list('FailoverGroup');
        const w = cut.objects.watch('FailoverGroup', { resourceVersion: l.resourceVersion });
        const it = w[Symbol.asyncIterator]();
        await direct.objects.create(group('before'));
        assert.deepEqual(await take(it, 1), ['ADDED before']);

        proxy.cut('reset');
        for (const n of ['x1', 'x2', 'x3']) await direct.objects.create(group(n));
        const r = await elapsed(cut.leases.acquire('group/ftp', 'node2', 15));
        assert.ok(isStoreError(r.error, 'Unavailable'), String(r.error));
        assert.ok(r.ms < 2500, `answered in ${Math.round(r.ms)} ms`);

        proxy.restore();
        assert.deepEqual(await take(it, 3), ['ADDED x1', 'ADDED x2', 'ADDED x3']);
        await retry(() => cut.objects.get('FailoverGroup', 'default', 'x3'));
        w.close();
      } finally {
        await proxy.close();
      }
    },
  );
});

async function retry<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = clock.monotonic() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isStoreError(e, 'Unavailable') || clock.monotonic() > deadline) throw e;
      await clock.sleep(200);
    }
  }
}

describe('openStore(etcd://)', { skip: missing }, () => {
  it('opens the etcd backend and reads its flags from options', async () => {
    const c = await EtcdCluster.start({ members: 1 });
    try {
      const s = (await openStore(c.url('/open'), { env: {} })) as EtcdStore;
      await s.objects.create(group('web'));
      assert.equal((await s.objects.list('FailoverGroup')).items.length, 1);
      assert.equal(s.url, c.url('/open'));
      await s.close();
    } finally {
      await c.stop();
    }
  });
});
