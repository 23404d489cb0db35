/**
 * Status writes that never churn (C7): read the latest object, apply a pure
 * mutation to its status, and write only when the result differs; retry on a
 * compare-and-swap conflict with the fresh object. Several agents write the
 * same object (each its own node entry), so every write re-reads.
 */
import { isStoreError } from './errors.js';
import type { ObjectStore, StoredObject } from './types.js';

export async function updateStatusWith<S>(
  store: ObjectStore,
  kind: string,
  namespace: string,
  name: string,
  mutate: (status: S, obj: StoredObject) => S,
): Promise<StoredObject | undefined> {
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
    if (stableJson(after) === stableJson(before)) return cur;
    try {
      return await store.updateStatus({ ...cur, status: after });
    } catch (err) {
      if (isStoreError(err, 'Conflict')) continue;
      throw err;
    }
  }
  return undefined;
}

/** JSON with sorted keys: equal content, equal text. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
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
