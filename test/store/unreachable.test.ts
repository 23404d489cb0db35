/**
 * Issue 18 item 4: a store that cannot be reached is named in the error the CLI prints (etcd's host:port,
 * the Kubernetes API server's URL), with why in plain words and the code [store-unreachable] — never
 * gRPC's "14 UNAVAILABLE: No connection established…" nor fetch's bare "fetch failed".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';
import { freePorts } from '../support/free-port.js';
import { networkCause } from '../../src/store/errors.js';

let dir: string;
let port: number;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'winha-unreach-'));
  [port] = (await freePorts(1)) as [number]; // free a moment ago: nothing listens there
});
after(() => rmSync(dir, { recursive: true, force: true }));

function winha(args: string[], env: Record<string, string> = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', ...env },
    timeout: 15_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, err: r.stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function assertPlain(err: string): void {
  assert.match(err, /\[store-unreachable\]/);
  assert.match(err, /connection refused/);
  assert.doesNotMatch(err, /UNAVAILABLE|No connection established|fetch failed|ECONNREFUSED/);
}

test('etcd:// on a closed port: the endpoints, "connection refused", [store-unreachable]', () => {
  // apply: its first read fails; two endpoints, both named (one CLI run each keeps the file fast on a busy machine)
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--store', `etcd://127.0.0.1:${port},127.0.0.2:${port}/x`]);
  assert.equal(r.code, 1, r.err);
  assert.ok(r.err.includes(`etcd 127.0.0.1:${port},127.0.0.2:${port}/x is unreachable`), r.err);
  assertPlain(r.err);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

test('kubernetes:// whose server is a closed port: the server\'s URL, "connection refused", [store-unreachable]', () => {
  const kubeconfig = join(dir, 'kubeconfig');
  const server = `https://127.0.0.1:${port}`;
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "' + server + '", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: not-a-secret}}]',
      'contexts: [{name: ctx, context: {cluster: c, user: u}}]',
      'current-context: ctx',
    ].join('\n'),
  );
  const r = winha(['get', 'groups', '--store', 'kubernetes://ctx'], { KUBECONFIG: kubeconfig });
  assert.equal(r.code, 1, r.err);
  assert.ok(r.err.includes(`cannot reach the Kubernetes API server ${server}`), r.err);
  assertPlain(r.err);
  assert.doesNotMatch(r.err, /not-a-secret/);
});

test('networkCause reads codes through causes, aggregate errors and gRPC text', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:2379'), { code: 'ECONNREFUSED' });
  assert.equal(networkCause(new TypeError('fetch failed', { cause: refused })), 'connection refused');
  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND etcd1'), { code: 'ENOTFOUND' });
  assert.equal(networkCause(new AggregateError([dns])), 'host name not found');
  assert.equal(networkCause(new Error('14 UNAVAILABLE: No connection established. Last error: connect EHOSTUNREACH')), 'no route to host');
  assert.equal(networkCause(new Error('something else')), undefined);
});
