/**
 * Runs ObjectStore operations against a transaction: the one implementation of
 * create/update/updateStatus/delete that the local backends share.
 */
import type { Txn } from './engine.js';
import { buildCreate, buildStatusUpdate, buildUpdate, checkDelete, clone, identify } from './objects.js';
import type { BatchOp, BatchResult, StoredObject } from './types.js';

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
  }
}

export function runBatch(txn: Txn, ops: readonly BatchOp[], ctx: OpContext): BatchResult[] {
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
