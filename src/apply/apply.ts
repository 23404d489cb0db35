/**
 * `winha apply` and `winha diff` as library functions over an ObjectStore.
 *
 * apply: create or three-way-merge each object (see merge.ts), writing only
 * objects that change, in one batch; a compare-and-swap conflict re-reads and
 * re-merges (bounded). With prune, objects that an earlier apply created, that
 * match the selector and that are no longer in the set are deleted.
 */
import { toYaml } from '../lib/yaml.js';
import { createTwoFilesPatch } from 'diff';
import { KINDS, kindInfo } from '../api/kinds.js';
import { DEFAULT_NAMESPACE } from '../api/defaults.js';
import { withDefaults } from '../api/with-defaults.js';
import type { ObjectInput, ObjectStore, StoredObject } from '../store/types.js';
import { isStoreError } from '../store/errors.js';
import { appliedConfig, jsonEqual, lastApplied, mergeForApply } from './merge.js';

type JsonMap = Record<string, unknown>;

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned';

export interface ApplyOutcome {
  kind: string;
  namespace: string;
  name: string;
  action: ApplyAction;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Label selector (`key=value,...`) of objects to prune; prune only with one. */
  prune?: string;
  /** Re-read-and-merge attempts after a compare-and-swap conflict. */
  maxConflictRetries?: number;
}

/** The kinds people apply (Events are written by agents only). */
export const APPLIED_KINDS = KINDS.filter((k) => k.kind !== 'Event').map((k) => k.kind);

export function identity(o: JsonMap): { kind: string; namespace: string; name: string } {
  const meta = (o['metadata'] ?? {}) as JsonMap;
  return {
    kind: String(o['kind']),
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE,
    name: String(meta['name']),
  };
}

function idKey(o: { kind: string; namespace: string; name: string }): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

/**
 * The object with its namespace made explicit (the store keys on it) and every
 * schema default filled in: a Kubernetes API server fills the CRDs' defaults
 * (generated from the same schemas) into what it stores, so comparing an
 * undefaulted manifest with it would show a change on every apply and diff.
 */
function withNamespace(o: JsonMap): JsonMap {
  const meta = { ...((o['metadata'] ?? {}) as JsonMap) };
  if (typeof meta['namespace'] !== 'string') meta['namespace'] = DEFAULT_NAMESPACE;
  return withDefaults({ ...o, metadata: meta });
}

/** Everything people apply, as stored now (to validate references and merge against). */
export async function liveObjects(store: ObjectStore, kinds: readonly string[] = APPLIED_KINDS): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for (const kind of kinds) out.push(...(await store.list(kind)).items);
  return out;
}

/** What apply compares: the object without status and server-managed metadata. */
function comparable(o: JsonMap): JsonMap {
  const c = appliedConfig(o);
  const ann = ((o['metadata'] as JsonMap | undefined)?.['annotations'] ?? {}) as JsonMap;
  const meta = (c['metadata'] ?? {}) as JsonMap;
  if (Object.keys(ann).length) meta['annotations'] = ann;
  c['metadata'] = meta;
  return c;
}

export async function apply(store: ObjectStore, manifests: readonly JsonMap[], opts: ApplyOptions = {}): Promise<ApplyOutcome[]> {
  const objects = manifests.map(withNamespace);
  const outcomes: ApplyOutcome[] = [];
  const kinds = [...new Set(objects.map((o) => String(o['kind'])))];
  const live = new Map<string, StoredObject>();
  for (const o of await liveObjects(store, kinds))
    live.set(idKey({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), o);

  type Pending = { id: ReturnType<typeof identity>; desired: JsonMap; merged: JsonMap; live?: StoredObject };
  const pending: Pending[] = [];
  for (const desired of objects) {
    const id = identity(desired);
    const current = live.get(idKey(id));
    const merged = mergeForApply(desired, current);
    if (current && jsonEqual(comparable(merged), comparable(current))) {
      outcomes.push({ ...id, action: 'unchanged' });
      continue;
    }
    pending.push({ id, desired, merged, live: current });
  }

  if (!opts.dryRun && pending.length) {
    const results = await store.batch(
      pending.map((p) =>
        p.live ? { op: 'update' as const, object: casInput(p.merged, p.live) } : { op: 'create' as const, object: p.merged as ObjectInput },
      ),
    );
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const r = results[i]!;
      if (r.ok) {
        outcomes.push({ ...p.id, action: p.live ? 'configured' : 'created' });
        continue;
      }
      if (isStoreError(r.error, 'Conflict') || isStoreError(r.error, 'AlreadyExists') || isStoreError(r.error, 'NotFound')) {
        outcomes.push({ ...p.id, action: await applyOneWithRetry(store, p.desired, opts.maxConflictRetries ?? 5) });
        continue;
      }
      throw r.error;
    }
  } else {
    for (const p of pending) outcomes.push({ ...p.id, action: p.live ? 'configured' : 'created' });
  }

  if (opts.prune !== undefined) outcomes.push(...(await prune(store, objects, opts.prune, !!opts.dryRun)));
  return outcomes;
}

function casInput(merged: JsonMap, live: StoredObject): ObjectInput {
  const meta = { ...((merged['metadata'] ?? {}) as JsonMap), resourceVersion: live.metadata.resourceVersion };
  return { ...merged, metadata: meta } as ObjectInput;
}

/** One object, re-reading and re-merging after each conflict (another writer got there first). */
async function applyOneWithRetry(store: ObjectStore, desired: JsonMap, retries: number): Promise<ApplyAction> {
  const id = identity(desired);
  for (let attempt = 0; ; attempt++) {
    let current: StoredObject | undefined;
    try {
      current = await store.get(id.kind, id.namespace, id.name);
    } catch (err) {
      if (!isStoreError(err, 'NotFound')) throw err;
    }
    const merged = mergeForApply(desired, current);
    if (current && jsonEqual(comparable(merged), comparable(current))) return 'unchanged';
    try {
      if (current) {
        await store.update(casInput(merged, current));
        return 'configured';
      }
      await store.create(merged as ObjectInput);
      return 'created';
    } catch (err) {
      const retriable = isStoreError(err, 'Conflict') || isStoreError(err, 'AlreadyExists') || isStoreError(err, 'NotFound');
      if (!retriable || attempt >= retries) throw err;
    }
  }
}

async function prune(store: ObjectStore, applied: readonly JsonMap[], selector: string, dryRun: boolean): Promise<ApplyOutcome[]> {
  const keep = new Set(applied.map((o) => idKey(identity(o))));
  const namespaces = new Set(applied.map((o) => identity(o).namespace));
  const out: ApplyOutcome[] = [];
  for (const kind of APPLIED_KINDS) {
    for (const ns of namespaces) {
      const { items } = await store.list(kind, { namespace: ns, labelSelector: selector });
      for (const o of items) {
        const id = { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
        // Only what apply created is apply's to delete (kubectl's rule).
        if (keep.has(idKey(id)) || !lastApplied(o)) continue;
        if (!dryRun) {
          try {
            await store.delete(id.kind, id.namespace, id.name, { preconditions: { resourceVersion: o.metadata.resourceVersion } });
          } catch (err) {
            if (isStoreError(err, 'NotFound')) continue;
            throw err;
          }
        }
        out.push({ ...id, action: 'pruned' });
      }
    }
  }
  return out;
}

export interface ObjectDiff {
  kind: string;
  namespace: string;
  name: string;
  /** Unified diff text; empty when live already equals what apply would write. */
  patch: string;
}

function diffView(o: JsonMap | undefined): string {
  if (!o) return '';
  const c = appliedConfig(o);
  return toYaml(c, { sortKeys: true });
}

/** Per object: live against what apply would write (server-managed fields and status left out). */
export async function diff(store: ObjectStore, manifests: readonly JsonMap[]): Promise<ObjectDiff[]> {
  const objects = manifests.map(withNamespace);
  const kinds = [...new Set(objects.map((o) => String(o['kind'])))];
  const live = new Map<string, StoredObject>();
  for (const o of await liveObjects(store, kinds))
    live.set(idKey({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), o);
  return objects.map((desired) => {
    const id = identity(desired);
    const current = live.get(idKey(id)) as JsonMap | undefined;
    const merged = mergeForApply(desired, current);
    // Cheap structural comparison first; render and diff text only for real changes.
    if (current && jsonEqual(appliedConfig(merged), appliedConfig(current))) return { ...id, patch: '' };
    const before = diffView(current);
    const after = diffView(merged);
    const plural = kindInfo(id.kind)?.plural ?? id.kind.toLowerCase();
    const label = `${plural}.winha.io/${id.namespace}/${id.name}`;
    const patch =
      before === after ? '' : createTwoFilesPatch(`live/${label}`, `merged/${label}`, before, after, undefined, undefined, { context: 3 });
    return { ...id, patch };
  });
}
