/**
 * kubernetes://: every request of a store shares one connection pool per cluster and user (src/store/kubernetes/api.ts
 * pooledAuth). @kubernetes/client-node 2.0.1 builds a new undici Agent per request; an agent of 100 groups then held
 * hundreds of TLS connections, 500 MB and 30 % of a core (bench/scale-processes.ts --store kubernetes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { pooledAuth } from '../../src/store/kubernetes/api.js';

function kubeconfig(user = 'u'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [
      { name: 'u', token: 'token-u' },
      { name: 'v', token: 'token-v' },
    ],
    contexts: [{ name: 'x', cluster: 'c', user }],
    currentContext: 'x',
  });
  return kc;
}

async function request(auth: ReturnType<typeof pooledAuth>): Promise<RequestContext> {
  const ctx = new RequestContext('https://127.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/default/leases', HttpMethod.GET);
  await auth.applySecurityAuthentication(ctx);
  return ctx;
}

test('requests through one kubeconfig share one connection pool, and each still carries its credentials', async () => {
  const kc = kubeconfig();
  const auth = pooledAuth(kc);
  assert.equal(pooledAuth(kc), auth, 'one per kubeconfig, whichever API client asks');
  const [a, b, c] = [await request(auth), await request(auth), await request(auth)];
  assert.ok(a.getDispatcher(), 'a TLS cluster gets a pool');
  assert.equal(b.getDispatcher(), a.getDispatcher());
  assert.equal(c.getDispatcher(), a.getDispatcher());
  for (const ctx of [a, b, c]) assert.equal(ctx.getHeaders()['Authorization'], 'Bearer token-u');
});

test('another user (another TLS identity) gets a pool of its own', async () => {
  const mine = await request(pooledAuth(kubeconfig('u')));
  const theirs = await request(pooledAuth(kubeconfig('v')));
  assert.notEqual(theirs.getDispatcher(), mine.getDispatcher());
  assert.equal(theirs.getHeaders()['Authorization'], 'Bearer token-v');
});
