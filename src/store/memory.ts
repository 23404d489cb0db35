/**
 * memory:// — the whole store in this process. Used by tests and the
 * simulation, on virtual time: it never touches real timers (bookmarks use the
 * injected clock) and everything happens in one synchronous step per operation.
 *
 * `memory://` is a fresh private store; `memory://NAME` is shared by every
 * connection opened with that name in this process (several simulated agents).
 * Each connection has its own LeaseStore client (its own lease observations).
 */
import { SystemClock, type Clock } from '../lib/clock.js';
import { uuid, type Random } from '../lib/random.js';
import { Engine } from './engine.js';
import { LeaseClient, type LeaseBackend, type LeaseWrite } from './lease-client.js';
import { runBatch, type OpContext } from './ops.js';
import type { BatchOp, BatchResult, LeaseRecord, ObjectStore, Store, Watch } from './types.js';
import { EngineStore } from './engine-store.js';

export const DEFAULT_HISTORY_LIMIT = 10_000;

export interface MemoryStoreOptions {
  clock?: Clock;
  /** Source for uids (seeded in the simulation). */
  random?: Random;
  /** Changes kept for watch resume (at least this many). Only used when the store is created. */
  historyLimit?: number;
}

const shared = new Map<string, Engine>();

/** Forget a named shared memory store (tests). */
export function dropMemoryStore(name: string): void {
  shared.delete(name);
}

export class MemoryStore extends EngineStore implements Store, LeaseBackend {
  readonly objects: ObjectStore = this;
  readonly leases: LeaseClient;
  readonly clock: Clock;
  readonly engine: Engine;
  private readonly ctx: OpContext;

  constructor(
    readonly url: string,
    options: MemoryStoreOptions = {},
    engine?: Engine,
  ) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.engine = engine ?? new Engine(options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    const random = options.random;
    this.ctx = { nowMs: () => this.clock.now(), newUid: () => uuid(random) };
    this.leases = new LeaseClient(this, this.clock);
  }

  /** Another connection to the same data (another simulated node), with its own clock and lease observations. */
  connect(options: Omit<MemoryStoreOptions, 'historyLimit'> = {}): MemoryStore {
    return new MemoryStore(this.url, options, this.engine);
  }

  async batch(ops: BatchOp[]): Promise<BatchResult[]> {
    this.check();
    const txn = this.engine.begin();
    const results = runBatch(txn, ops, this.ctx);
    this.engine.commit(txn);
    return results;
  }

  // LeaseBackend
  async readLease(name: string): Promise<LeaseRecord | null> {
    this.check();
    const l = this.engine.getLease(name);
    return l ? { ...l } : null;
  }
  async listLeases(prefix: string): Promise<LeaseRecord[]> {
    this.check();
    return this.engine.listLeases(prefix).map((l) => ({ ...l }));
  }
  async writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord> {
    this.check();
    const txn = this.engine.begin();
    const lease = txn.putLease(next, expectedRevision);
    this.engine.commit(txn);
    return { ...lease };
  }
  async writeLeases(writes: LeaseWrite[]): Promise<LeaseRecord[] | null> {
    this.check();
    const txn = this.engine.begin();
    const out = txn.putLeases(writes);
    if (out) this.engine.commit(txn);
    return out;
  }

  // WatchSource
  async sync(): Promise<void> {
    this.check();
  }
  attach(w: Watch): void {
    this.watches.add(w);
  }
  detach(w: Watch): void {
    this.watches.delete(w);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
  }
}

/** Open memory:// (private) or memory://NAME (shared in this process). */
export function openMemoryStore(name: string, options: MemoryStoreOptions = {}): MemoryStore {
  const url = `memory://${name}`;
  if (!name) return new MemoryStore(url, options);
  let engine = shared.get(name);
  if (!engine) shared.set(name, (engine = new Engine(options.historyLimit ?? DEFAULT_HISTORY_LIMIT)));
  return new MemoryStore(url, options, engine);
}
