/**
 * Issue 14 item 19: a TLS connection to an etcd member named by IP address
 * must not set the SNI servername to the IP (Node's DEP0123 warning on every
 * CLI run); DNS names keep it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';
import { dnsOnlyServername, sniForDnsNamesOnly } from '../../src/store/etcd/tls-servername.js';

const tls = createRequire(import.meta.url)('node:tls') as typeof Tls;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBgDCCASegAwIBAgIUa6P75lPwRqVa7PkT0yxXp5O9ucQwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKd2luaGEtdGVzdDAgFw0yNjEyMDUyMTM2MDBaGA8yMTI2MTEx
MTIxMzYwMFowFTETMBEGA1UEAwwKd2luaGEtdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABDp+7XUNTiO3nhzvf0cqCi+asswV0ZAEUxCenua20tKGuwfH6Aov
rsbiNqOsLFVHJTXRZlnvCJ+R4xSa0AhnhXKjUzBRMB0GA1UdDgQWBBRXhhhcYDw3
q0t43Bu8gwV0vxJhrjAfBgNVHSMEGDAWgBRXhhhcYDw3q0t43Bu8gwV0vxJhrjAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFTzvsTGIEz8Z+LZgnSL
CuyAaykPrQeI4NKkMhUATonsAiBO9YIulK54OMImHH45TTpjML30637D0wvJm8fx
Jk1Rqg==
-----END CERTIFICATE-----
`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgj4SLC2+pNjAbOW/W
PT97A9174kDdg3QsPKLAd6mWesOhRANCAAQ6fu11DU4jt54c739HKgovmrLMFdGQ
BFMQnp7mttLShrsHx+gKL67G4jajrCxVRyU10WZZ7wifkeMUmtAIZ4Vy
-----END PRIVATE KEY-----
`;

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
  const server = tls.createServer({ cert: CERT, key: KEY }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    await new Promise<void>((resolve, reject) => {
      // What @grpc/grpc-js does: servername = the target host, here an IP.
      const s = tls.connect({ host: '127.0.0.1', port, servername: '127.0.0.1', ca: CERT, checkServerIdentity: () => undefined }, () => {
        s.end();
        resolve();
      });
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
