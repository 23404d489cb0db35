/**
 * The built `winha` binary against a real etcd: apply, get, the etcd flags,
 * and the error a person sees when etcd is down or a URL carries credentials.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';
import { EtcdCluster, etcdUnavailableReason } from '../support/etcd-cluster.js';
import { freePorts } from '../support/free-port.js';
import { join } from 'node:path';

const missing = etcdUnavailableReason();

/** Runs the binary asynchronously (a synchronous spawn would block the test process while etcd answers). */
function winha(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', ...env } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('winha against etcd', { skip: missing }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start({ members: 1 });
  });
  after(() => cluster?.stop());

  test('apply then get through --store etcd://', async () => {
    const store = cluster.url('/cli');
    const a = await winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--store', store]);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /failovergroup\.winha\.io\/web created/);
    const again = await winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--store', store]);
    assert.match(again.out, /failovergroup\.winha\.io\/web unchanged/);
    const g = await winha(['get', 'groups', '-o', 'json', '--store', store]);
    assert.equal(g.code, 0, g.err);
    assert.deepEqual(
      JSON.parse(g.out)
        .items.map((o: { metadata: { name: string } }) => o.metadata.name)
        .sort(),
      ['ftp', 'web'],
    );
    // $WINHA_STORE works too, and another prefix is another store.
    const other = await winha(['get', 'groups', '-o', 'json'], { WINHA_STORE: cluster.url('/elsewhere') });
    assert.equal(JSON.parse(other.out).items.length, 0);
  });

  test('etcd down: exit 1 with a message naming the endpoint, in bounded time', async () => {
    const [port] = await freePorts(1);
    const r = await winha(['get', 'groups', '--store', `etcd://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`etcd 127\\.0\\.0\\.1:${port}/winha is unreachable`));
  });

  test('credentials are refused in the URL and never echoed', async () => {
    const r = await winha(['get', 'groups', '--store', `etcd://root:hunter2@127.0.0.1:2379`]);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.err, /hunter2/);
    assert.match(r.err, /WINHA_ETCD_PASSWORD/);
    const u = await winha(['get', 'groups', '--store', cluster.url('/cli'), '--etcd-user', 'winha'], { WINHA_ETCD_PASSWORD: '' });
    assert.equal(u.code, 2);
    assert.match(u.err, /etcd user winha has no password/);
  });
});
