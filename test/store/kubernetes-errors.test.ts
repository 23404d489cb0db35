/**
 * How Kubernetes API failures read (issue 18 item 4): no answer names the server and the cause, a create in a
 * namespace the cluster lacks says so (not "object not found") and apply does not retry it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toStoreError } from '../../src/store/kubernetes/api.js';
import { isStoreError, type StoreError } from '../../src/store/errors.js';
import { apply } from '../../src/apply/apply.js';
import { openMemoryStore } from '../../src/store/memory.js';
import type { BatchOp } from '../../src/store/types.js';
import { base } from '../support/validate-set.js';

const SERVER = 'https://10.0.0.9:6443';

const namespaceMissing = () =>
  Object.assign(new Error('HTTP-Code: 404'), {
    code: 404,
    body: JSON.stringify({
      kind: 'Status',
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "azure" not found',
      details: { name: 'azure', kind: 'namespaces' },
    }),
  });

test('a create in a missing namespace: NotFound naming the namespace and the fix, [namespace-missing]', () => {
  const e = toStoreError(namespaceMissing(), 'FailoverGroup azure/web', SERVER) as StoreError;
  assert.ok(isStoreError(e, 'NotFound'));
  assert.equal(e.reason, 'NamespaceMissing');
  assert.equal(
    e.message,
    `FailoverGroup azure/web: namespace azure does not exist on ${SERVER} (kubectl create namespace azure, or kubectl apply -f the manifest, which carries its Namespace) [namespace-missing]`,
  );
  const plain = toStoreError(
    {
      code: 404,
      body: { kind: 'Status', code: 404, message: 'failovergroups "web" not found', details: { name: 'web', kind: 'failovergroups' } },
    },
    'FailoverGroup default/web',
    SERVER,
  );
  assert.equal(plain.message, 'FailoverGroup default/web not found');
});

test('no HTTP answer: the server URL, the cause in words, [store-unreachable]; a timeout says so', () => {
  const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  const e = toStoreError(refused, 'list clusters', SERVER);
  assert.ok(isStoreError(e, 'Unavailable'));
  assert.equal(e.message, `list clusters: cannot reach the Kubernetes API server ${SERVER}: connection refused [store-unreachable]`);
  const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
  assert.match(
    toStoreError(timeout, 'lease web', SERVER).message,
    /lease web: cannot reach .* no answer within the request timeout \[store-unreachable\]$/,
  );
});

test('apply gives up at once on a missing namespace (retrying cannot create it)', async () => {
  const store = openMemoryStore('');
  let batches = 0;
  const objects = new Proxy(store.objects, {
    get(target, prop, receiver) {
      if (prop === 'batch')
        return async (ops: BatchOp[]) => {
          batches++;
          return ops.map(() => ({ ok: false, error: toStoreError(namespaceMissing(), 'FailoverGroup azure/web', SERVER) }));
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  await assert.rejects(apply(objects, base()), /\[namespace-missing\]/);
  assert.equal(batches, 1);
  await store.close();
});
