/**
 * Status writes that never churn (C7): read the latest object, apply a pure
 * mutation to its status, and write only when the result differs; retry on a
 * compare-and-swap conflict with the fresh object. Several agents write the
 * same object (each its own node entry), so every write re-reads.
 *
 * `cached`: the object as the caller's informer cache has it, and `confirmed`, the resourceVersion of each object as
 * this writer last wrote or read it. When the cache holds exactly that version and the mutation changes nothing
 * there, nothing is read or written (controller-runtime compares with its cache too): a converged agent then costs
 * the store nothing for its status. A cache at any other version (behind our own write, or a watch that stalled
 * while the store was cut off) is not trusted: the store is read as before.
 */
import { isStoreError } from './errors.js';
import { jsonEqual } from '../lib/json.js';
import type { ObjectStore, StoredObject } from './types.js';

export async function updateStatusWith<S>(
  store: ObjectStore,
  kind: string,
  namespace: string,
  name: string,
  mutate: (status: S, obj: StoredObject) => S,
  cached?: { object: StoredObject; confirmed: Map<string, string>; wrote?: () => void },
): Promise<StoredObject | undefined> {
  const key = `${kind}/${namespace}/${name}`;
  if (cached && cached.confirmed.get(key) === cached.object.metadata.resourceVersion) {
    // mutate is pure (it returns new objects, never changes its input): the cache's status is not copied.
    const before = (cached.object.status ?? {}) as S;
    if (jsonEqual(mutate({ ...before }, cached.object), before)) return cached.object;
  }
  const confirm = (o: StoredObject) => {
    cached?.confirmed.set(key, o.metadata.resourceVersion ?? '');
    return o;
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    let cur: StoredObject;
    try {
      cur = await store.get(kind, namespace, name);
    } catch (err) {
      if (isStoreError(err, 'NotFound')) return undefined;
      throw err;
    }
    const before = (cur.status ?? {}) as S;
    const after = mutate(structuredClone(before), cur);
    if (jsonEqual(after, before)) return confirm(cur);
    try {
      const written = await store.updateStatus({ ...cur, status: after });
      cached?.wrote?.();
      return confirm(written);
    } catch (err) {
      if (isStoreError(err, 'Conflict')) continue;
      throw err;
    }
  }
  return undefined;
}

/** Upsert an entry of a list-map keyed by name. */
export function upsertByName<T extends { name: string }>(list: T[] | undefined, entry: T): T[] {
  const out = [...(list ?? [])].filter((e) => e.name !== entry.name);
  out.push(entry);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Conditions keep their lastTransitionTime while their status does not change. */
export function mergeConditions<C extends { type: string; status: string; lastTransitionTime?: string }>(
  old: C[] | undefined,
  next: C[],
  now: string,
): C[] {
  return next.map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
  });
}
