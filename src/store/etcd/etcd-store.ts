/**
 * etcd:// — the distributed backend: ObjectStore and LeaseStore on an etcd
 * v3 cluster (design §3; issue 7).
 *
 * - resourceVersion = the key's mod_revision; a list's resourceVersion = the
 *   header revision of its range (a consistent snapshot).
 * - Every write is one etcd transaction that compares the key's mod_revision
 *   with the one just read (create: compares create_revision = 0), so the
 *   pure rules of objects.ts (generation, status subresource, preconditions,
 *   no-op updates) are applied to exactly the state they were computed from.
 *   A lost compare means someone wrote in between: read again and re-apply
 *   the rules (a caller's stale resourceVersion then becomes Conflict).
 * - A batch runs its operations one transaction each, in order, so each one
 *   succeeds or fails on its own and gets its own revision; a batch opened by
 *   a guard is one transaction, all or nothing (etcd-atomic.ts).
 * - A write whose answer was lost (timeout) may have committed: the next read
 *   recognises our own value (same bytes, new revision) and reports success
 *   instead of a false AlreadyExists/Conflict.
 * - Leases: the same client-side expiry rule as every backend (LeaseClient,
 *   see README "Leases on etcd"), on CAS transactions of P/leases/<name>.
 */
import { SystemClock, type Clock } from '../../lib/clock.js';
import { uuid, type Random } from '../../lib/random.js';
import { ConflictError, InvalidError, NotFoundError, UnavailableError, describeObject } from '../errors.js';
import { allFailed, guardConflict, guardHeld } from '../ops.js';
import { atomicBatch, ETCD_MAX_TXN_OPS, guardComparesOf } from './etcd-atomic.js';
import { LeaseClient, type LeaseBackend, type LeaseWrite } from '../lease-client.js';
import { buildCreate, buildStatusUpdate, buildUpdate, checkDelete, identify } from '../objects.js';
import { BatchWrites } from '../batch-writes.js';
import { compileSelector } from '../selector.js';
import type {
  BatchOp,
  BatchResult,
  LeaseRecord,
  ListOptions,
  ListResult,
  ObjectStore,
  Store,
  StoredObject,
  Watch,
  WatchOptions,
} from '../types.js';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { AmbiguousWriteError, EtcdClient } from './client.js';
import { Compactor } from './compactor.js';
import { decodeLease, decodeObject, encodeLease, encodeObject } from './codec.js';
import { resolveEtcdConfig, type EtcdConfig, type EtcdConnectionOptions } from './config.js';
import { EtcdWatch, type EtcdWatchSource } from './etcd-watch.js';
import { KeyLayout, prefixEnd } from './keys.js';

export const DEFAULT_ETCD_HISTORY_LIMIT = 10_000;
/** Rounds of "read, apply the rules, compare-and-swap" before giving up under contention. */
const MAX_ROUNDS = 10;
const PAGE_SIZE = 500;
const EMPTY = Buffer.alloc(0);

export interface EtcdStoreOptions {
  /** Timestamps, lease observations and bookmarks (virtual in tests). */
  clock?: Clock;
  /** Real time for deadlines and reconnection delays. */
  ioClock?: Clock;
  random?: Random;
  /** Revisions kept for watch resume; the backend compacts older ones (0: leave it to etcd). */
  historyLimit?: number;
  etcd?: EtcdConnectionOptions;
  env?: Record<string, string | undefined>;
}

export function openEtcdStore(url: string, options: EtcdStoreOptions = {}): EtcdStore {
  return new EtcdStore(url, resolveEtcdConfig(url, options.etcd, options.env), options);
}

export class EtcdStore extends BatchWrites implements Store, ObjectStore, LeaseBackend, EtcdWatchSource {
  readonly objects: ObjectStore = this;
  readonly leases: LeaseClient;
  readonly keys: KeyLayout;
  readonly client: EtcdClient;
  readonly clock: Clock;
  readonly ioClock: Clock;
  private readonly random: Random | undefined;
  private readonly compactor: Compactor;
  private readonly watches = new Set<Watch>();
  private closed = false;

  constructor(
    readonly url: string,
    config: EtcdConfig,
    options: EtcdStoreOptions = {},
  ) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.ioClock = options.ioClock ?? new SystemClock();
    this.random = options.random;
    this.keys = new KeyLayout(config.prefix);
    this.client = new EtcdClient(config, this.ioClock);
    this.compactor = new Compactor(this.client, options.historyLimit ?? DEFAULT_ETCD_HISTORY_LIMIT);
    this.leases = new LeaseClient(this, this.clock);
  }

  // ---- reads

  async get(kind: string, namespace: string, name: string): Promise<StoredObject> {
    const what = describeObject(kind, namespace, name);
    const { kv } = await this.readKey(this.keys.object(kind, namespace, name), `get ${what}`);
    if (!kv) throw new NotFoundError(`${what} not found`);
    return decodeObject(kv);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    const matches = compileSelector(options.labelSelector);
    const what = `list ${describeObject(kind, options.namespace ?? '', '*')}`;
    const { kvs, revision } = await this.listPrefix(this.keys.kindPrefix(kind, options.namespace), what);
    const items = kvs.map(decodeObject).filter((o) => matches(o.metadata.labels));
    return { items, resourceVersion: revision };
  }

  watch(kind: string, options?: WatchOptions): Watch {
    this.check();
    const w = new EtcdWatch(this, kind, options);
    this.watches.add(w);
    return w;
  }

  // ---- writes

  async batch(ops: BatchOp[]): Promise<BatchResult[]> {
    this.check();
    const first = ops[0];
    if (first?.op === 'guard') return this.guarded(first, ops.slice(1));
    return this.oneByOne(ops);
  }

  /** A guarded batch: one transaction when it fits (etcd-atomic.ts), else the guard checked first, then one by one. */
  private async guarded(guard: Extract<BatchOp, { op: 'guard' }>, ops: BatchOp[]): Promise<BatchResult[]> {
    const writes = ops.filter((o): o is Exclude<BatchOp, { op: 'guard' }> => o.op !== 'guard');
    if (writes.length !== ops.length)
      return allFailed(ops.length + 1, new InvalidError('a guard must be the first operation of its batch'));
    const ctx = {
      keys: this.keys,
      client: this.client,
      newUid: () => uuid(this.random),
      nowMs: () => this.clock.now(),
      wrote: (revision: number) => this.compactor.wrote(revision),
    };
    const atomic = await atomicBatch(ctx, guard, writes);
    if (atomic) return atomic;
    const held = await this.client.txn({ compare: guardComparesOf(this.keys, guard), success: [], failure: [] }, 'check guard');
    if (!held.succeeded) return allFailed(ops.length + 1, guardConflict(guard));
    return [{ ok: true, object: guardHeld(guard.resourceVersion) }, ...(await this.oneByOne(writes))];
  }

  private async oneByOne(ops: BatchOp[]): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    let down: UnavailableError | undefined;
    for (const op of ops) {
      if (down) {
        // etcd is unreachable: do not spend a deadline on each remaining operation.
        results.push({ ok: false, error: new UnavailableError(`not attempted: ${down.message}`) });
        continue;
      }
      try {
        results.push({ ok: true, object: await this.apply(op) });
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        if (err instanceof UnavailableError) down = err;
        results.push({ ok: false, error: err });
      }
    }
    return results;
  }

  /** One operation: read, apply the object rules, compare-and-swap; again if someone wrote in between. */
  private async apply(op: BatchOp): Promise<StoredObject> {
    if (op.op === 'guard') throw new InvalidError('a guard must be the first operation of its batch');
    const id = op.op === 'delete' ? { kind: op.kind, namespace: op.namespace, name: op.name } : identify(op.object);
    const key = this.keys.object(id.kind, id.namespace, id.name);
    const what = `${op.op} ${describeObject(id.kind, id.namespace, id.name)}`;
    const started = this.ioClock.monotonic();
    let uncertain: { value: Buffer | null; revision: string | undefined; last: StoredObject | undefined } | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { kv, revision: readAt } = await this.readKey(key, what);
      if (uncertain) {
        const landed = uncertain.value
          ? kv !== undefined && kv.value.equals(uncertain.value) && kv.mod_revision !== uncertain.revision
          : kv === undefined && uncertain.last !== undefined;
        if (landed) {
          if (kv) return decodeObject(kv);
          return withRevision(uncertain.last!, readAt); // deleted; the exact revision is not known, this one is after it
        }
        uncertain = undefined;
      }
      const cur = kv ? decodeObject(kv) : undefined;
      let next: StoredObject | undefined;
      switch (op.op) {
        case 'create':
          next = buildCreate(op.object, cur, { revision: 0, uid: uuid(this.random), nowMs: this.clock.now() });
          break;
        case 'update':
          next = buildUpdate(op.object, cur);
          if (next === undefined) return cur!; // unchanged: no write, no revision, no event
          break;
        case 'updateStatus':
          next = buildStatusUpdate(op.object, cur);
          if (next === undefined) return cur!;
          break;
        case 'delete':
          checkDelete(op.kind, op.namespace, op.name, cur, op.options);
          break;
      }
      const value = next ? encodeObject(next) : null;
      const write: IRequestOp = value
        ? { request_put: { key: Buffer.from(key), value } }
        : { request_delete_range: { key: Buffer.from(key) } };
      // A delete also stamps its kind's marker, so guards see deletions (etcd-atomic.ts).
      const marker: IRequestOp[] = value ? [] : [{ request_put: { key: Buffer.from(this.keys.deletedMarker(id.kind)), value: EMPTY } }];
      try {
        const res = await this.client.txn(
          {
            compare: [unchanged(key, kv)],
            success: [write, { request_put: { key: Buffer.from(this.keys.head), value: EMPTY } }, ...marker],
            failure: [],
          },
          what,
        );
        if (!res.succeeded) continue;
        await this.compactor.wrote(Number(res.header.revision));
        return withRevision(next ?? cur!, res.header.revision);
      } catch (e) {
        // Look again (once the budget is spent, report it: the caller must see an answer in time).
        const spent = this.ioClock.monotonic() - started > this.client.config.requestTimeoutMs;
        if (!(e instanceof AmbiguousWriteError) || spent || round + 1 >= MAX_ROUNDS) throw e;
        uncertain = { value, revision: kv?.mod_revision, last: cur };
      }
    }
    throw new ConflictError(`${what}: the object kept changing under ${MAX_ROUNDS} attempts; read it again and retry`);
  }

  // ---- LeaseBackend (the expiry rule is LeaseClient's)

  async readLease(name: string): Promise<LeaseRecord | null> {
    const { kv } = await this.readKey(this.keys.lease(name), `read lease ${name}`);
    return kv ? decodeLease(kv) : null;
  }

  async listLeases(prefix: string): Promise<LeaseRecord[]> {
    const { kvs } = await this.listPrefix(this.keys.lease(prefix), `list leases ${prefix}*`);
    return kvs.map(decodeLease);
  }

  async writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord> {
    const key = this.keys.lease(next.name);
    const what = `write lease ${next.name}`;
    const value = encodeLease(next);
    const compare: ICompare =
      expectedRevision === null
        ? { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }
        : { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: expectedRevision };
    let res;
    try {
      res = await this.client.txn({ compare: [compare], success: [{ request_put: { key: Buffer.from(key), value } }], failure: [] }, what);
    } catch (e) {
      if (e instanceof AmbiguousWriteError) {
        const { kv } = await this.readKey(key, what);
        if (kv && kv.value.equals(value) && kv.mod_revision !== expectedRevision) return decodeLease(kv);
      }
      throw e;
    }
    if (!res.succeeded) {
      const { kv } = await this.readKey(key, what);
      throw new ConflictError(
        kv
          ? `lease ${next.name} changed (revision ${kv.mod_revision}, expected ${expectedRevision ?? 'none'}); read it again`
          : `lease ${next.name} does not exist (expected revision ${expectedRevision})`,
      );
    }
    await this.compactor.wrote(Number(res.header.revision));
    return { ...next, revision: String(res.header.revision) };
  }

  /** All in one transaction (one revision for all); null when any revision moved on, with nothing written. */
  async writeLeases(writes: LeaseWrite[]): Promise<LeaseRecord[] | null> {
    if (writes.length === 0) return [];
    if (writes.length > ETCD_MAX_TXN_OPS)
      throw new InvalidError(`${writes.length} lease writes exceed one etcd transaction (${ETCD_MAX_TXN_OPS})`);
    const keys = writes.map((w) => Buffer.from(this.keys.lease(w.next.name)));
    const res = await this.client.txn(
      {
        compare: writes.map((w, i) => ({ key: keys[i]!, target: 'Mod', result: 'Equal', mod_revision: w.expectedRevision })),
        success: writes.map((w, i) => ({ request_put: { key: keys[i]!, value: encodeLease(w.next) } })),
        failure: [],
      },
      `renew ${writes.length} leases`,
    );
    if (!res.succeeded) return null;
    await this.compactor.wrote(Number(res.header.revision));
    return writes.map((w) => ({ ...w.next, revision: String(res.header.revision) }));
  }

  // ---- EtcdWatchSource and shared reads

  async readKey(key: string, what: string, revision?: number): Promise<{ kv: IKeyValue | undefined; revision: string }> {
    this.check();
    const res = await this.client.range({ key: Buffer.from(key), ...(revision !== undefined ? { revision } : {}) }, what);
    return { kv: res.kvs[0], revision: String(res.header.revision) };
  }

  /** Every key under `prefix`, page by page, all pages at the revision of the first. */
  async listPrefix(prefix: string, what: string): Promise<{ kvs: IKeyValue[]; revision: string }> {
    this.check();
    const start = Buffer.from(prefix);
    const end = prefixEnd(start);
    const kvs: IKeyValue[] = [];
    let from = start;
    let revision: string | undefined;
    for (;;) {
      const res = await this.client.range(
        { key: from, range_end: end, limit: PAGE_SIZE, ...(revision !== undefined ? { revision } : {}) },
        what,
      );
      revision ??= String(res.header.revision);
      for (const kv of res.kvs) kvs.push(kv);
      if (!res.more || res.kvs.length === 0) return { kvs, revision };
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
  }

  detach(w: Watch): void {
    this.watches.delete(w);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.client.close();
  }

  private check(): void {
    if (this.closed) throw new UnavailableError(`store ${this.url} is closed`);
  }
}

/** The transaction's guard: the key is still as we read it (absent: never created since). */
function unchanged(key: string, kv: IKeyValue | undefined): ICompare {
  return kv
    ? { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }
    : { key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 };
}

function withRevision(o: StoredObject, revision: string): StoredObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(revision) } };
}
