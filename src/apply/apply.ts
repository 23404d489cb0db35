/**
 * `winha apply` and `winha diff` as library functions over an ObjectStore.
 *
 * apply: create or three-way-merge each object (see merge.ts), writing only
 * objects that change, with the prunes, in one guarded batch (all or nothing,
 * validated against the snapshot it is guarded by); another writer in between
 * means read, validate and merge again (bounded). With prune, objects that an
 * earlier apply created, that match the selector and that are no longer in the
 * set are deleted.
 */
import { toYaml } from '../lib/yaml.js';
import { createTwoFilesPatch } from 'diff';
import { KINDS, kindInfo } from '../api/kinds.js';
import { DEFAULT_NAMESPACE } from '../api/defaults.js';
import { withDefaults } from '../api/with-defaults.js';
import type { BatchOp, ObjectInput, ObjectStore, StoredObject } from '../store/types.js';
import { InvalidError, describeObject, isStoreError } from '../store/errors.js';
import { compileSelector } from '../store/selector.js';
import { LAST_APPLIED_ANNOTATION, appliedConfig, jsonEqual, lastApplied, mergeForApply } from './merge.js';

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
  /** Prune exactly these objects (`Kind/namespace/name`, any namespace) once the set no longer has them: an inventory's. */
  pruneKeys?: ReadonlySet<string>;
  /** Whole attempts (read, validate, merge, write) when other writers keep changing the store (default 10). */
  maxConflictRetries?: number;
  /**
   * Checks the set against the store's objects, read in the same snapshot the
   * write is guarded by; returns undefined when valid, else what to report
   * (apply then throws ApplyRejectedError with it and writes nothing).
   */
  validate?: (live: readonly StoredObject[]) => unknown;
}

/** The kinds people apply (Events are written by agents only, Syncs by `winha sync`). */
export const APPLIED_KINDS = KINDS.filter((k) => k.kind !== 'Event' && k.kind !== 'Sync').map((k) => k.kind);

export function identity(o: JsonMap): { kind: string; namespace: string; name: string } {
  const meta = (o['metadata'] ?? {}) as JsonMap;
  return {
    kind: String(o['kind']),
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE,
    name: String(meta['name']),
  };
}

export function idKey(o: { kind: string; namespace: string; name: string }): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

function storedId(o: StoredObject): { kind: string; namespace: string; name: string } {
  return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
}

/** idKey of a stored object. */
export function storedKey(o: StoredObject): string {
  return idKey(storedId(o));
}

/**
 * The object with its namespace made explicit (the store keys on it) and every
 * schema default filled in: a Kubernetes API server fills the CRDs' defaults
 * (generated from the same schemas) into what it stores, so comparing an
 * undefaulted manifest with it would show a change on every apply and diff.
 */
export function withNamespace(o: JsonMap): JsonMap {
  const meta = { ...((o['metadata'] ?? {}) as JsonMap) };
  if (typeof meta['namespace'] !== 'string') meta['namespace'] = DEFAULT_NAMESPACE;
  return withDefaults({ ...o, metadata: meta });
}

/** Everything people apply, as stored now (to validate references and merge against). */
export async function liveObjects(store: ObjectStore, kinds: readonly string[] = APPLIED_KINDS): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for (const kind of kinds) for (const o of (await store.list(kind)).items) out.push(o);
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

/** The stored form (JSON, last-applied copy included) must fit one etcd request (1.5 MiB) with room for its key. */
export const MAX_STORED_OBJECT_BYTES = 1_572_864 - 16 * 1024;
/** Whole attempts (read, validate, merge, write) before apply gives up under other writers. */
const MAX_ATTEMPTS = 10;

/** Validation against the store refused the set: nothing was written. `detail` is what the validator returned. */
export class ApplyRejectedError extends Error {
  constructor(readonly detail: unknown) {
    super('the manifests are invalid against the objects in the store; nothing was written');
  }
}

type Pending = { id: ReturnType<typeof identity>; merged: JsonMap; live?: StoredObject };

/**
 * Read every applied kind (the snapshot validate and merge use), validate, then
 * write all changes in one guarded batch: if any applied object changed since
 * the snapshot, or any write fails, nothing is written and it starts again.
 */
export async function apply(store: ObjectStore, manifests: readonly JsonMap[], opts: ApplyOptions = {}): Promise<ApplyOutcome[]> {
  const objects = manifests.map(withNamespace);
  // A bad selector fails here, before any read or write.
  const prune = opts.prune !== undefined ? compileSelector(opts.prune) : undefined;
  for (let attempt = 1; ; attempt++) {
    const { items, revision } = await snapshot(store);
    if (opts.validate) {
      const rejected = await opts.validate(items);
      if (rejected !== undefined) throw new ApplyRejectedError(rejected);
    }
    const { outcomes, pending, pruned } = plan(items, objects, prune, opts.pruneKeys);
    for (const p of pending) checkStoredSize(p);
    if (opts.dryRun || pending.length + pruned.length === 0) return outcomes;
    const ops: BatchOp[] = [
      { op: 'guard', kinds: [...APPLIED_KINDS], resourceVersion: revision },
      ...pending.map((p): BatchOp =>
        p.live ? { op: 'update', object: casInput(p.merged, p.live) } : { op: 'create', object: p.merged as ObjectInput },
      ),
      ...pruned.map((o): BatchOp => ({
        op: 'delete',
        kind: o.kind,
        namespace: o.metadata.namespace,
        name: o.metadata.name,
        options: { preconditions: { resourceVersion: o.metadata.resourceVersion } },
      })),
    ];
    const results = await store.batch(ops);
    const failed = results.find((r) => !r.ok);
    if (!failed || failed.ok) return outcomes;
    const err = failed.error;
    const retriable =
      isStoreError(err, 'Conflict') ||
      isStoreError(err, 'AlreadyExists') ||
      (isStoreError(err, 'NotFound') && err.reason !== 'NamespaceMissing');
    if (!retriable || attempt >= (opts.maxConflictRetries ?? MAX_ATTEMPTS)) throw err;
  }
}

export interface ApplyPlan {
  /** In manifest order, then the prunes. */
  outcomes: ApplyOutcome[];
  pending: Pending[];
  pruned: StoredObject[];
}

/** What apply would write over `items` (the store's applied objects, as read): no I/O. */
function plan(
  items: readonly StoredObject[],
  objects: readonly JsonMap[],
  prune: ((l: Record<string, string> | undefined) => boolean) | undefined,
  pruneKeys: ReadonlySet<string> | undefined,
): ApplyPlan {
  const live = new Map(items.map((o) => [storedKey(o), o]));
  const outcomes: ApplyOutcome[] = [];
  const pending: Pending[] = [];
  for (const desired of objects) {
    const id = identity(desired);
    const current = live.get(idKey(id));
    const merged = mergeForApply(desired, current);
    const same = current && jsonEqual(comparable(merged), comparable(current));
    outcomes.push({ ...id, action: same ? 'unchanged' : current ? 'configured' : 'created' });
    if (!same) pending.push({ id, merged, ...(current ? { live: current } : {}) });
  }
  const pruned = [...(prune ? toPrune(items, objects, prune) : []), ...(pruneKeys ? listed(items, objects, pruneKeys) : [])];
  for (const o of pruned) outcomes.push({ ...storedId(o), action: 'pruned' });
  return { outcomes, pending, pruned };
}

/** apply's outcomes over objects already read (liveObjects), without reading the store again: a dry run. */
export function planApply(
  items: readonly StoredObject[],
  manifests: readonly JsonMap[],
  opts: { pruneKeys?: ReadonlySet<string> } = {},
): ApplyOutcome[] {
  return plan(items, manifests.map(withNamespace), undefined, opts.pruneKeys).outcomes;
}

/** Every applied kind, and a revision no later than any list's: the guard's "unchanged since". */
async function snapshot(store: ObjectStore): Promise<{ items: StoredObject[]; revision: string }> {
  const items: StoredObject[] = [];
  let revision: string | undefined;
  for (const kind of APPLIED_KINDS) {
    const l = await store.list(kind);
    revision ??= l.resourceVersion;
    for (const o of l.items) items.push(o);
  }
  return { items, revision: revision ?? '0' };
}

function checkStoredSize(p: Pending): void {
  const bytes = Buffer.byteLength(JSON.stringify(p.merged));
  if (bytes <= MAX_STORED_OBJECT_BYTES) return;
  throw new InvalidError(
    `${describeObject(p.id.kind, p.id.namespace, p.id.name)}: stored it would be ${bytes} bytes (the manifest plus its ${LAST_APPLIED_ANNOTATION} copy), over the ${MAX_STORED_OBJECT_BYTES} bytes one etcd request carries; nothing was written`,
  );
}

/** Objects an earlier apply created, matching the selector, in the set's namespaces, no longer in the set (kubectl's rule). */
function toPrune(
  items: readonly StoredObject[],
  applied: readonly JsonMap[],
  matches: (l: Record<string, string> | undefined) => boolean,
): StoredObject[] {
  const keep = new Set(applied.map((o) => idKey(identity(o))));
  const namespaces = new Set(applied.map((o) => identity(o).namespace));
  return items.filter(
    (o) => namespaces.has(o.metadata.namespace) && matches(o.metadata.labels) && !!lastApplied(o) && !keep.has(storedKey(o)),
  );
}

/** Objects named in `keys`, applied by someone (last-applied), no longer in the set. */
function listed(items: readonly StoredObject[], applied: readonly JsonMap[], keys: ReadonlySet<string>): StoredObject[] {
  const keep = new Set(applied.map((o) => idKey(identity(o))));
  return items.filter((o) => {
    const k = storedKey(o);
    return keys.has(k) && !keep.has(k) && !!lastApplied(o);
  });
}

function casInput(merged: JsonMap, live: StoredObject): ObjectInput {
  const meta = { ...((merged['metadata'] ?? {}) as JsonMap), resourceVersion: live.metadata.resourceVersion };
  return { ...merged, metadata: meta } as ObjectInput;
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
  const kinds = [...new Set(manifests.map((o) => String(o['kind'])))];
  return diffObjects(await liveObjects(store, kinds), manifests);
}

/** diff over objects already read (liveObjects), without reading the store again. */
export function diffObjects(items: readonly StoredObject[], manifests: readonly JsonMap[]): ObjectDiff[] {
  const live = new Map(items.map((o) => [storedKey(o), o]));
  return manifests.map(withNamespace).map((desired) => {
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
