/**
 * Runs ObjectStore operations against a transaction: the one implementation of
 * create/update/updateStatus/delete that the local backends share.
 */
import type { Txn } from './engine.js';
import { buildCreate, buildStatusUpdate, buildUpdate, checkDelete, clone, identify } from './objects.js';
import type { BatchOp, BatchResult, ObjectStore, StoredObject } from './types.js';
import { ConflictError, InvalidError } from './errors.js';

export interface OpContext {
  /** Wall-clock ms for creationTimestamp. */
  nowMs(): number;
  newUid(): string;
}

/** Stage one operation; returns the resulting object (a copy the caller may keep). Throws StoreError. */
export function runOp(txn: Txn, op: BatchOp, ctx: OpContext): StoredObject {
  switch (op.op) {
    case 'create': {
      const { kind, namespace, name } = identify(op.object);
      const existing = txn.getObject(kind, namespace, name);
      const obj = buildCreate(op.object, existing, { revision: txn.nextRevision(), uid: ctx.newUid(), nowMs: ctx.nowMs() });
      return clone(txn.putObject(obj));
    }
    case 'update':
    case 'updateStatus': {
      const { kind, namespace, name } = identify(op.object);
      const cur = txn.getObject(kind, namespace, name);
      const next = op.op === 'update' ? buildUpdate(op.object, cur) : buildStatusUpdate(op.object, cur);
      // Unchanged: Kubernetes treats it as a no-op (same resourceVersion, no event).
      if (next === undefined) return clone(cur!);
      return clone(txn.putObject(next));
    }
    case 'delete': {
      const cur = txn.getObject(op.kind, op.namespace, op.name);
      const last = checkDelete(op.kind, op.namespace, op.name, cur, op.options);
      return clone(txn.deleteObject(last));
    }
    case 'guard':
      throw guardMisplaced();
  }
}

export function runBatch(txn: Txn, ops: readonly BatchOp[], ctx: OpContext): BatchResult[] {
  const first = ops[0];
  if (first?.op === 'guard') return runGuarded(txn, first, ops.slice(1), ctx);
  return ops.map((op) => {
    try {
      return { ok: true, object: runOp(txn, op, ctx) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  });
}

/** Unwrap a single-op batch result. */
export function single(results: BatchResult[]): StoredObject {
  const r = results[0]!;
  if (!r.ok) throw r.error;
  return r.object;
}

/** The placeholder result of a guard that held at `revision`. */
export function guardHeld(revision: string | number): StoredObject {
  const metadata = { name: 'guard', namespace: '', uid: '', generation: 0, resourceVersion: String(revision), creationTimestamp: '' };
  return { apiVersion: 'v1', kind: 'Guard', metadata };
}

/** The guard's Conflict: objects it watches changed since the caller read them. */
export function guardConflict(guard: { kinds: string[]; resourceVersion: string }): ConflictError {
  return new ConflictError(`objects of kinds ${guard.kinds.join(', ')} changed after revision ${guard.resourceVersion}; read them again`);
}

/** Every result failed: `cause` for the operation that did, "not written" for the others. */
export function allFailed(count: number, cause: Error, at = -1): BatchResult[] {
  const others = new ConflictError(`not written: the batch is all or nothing and one operation failed (${cause.message})`);
  return Array.from({ length: count }, (_, i) => ({ ok: false as const, error: i === at || at < 0 ? cause : others }));
}

/** A guarded batch: the guard checked against the committed history, then all operations or none. */
function runGuarded(txn: Txn, guard: { kinds: string[]; resourceVersion: string }, ops: readonly BatchOp[], ctx: OpContext): BatchResult[] {
  if (txn.changedSince(new Set(guard.kinds), Number(guard.resourceVersion))) return allFailed(ops.length + 1, guardConflict(guard));
  const results: BatchResult[] = [{ ok: true, object: guardHeld(txn.baseRevision) }];
  for (const [i, op] of ops.entries()) {
    try {
      results.push({ ok: true, object: runOp(txn, op, ctx) });
    } catch (error) {
      txn.discard();
      return allFailed(ops.length + 1, error instanceof Error ? error : new Error(String(error)), i + 1);
    }
  }
  return results;
}

export function guardMisplaced(): InvalidError {
  return new InvalidError('a guard must be the first operation of its batch');
}

/**
 * For a backend without transactions (Kubernetes): the guard checked by listing
 * just before the writes, which then go one by one (a narrow window, not none;
 * deletions after the revision are not seen).
 */
export async function guardByListing(
  store: ObjectStore,
  guard: { kinds: string[]; resourceVersion: string },
  ops: BatchOp[],
): Promise<BatchResult[]> {
  for (const kind of guard.kinds) {
    const { items } = await store.list(kind);
    if (items.some((o) => Number(o.metadata.resourceVersion) > Number(guard.resourceVersion)))
      return allFailed(ops.length + 1, guardConflict(guard));
  }
  return [{ ok: true, object: guardHeld(guard.resourceVersion) }, ...(await store.batch(ops))];
}
