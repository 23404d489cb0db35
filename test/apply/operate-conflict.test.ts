/**
 * Issue 14 item 7: when every compare-and-swap of an operator command loses
 * (another writer each time), the command reports failure — it does not say
 * the request was made when nothing was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStore } from '../../src/store/memory.js';
import { ConflictError } from '../../src/store/errors.js';
import type { ObjectInput, ObjectStore, StoredObject } from '../../src/store/types.js';
import { requestSwitchover, setMaintenance } from '../../src/apply/operate.js';

const API = 'winha.io/v1alpha1';

/** Every update loses its compare-and-swap, as if another writer always got there first. */
function alwaysConflicting(inner: ObjectStore): ObjectStore & { updates: number } {
  const s = Object.create(inner) as ObjectStore & { updates: number };
  s.updates = 0;
  s.update = async (o: ObjectInput): Promise<StoredObject> => {
    s.updates++;
    throw new ConflictError(`${o.kind} ${o.metadata.name} changed; read it again`);
  };
  return s;
}

async function seeded() {
  const store = openMemoryStore('');
  await store.objects.create({ apiVersion: API, kind: 'Cluster', metadata: { name: 'prod' }, spec: { nodes: [] } });
  await store.objects.create({
    apiVersion: API,
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: {
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: 2 },
      ],
    },
  });
  return store;
}

test('switchover and maintenance report failure after losing every compare-and-swap (item 7)', async () => {
  const store = await seeded();
  const s = alwaysConflicting(store.objects);
  const sw = await requestSwitchover(s, {
    namespace: 'default',
    group: 'web',
    to: 'node2',
    force: true,
    id: 'r1',
    requestedAt: '2024-01-01T00:00:00Z',
  });
  assert.equal(sw.ok, false, sw.message);
  assert.match(sw.message, /not (requested|written)|nothing was written/);
  assert.ok(s.updates >= 5);
  for (const o of [{ group: 'web' }, {}, { node: 'node1' }]) {
    const m = await setMaintenance(s, { namespace: 'default', enabled: true, ...o });
    assert.equal(m.ok, false, m.message);
    assert.match(m.message, /nothing was written|not (set|written)/);
  }
  const g = await store.objects.get('FailoverGroup', 'default', 'web');
  assert.equal(g.metadata.annotations, undefined);
  await store.close();
});
