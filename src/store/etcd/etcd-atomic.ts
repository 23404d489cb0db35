/**
 * A guarded batch on etcd (see the `guard` BatchOp): every operation in ONE
 * transaction, so a crash or a kill leaves all of it or none. The transaction
 * compares each written key with the revision it was computed from, and the
 * guard's kinds with the revision the caller validated against: nothing of
 * those kinds modified after it (a range compare), and no deletion after it
 * (the kind's deletion marker, rewritten by every delete).
 *
 * etcd bounds one transaction (--max-txn-ops, default 128, on compares and on
 * writes; --max-request-bytes, default 1.5 MiB): a batch beyond them gets
 * `undefined` and the caller writes it one operation at a time, not atomically.
 */
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { ConflictError, InvalidError } from '../errors.js';
import { buildCreate, buildStatusUpdate, buildUpdate, checkDelete, identify } from '../objects.js';
import { allFailed, guardConflict, guardHeld } from '../ops.js';
import type { BatchOp, BatchResult, StoredObject } from '../types.js';
import { AmbiguousWriteError, type EtcdClient } from './client.js';
import { decodeObject, encodeObject } from './codec.js';
import { prefixEnd, type KeyLayout } from './keys.js';

/** etcd's defaults: --max-txn-ops and --max-request-bytes. */
export const ETCD_MAX_TXN_OPS = 128;
export const ETCD_MAX_REQUEST_BYTES = 1_572_864;
/** Room left in a request for keys, compares and protobuf framing. */
const REQUEST_MARGIN = 16 * 1024;
const ROUNDS = 10;
const EMPTY = Buffer.alloc(0);

type Guard = { op: 'guard'; kinds: string[]; resourceVersion: string };
type Write = Exclude<BatchOp, Guard>;

export interface AtomicContext {
  keys: KeyLayout;
  client: EtcdClient;
  newUid(): string;
  nowMs(): number;
  wrote(revision: number): Promise<void>;
}

function keyOf(keys: KeyLayout, op: Write): string {
  const id = op.op === 'delete' ? { kind: op.kind, namespace: op.namespace, name: op.name } : identify(op.object);
  return keys.object(id.kind, id.namespace, id.name);
}

/** The whole batch in one transaction, or undefined when it cannot fit in one. */
export async function atomicBatch(ctx: AtomicContext, guard: Guard, ops: readonly Write[]): Promise<BatchResult[] | undefined> {
  const keys = [...new Set(ops.map((op) => keyOf(ctx.keys, op)))];
  if (keys.length + 2 * guard.kinds.length > ETCD_MAX_TXN_OPS || keys.length + 1 + guard.kinds.length > ETCD_MAX_TXN_OPS) return undefined;
  const guardCompares = guardComparesOf(ctx.keys, guard);
  for (let round = 0; round < ROUNDS; round++) {
    const read = await readAll(ctx, keys);
    const staged = new Map<string, StoredObject | undefined>(keys.map((k) => [k, read.get(k) ? decodeObject(read.get(k)!) : undefined]));
    const deleted = new Set<string>();
    const results: BatchResult[] = [{ ok: true, object: guardHeld(guard.resourceVersion) }];
    for (const [i, op] of ops.entries()) {
      const key = keyOf(ctx.keys, op);
      try {
        const next = stage(ctx, op, staged.get(key));
        if (next === 'deleted') {
          if (op.op === 'delete') deleted.add(op.kind);
          results.push({ ok: true, object: staged.get(key)! });
          staged.set(key, undefined);
        } else {
          staged.set(key, next);
          results.push({ ok: true, object: next });
        }
      } catch (error) {
        return allFailed(ops.length + 1, error instanceof Error ? error : new Error(String(error)), i + 1);
      }
    }
    const writes: IRequestOp[] = [];
    const compares: ICompare[] = [...guardCompares];
    let bytes = 0;
    for (const k of keys) {
      const now = staged.get(k);
      const before = read.get(k);
      const value = now ? encodeObject(now) : null;
      if (value && before && value.equals(before.value)) continue; // unchanged (an update that changes nothing)
      if (!value && !before) continue;
      compares.push(unchanged(k, before));
      writes.push(value ? { request_put: { key: Buffer.from(k), value } } : { request_delete_range: { key: Buffer.from(k) } });
      bytes += k.length * 2 + (value?.length ?? 0);
    }
    if (bytes > ETCD_MAX_REQUEST_BYTES - REQUEST_MARGIN) return undefined;
    if (writes.length === 0) return results;
    writes.push({ request_put: { key: Buffer.from(ctx.keys.head), value: EMPTY } });
    for (const kind of deleted) writes.push({ request_put: { key: Buffer.from(ctx.keys.deletedMarker(kind)), value: EMPTY } });
    let revision: string;
    try {
      const res = await ctx.client.txn({ compare: compares, success: writes, failure: [] }, `apply ${ops.length} objects`);
      if (!res.succeeded) {
        // Our keys as read? Then the guard failed: the caller validated against an older state.
        const again = await readAll(ctx, keys);
        if (keys.every((k) => again.get(k)?.mod_revision === read.get(k)?.mod_revision))
          return allFailed(ops.length + 1, guardConflict(guard));
        continue;
      }
      revision = String(res.header.revision);
      await ctx.wrote(Number(res.header.revision));
    } catch (e) {
      if (!(e instanceof AmbiguousWriteError)) throw e;
      // The answer was lost: it committed if the first written key now holds our bytes.
      const landed = await landedAt(ctx, writes[0]!, read);
      if (landed === undefined) throw e;
      revision = landed;
    }
    return results.map((r) => (r.ok && r.object.kind !== 'Guard' ? { ok: true, object: withRevision(r.object, revision) } : r));
  }
  return allFailed(ops.length + 1, new ConflictError(`the objects kept changing under ${ROUNDS} attempts; read them again and retry`));
}

/** The guard as compares: nothing of its kinds modified, and none deleted, after its revision. */
export function guardComparesOf(keys: KeyLayout, guard: Guard): ICompare[] {
  const after = Number(guard.resourceVersion) + 1;
  return guard.kinds.flatMap((kind): ICompare[] => {
    const prefix = Buffer.from(keys.kindPrefix(kind));
    return [
      { key: prefix, range_end: prefixEnd(prefix), target: 'Mod', result: 'Less', mod_revision: after },
      { key: Buffer.from(keys.deletedMarker(kind)), target: 'Mod', result: 'Less', mod_revision: after },
    ];
  });
}

/** The object after one operation on `cur`, or 'deleted'. Throws the object rules' errors. */
function stage(ctx: AtomicContext, op: Write, cur: StoredObject | undefined): StoredObject | 'deleted' {
  switch (op.op) {
    case 'create':
      return buildCreate(op.object, cur, { revision: 0, uid: ctx.newUid(), nowMs: ctx.nowMs() });
    case 'update':
      return buildUpdate(op.object, cur) ?? cur!;
    case 'updateStatus':
      return buildStatusUpdate(op.object, cur) ?? cur!;
    case 'delete':
      checkDelete(op.kind, op.namespace, op.name, cur, op.options);
      return 'deleted';
    default:
      throw new InvalidError('a guard must be the first operation of its batch');
  }
}

/** Every key, read in one transaction (one revision). */
async function readAll(ctx: AtomicContext, keys: readonly string[]): Promise<Map<string, IKeyValue>> {
  const res = await ctx.client.txn(
    { compare: [], success: keys.map((k) => ({ request_range: { key: Buffer.from(k) } })), failure: [] },
    `read ${keys.length} objects`,
  );
  const out = new Map<string, IKeyValue>();
  res.responses.forEach((r, i) => {
    const kv = r.response_range?.kvs[0];
    if (kv) out.set(keys[i]!, kv);
  });
  return out;
}

async function landedAt(ctx: AtomicContext, first: IRequestOp, read: Map<string, IKeyValue>): Promise<string | undefined> {
  const key = (first.request_put?.key ?? first.request_delete_range?.key)!.toString();
  const now = (await readAll(ctx, [key])).get(key);
  const value = first.request_put?.value;
  if (value) return now && now.value.equals(value) && now.mod_revision !== read.get(key)?.mod_revision ? now.mod_revision : undefined;
  return undefined; // a delete's landing cannot be told from its absence; let the caller retry the whole apply
}

function unchanged(key: string, kv: IKeyValue | undefined): ICompare {
  return kv
    ? { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }
    : { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 };
}

function withRevision(o: StoredObject, revision: string): StoredObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: revision } };
}
