/**
 * A store connection that a simulated network partition can cut (the
 * `storePartition` / `storeHeal` faults of design §5): while cut, every call
 * fails with Unavailable — as an unreachable etcd answers — and every open
 * watch breaks at once with Unavailable, so the holder sees what it would see
 * on a real machine cut from the store: failed renewals and dead watches.
 */
import { UnavailableError } from '../../store/errors.js';
import type { LeaseRecord, LeaseStore, ObjectStore, Store, Watch, WatchEvent } from '../../store/types.js';

function unavailable(): UnavailableError {
  return new UnavailableError('store unreachable (simulated network partition)');
}

export class CuttableStore implements Store {
  private isCut = false;
  private readonly open = new Set<(e: Error) => void>();
  readonly objects: ObjectStore;
  readonly leases: LeaseStore;

  constructor(
    private readonly inner: Store,
    cut = false,
  ) {
    this.isCut = cut;
    const guard = <T>(fn: () => Promise<T>): Promise<T> => (this.isCut ? Promise.reject(unavailable()) : fn());
    const o = inner.objects;
    const l = inner.leases;
    this.objects = {
      get: (k, n, name) => guard(() => o.get(k, n, name)),
      list: (k, opts) => guard(() => o.list(k, opts)),
      watch: (k, opts) => this.watch(k, opts),
      create: (x) => guard(() => o.create(x)),
      update: (x) => guard(() => o.update(x)),
      updateStatus: (x) => guard(() => o.updateStatus(x)),
      delete: (k, n, name, opts) => guard(() => o.delete(k, n, name, opts)),
      batch: (ops) => guard(() => o.batch(ops)),
    };
    this.leases = {
      get: (n) => guard(() => l.get(n)),
      ...(l.list ? { list: (p: string) => guard(() => l.list!(p)) } : {}),
      ...(l.renewMany ? { renewMany: (r: LeaseRecord[], d: number) => guard(() => l.renewMany!(r, d)) } : {}),
      acquire: (n, h, d, v, c) => guard(() => l.acquire(n, h, d, v, c)),
      renew: (n, h, e) => guard(() => l.renew(n, h, e)),
      release: (n, h, e) => guard(() => l.release(n, h, e)),
      remainingMs: (r) => l.remainingMs(r),
    };
  }

  get cut(): boolean {
    return this.isCut;
  }

  /** Cut (true) or heal (false) this connection. Cutting breaks every open watch. */
  setCut(cut: boolean): void {
    this.isCut = cut;
    if (!cut) return;
    const breakers = [...this.open];
    this.open.clear();
    for (const b of breakers) b(unavailable());
  }

  private watch(kind: string, opts: Parameters<ObjectStore['watch']>[1]): Watch {
    if (this.isCut) throw unavailable();
    const inner = this.inner.objects.watch(kind, opts);
    let breakWith: (e: Error) => void = () => undefined;
    const broken = new Promise<never>((_, reject) => {
      breakWith = reject;
    });
    broken.catch(() => undefined);
    this.open.add(breakWith);
    const forget = () => this.open.delete(breakWith);
    return {
      close: () => {
        forget();
        inner.close();
      },
      [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
        const it = inner[Symbol.asyncIterator]();
        return {
          next: () => Promise.race([it.next(), broken]),
          return: async () => {
            forget();
            inner.close();
            await it.return?.();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  get url(): string {
    return this.inner.url;
  }

  close(): Promise<void> {
    this.open.clear();
    return this.inner.close();
  }
}
