/**
 * The ObjectStore surface shared by every backend that keeps an Engine (the
 * in-memory state at a revision): reads come from the engine after `sync()`
 * (memory: nothing to do; file: catch up with the journal), writes go through
 * `batch()`, which each backend commits its own way.
 */
import type { Clock } from '../lib/clock.js';
import type { Engine } from './engine.js';
import { NotFoundError, UnavailableError, describeObject } from './errors.js';
import { clone } from './objects.js';
import { BatchWrites } from './batch-writes.js';
import { compileSelector } from './selector.js';
import type { ListOptions, ListResult, ObjectStore, StoredObject, Watch, WatchOptions } from './types.js';
import { EngineWatch, type WatchSource } from './watch.js';

export abstract class EngineStore extends BatchWrites implements ObjectStore, WatchSource {
  abstract readonly url: string;
  abstract readonly engine: Engine;
  abstract readonly clock: Clock;
  protected readonly watches = new Set<Watch>();
  protected closed = false;

  /** Bring the engine up to date with the backend; fails when the store is closed. */
  abstract sync(): Promise<void>;

  protected check(): void {
    if (this.closed) throw new UnavailableError(`store ${this.url} is closed`);
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredObject> {
    await this.sync();
    const o = this.engine.getObject(kind, namespace, name);
    if (!o) throw new NotFoundError(`${describeObject(kind, namespace, name)} not found`);
    return clone(o);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    const matches = compileSelector(options.labelSelector);
    await this.sync();
    const items = this.engine.listObjects(kind, options.namespace, matches).map(clone);
    return { items, resourceVersion: String(this.engine.revision) };
  }

  watch(kind: string, options?: WatchOptions): Watch {
    this.check();
    const w = new EngineWatch(this, kind, options);
    this.watches.add(w);
    return w;
  }
}
