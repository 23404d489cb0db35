/**
 * Single-object writes expressed as a one-operation batch, for backends whose
 * batch() already applies the object rules (memory, file, etcd): one write path.
 */
import { single } from './ops.js';
import type { BatchOp, BatchResult, DeleteOptions, ObjectInput, StoredObject } from './types.js';

export abstract class BatchWrites {
  abstract batch(ops: BatchOp[]): Promise<BatchResult[]>;

  create(object: ObjectInput): Promise<StoredObject> {
    return this.one({ op: 'create', object });
  }
  update(object: ObjectInput): Promise<StoredObject> {
    return this.one({ op: 'update', object });
  }
  updateStatus(object: ObjectInput): Promise<StoredObject> {
    return this.one({ op: 'updateStatus', object });
  }
  delete(kind: string, namespace: string, name: string, options?: DeleteOptions): Promise<StoredObject> {
    return this.one({ op: 'delete', kind, namespace, name, ...(options ? { options } : {}) });
  }

  private async one(op: BatchOp): Promise<StoredObject> {
    return single(await this.batch([op]));
  }
}
