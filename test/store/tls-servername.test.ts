/**
 * Issue 14 item 19: a TLS connection to an etcd member named by IP address
 * must not set the SNI servername to the IP (Node's DEP0123 warning on every
 * CLI run); DNS names keep it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';
import { TEST_CERT, TEST_KEY } from '../support/test-cert.js';
import { dnsOnlyServername, sniForDnsNamesOnly } from '../../src/store/etcd/tls-servername.js';

const tls = createRequire(import.meta.url)('node:tls') as typeof Tls;

test('only DNS names are kept as servername', () => {
  assert.equal(dnsOnlyServername({ servername: 'etcd1.example.com' }).servername, 'etcd1.example.com');
  assert.equal('servername' in dnsOnlyServername({ servername: '10.0.0.5', host: '10.0.0.5' }), false);
  assert.equal('servername' in dnsOnlyServername({ servername: '::1' }), false);
});

test('connecting to an IP the way gRPC does emits no DEP0123 warning', async () => {
  sniForDnsNamesOnly();
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code ?? ''} ${w.message}`);
  process.on('warning', onWarning);
  const server = tls.createServer({ cert: TEST_CERT, key: TEST_KEY }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    await new Promise<void>((resolve, reject) => {
      // What @grpc/grpc-js does: servername = the target host, here an IP.
      const s = tls.connect(
        { host: '127.0.0.1', port, servername: '127.0.0.1', ca: TEST_CERT, checkServerIdentity: () => undefined },
        () => {
          s.end();
          resolve();
        },
      );
      s.on('error', reject);
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      warnings.filter((w) => w.includes('DEP0123')),
      [],
    );
  } finally {
    process.off('warning', onWarning);
    await new Promise((r) => server.close(r));
  }
});
