/**
 * The object rules every backend shares, as pure functions over "what is stored
 * now" and "what the caller sent": server-managed metadata, generation, the
 * status subresource, compare-and-swap and delete preconditions.
 */
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError, describeObject } from './errors.js';
import type { DeleteOptions, ObjectInput, ObjectMeta, StoredObject } from './types.js';
import { jsonEqual } from '../lib/json.js';

export const DEFAULT_NAMESPACE = 'default';

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 3339 UTC with second precision, as Kubernetes writes metav1.Time. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseRevision(rv: string | undefined, what: string): number {
  if (rv === undefined) return NaN;
  if (!/^\d+$/.test(rv)) throw new InvalidError(`${what}: resourceVersion "${rv}" is not a revision issued by this store`);
  return Number(rv);
}

export function identify(input: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): {
  kind: string;
  namespace: string;
  name: string;
} {
  const kind = input.kind;
  const name = input.metadata?.name;
  const namespace = input.metadata?.namespace ?? DEFAULT_NAMESPACE;
  if (typeof kind !== 'string' || kind === '') throw new InvalidError('object has no kind');
  if (typeof name !== 'string' || name === '') throw new InvalidError(`${kind} object has no metadata.name`);
  if (typeof namespace !== 'string') throw new InvalidError(`${describeObject(kind, '', name)}: metadata.namespace is not a string`);
  if (name.length > 253 || /[/\\\u0000]/.test(name) || name === '.' || name === '..') {
    throw new InvalidError(`${describeObject(kind, namespace, name)}: invalid name`);
  }
  return { kind, namespace, name };
}

/** Everything outside metadata and status: a change here is a change of desired state. */
function desired(o: ObjectInput | StoredObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function userMeta(m: Partial<ObjectMeta>): Pick<ObjectMeta, 'labels' | 'annotations'> {
  const out: Pick<ObjectMeta, 'labels' | 'annotations'> = {};
  if (m.labels !== undefined && Object.keys(m.labels).length > 0) out.labels = clone(m.labels);
  if (m.annotations !== undefined && Object.keys(m.annotations).length > 0) out.annotations = clone(m.annotations);
  return out;
}

export interface CreateContext {
  revision: number;
  uid: string;
  nowMs: number;
}

export function buildCreate(input: ObjectInput, existing: StoredObject | undefined, ctx: CreateContext): StoredObject {
  const { kind, namespace, name } = identify(input);
  const what = describeObject(kind, namespace, name);
  if (typeof input.apiVersion !== 'string' || input.apiVersion === '') throw new InvalidError(`${what} has no apiVersion`);
  if (input.metadata.resourceVersion) throw new InvalidError(`${what}: resourceVersion must not be set on create`);
  if (existing) throw new AlreadyExistsError(`${what} already exists`);
  // status is written only through updateStatus (Kubernetes drops it on create with a status subresource).
  const rest = clone(desired(input));
  return {
    ...rest,
    apiVersion: input.apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      uid: ctx.uid,
      generation: 1,
      resourceVersion: String(ctx.revision),
      creationTimestamp: timestamp(ctx.nowMs),
      ...userMeta(input.metadata),
    },
  };
}

function checkCas(input: ObjectInput, current: StoredObject | undefined, what: string): StoredObject {
  if (!current) throw new NotFoundError(`${what} not found`);
  const rv = input.metadata.resourceVersion;
  if (rv !== undefined && rv !== '') {
    parseRevision(rv, what);
    if (rv !== current.metadata.resourceVersion) {
      throw new ConflictError(
        `${what} was modified (resourceVersion ${rv} is stale, current ${current.metadata.resourceVersion}); read it again and retry`,
      );
    }
  }
  const uid = input.metadata.uid;
  if (uid !== undefined && uid !== '' && uid !== current.metadata.uid) {
    throw new ConflictError(
      `${what}: uid ${uid} does not match the stored object (${current.metadata.uid}); it was deleted and re-created`,
    );
  }
  return current;
}

/** The new state for update(), or undefined when nothing would change. Revision is set by the caller. */
export function buildUpdate(input: ObjectInput, current: StoredObject | undefined): StoredObject | undefined {
  const { kind, namespace, name } = identify(input);
  const what = describeObject(kind, namespace, name);
  const cur = checkCas(input, current, what);
  if (typeof input.apiVersion !== 'string' || input.apiVersion === '') throw new InvalidError(`${what} has no apiVersion`);
  const specChanged = !jsonEqual(desired(input), desired(cur)) || input.apiVersion !== cur.apiVersion;
  const meta = userMeta(input.metadata);
  const metaChanged = !jsonEqual(meta.labels, cur.metadata.labels) || !jsonEqual(meta.annotations, cur.metadata.annotations);
  if (!specChanged && !metaChanged) return undefined;
  const next: StoredObject = {
    ...clone(desired(input)),
    apiVersion: input.apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      uid: cur.metadata.uid,
      generation: cur.metadata.generation + (specChanged ? 1 : 0),
      resourceVersion: cur.metadata.resourceVersion,
      creationTimestamp: cur.metadata.creationTimestamp,
      ...meta,
    },
  };
  if (cur.status !== undefined) next.status = clone(cur.status);
  return next;
}

/** The new state for updateStatus(), or undefined when the status is unchanged. */
export function buildStatusUpdate(input: ObjectInput, current: StoredObject | undefined): StoredObject | undefined {
  const { kind, namespace, name } = identify(input);
  const cur = checkCas(input, current, describeObject(kind, namespace, name));
  if (jsonEqual(input.status, cur.status)) return undefined;
  const next = clone(cur);
  if (input.status === undefined) delete next.status;
  else next.status = clone(input.status);
  return next;
}

export function checkDelete(
  kind: string,
  namespace: string,
  name: string,
  current: StoredObject | undefined,
  options: DeleteOptions | undefined,
): StoredObject {
  const what = describeObject(kind, namespace, name);
  if (!current) throw new NotFoundError(`${what} not found`);
  const pre = options?.preconditions;
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw new ConflictError(
      `${what} not deleted: precondition resourceVersion ${pre.resourceVersion} does not match ${current.metadata.resourceVersion}`,
    );
  }
  if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw new ConflictError(`${what} not deleted: precondition uid ${pre.uid} does not match ${current.metadata.uid}`);
  }
  return current;
}
