/**
 * file://DIR — the embedded default store: a directory, no server, safe for
 * several processes on one machine.
 *
 * Each process keeps an Engine as a cache of the directory and brings it up to
 * date from the journal before every read and write (so reads are current).
 * A write, under the directory lock:
 *   1. recover: finish applying any journal file a crashed writer left beyond HEAD;
 *   2. catch up the cache from the journal;
 *   3. run the operations against the cache (CAS, generation rules...);
 *   4. write the journal file (temp + fsync + rename) — the commit point;
 *   5. write each changed object/lease file (temp + fsync + rename, or unlink);
 *   6. advance HEAD, trim the journal, release the lock.
 * A crash anywhere leaves either no journal file (nothing happened) or a
 * complete one that the next writer re-applies (step 1); object files are
 * never half-written. Operations that would change nothing (an unchanged
 * update, a create that already exists) are answered from the cache without
 * taking the lock.
 *
 * Watches are fed by this process's own writes at once, and by other
 * processes' writes via chokidar on journal/ backed by a slow poll, both of
 * which only trigger "read the journal from the last revision seen" — so an
 * event is never missed nor delivered twice, whatever the notifications do.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { SystemClock, type Clock, type Timer } from '../../lib/clock.js';
import { uuid, type Random } from '../../lib/random.js';
import { Engine, type Change, type Txn } from '../engine.js';
import { UnavailableError } from '../errors.js';
import { LeaseClient, type LeaseBackend } from '../lease-client.js';
import { DEFAULT_HISTORY_LIMIT } from '../memory.js';
import { runBatch, type OpContext } from '../ops.js';
import type { BatchOp, BatchResult, LeaseRecord, ObjectStore, Store, StoredObject, Watch } from '../types.js';
import { EngineStore } from '../engine-store.js';
import { forEachLimit, readJson, readJsonSync, removeFile, syncDir, walkFiles, writeFileAtomic } from './fsutil.js';
import { compactJournal, listJournal, readJournal, writeJournal } from './journal.js';
import { FORMAT, Layout } from './layout.js';
import { DirLock, sweepLockDebris } from './lock.js';

export interface FileStoreOptions {
  /** Domain time: timestamps, lease observation, bookmarks. Tests inject a VirtualClock. */
  clock?: Clock;
  /** Real time for lock waits and the slow poll (default: the system clock). */
  ioClock?: Clock;
  random?: Random;
  /** Revisions kept in the journal for watch resume (at least this many). */
  historyLimit?: number;
  /** Slow poll behind chokidar while watches are open; default 1000 ms. */
  pollIntervalMs?: number;
  /** Give up waiting for the lock after this long; default 30 s. */
  lockTimeoutMs?: number;
  /** fsync files and directories (default true). Only tests of unrelated code may turn it off. */
  durable?: boolean;
}

const WRITE_PARALLELISM = 16;

export class FileStore extends EngineStore implements Store, LeaseBackend {
  readonly objects: ObjectStore = this;
  readonly leases: LeaseClient;
  readonly clock: Clock;
  readonly engine: Engine;
  readonly layout: Layout;
  private readonly ioClock: Clock;
  private readonly lock: DirLock;
  private readonly durable: boolean;
  private readonly pollIntervalMs: number;
  private readonly ctx: OpContext;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly knownDirs = new Set<string>();
  private nextCompactionAt = 0;
  private notifier: { watcher: FSWatcher; timer: Timer | undefined } | undefined;
  private kicking = false;
  private kickAgain = false;

  private constructor(
    readonly url: string,
    dir: string,
    options: FileStoreOptions,
  ) {
    super();
    this.layout = new Layout(dir);
    this.clock = options.clock ?? new SystemClock();
    this.ioClock = options.ioClock ?? new SystemClock();
    this.engine = new Engine(options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.lock = new DirLock(this.layout.lock, this.ioClock, options.lockTimeoutMs);
    this.durable = options.durable ?? true;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    const random = options.random;
    this.ctx = { nowMs: () => this.clock.now(), newUid: () => uuid(random) };
    this.leases = new LeaseClient(this, this.clock);
  }

  /** Open (creating if needed) the store in `dir`. */
  static async open(dir: string, options: FileStoreOptions = {}, url = `file://${dir}`): Promise<FileStore> {
    const s = new FileStore(url, path.resolve(dir), options);
    try {
      await s.init();
    } catch (e) {
      await s.lock.dispose();
      throw e;
    }
    return s;
  }

  private async init(): Promise<void> {
    const L = this.layout;
    await fs.mkdir(L.root, { recursive: true });
    const format = await readJson<typeof FORMAT>(L.format).catch(() => null);
    if (format && (format.format !== FORMAT.format || format.version !== FORMAT.version)) {
      throw new UnavailableError(`${L.root} is not a WinHA file store of version ${FORMAT.version}`);
    }
    await this.exclusive(() =>
      this.withLock(async () => {
        for (const d of [L.journal, L.objects, L.leases]) await fs.mkdir(d, { recursive: true });
        if (!format) await writeFileAtomic(L.format, JSON.stringify(FORMAT), this.durable);
        await this.reloadLocked();
      }),
    );
  }

  // ---- ObjectStore ----

  async batch(ops: BatchOp[]): Promise<BatchResult[]> {
    return this.write((txn) => runBatch(txn, ops, this.ctx));
  }

  // ---- LeaseBackend ----

  async readLease(name: string): Promise<LeaseRecord | null> {
    await this.sync();
    const l = this.engine.getLease(name);
    return l ? { ...l } : null;
  }

  async writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord> {
    return this.write((txn) => ({ ...txn.putLease(next, expectedRevision) }), false);
  }

  // ---- WatchSource ----

  /** Bring the cache up to date with the directory. */
  sync(): Promise<void> {
    this.check();
    return this.exclusive(() => this.catchUp(false));
  }

  attach(w: Watch): void {
    this.watches.add(w);
    if (!this.notifier && !this.closed) this.startNotifier();
  }

  detach(w: Watch): void {
    this.watches.delete(w);
    // Nobody waits on a detach: a watcher that fails to close leaves nothing to do, and must not be an unhandled rejection.
    if (this.watches.size === 0) this.stopNotifier().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    await this.stopNotifier();
    await this.serial.catch(() => undefined);
    await this.lock.dispose();
  }

  // ---- internals ----

  /** Serialize everything that touches the cache within this process. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      return await fn();
    } finally {
      await this.lock.release();
    }
  }

  /**
   * Run `fn` against the current state; persist its changes if it made any.
   * With `speculate`, an outcome that changes nothing is answered from the
   * freshly caught-up cache without the lock (it is a read, linearized there).
   */
  private async write<T>(fn: (txn: Txn) => T, speculate = true): Promise<T> {
    this.check();
    return this.exclusive(async () => {
      if (speculate) {
        await this.catchUp(false);
        const trial = this.engine.begin();
        const result = fn(trial);
        if (trial.changes.length === 0) return result;
      }
      return this.withLock(async () => {
        const head = await this.recoverLocked();
        if (head !== this.engine.revision) await this.catchUp(true);
        const txn = this.engine.begin();
        const result = fn(txn);
        if (txn.changes.length > 0) await this.persistLocked(txn.changes);
        this.engine.commit(txn);
        return result;
      });
    });
  }

  private async persistLocked(changes: Change[]): Promise<void> {
    const first = changes[0]!.revision;
    const last = changes[changes.length - 1]!.revision;
    await writeJournal(this.layout, { first, last, changes }, this.durable);
    try {
      await this.applyToFiles(changes);
      await this.writeHead(last);
      if (last >= this.nextCompactionAt) {
        await compactJournal(this.layout, last, this.engine.historyLimit);
        this.nextCompactionAt = last + Math.max(1, Math.ceil(this.engine.historyLimit / 4));
      }
    } catch (e) {
      // The journal file is written, so the change is committed; the next writer re-applies it.
      throw new UnavailableError(
        `file store ${this.layout.root}: revision ${first}-${last} is committed but applying it failed (${String(e)}); it will be completed by the next write`,
      );
    }
  }

  /** Write the final state of every object/lease touched, in parallel. */
  private async applyToFiles(changes: readonly Change[]): Promise<void> {
    const finals = new Map<string, { data: string | null; dir: string }>();
    for (const c of changes) {
      if (c.resource === 'lease') {
        finals.set(this.layout.leaseFile(c.lease.name), { data: JSON.stringify(c.lease), dir: this.layout.leases });
      } else {
        const md = c.object.metadata;
        const file = this.layout.objectFile(c.object.kind, md.namespace, md.name);
        finals.set(file, { data: c.type === 'DELETED' ? null : JSON.stringify(c.object), dir: path.dirname(file) });
      }
    }
    const dirs = new Set([...finals.values()].map((f) => f.dir));
    for (const d of dirs) {
      if (!this.knownDirs.has(d)) {
        await fs.mkdir(d, { recursive: true });
        this.knownDirs.add(d);
      }
    }
    await forEachLimit([...finals.entries()], WRITE_PARALLELISM, async ([file, f]) => {
      if (f.data === null) await removeFile(file);
      else await writeFileAtomic(file, f.data, this.durable);
    });
    if (this.durable) await forEachLimit([...dirs], WRITE_PARALLELISM, syncDir);
  }

  private async readHead(): Promise<number | undefined> {
    try {
      const h = await readJson<{ revision: number }>(this.layout.head);
      return h && Number.isInteger(h.revision) ? h.revision : undefined;
    } catch (e) {
      if (e instanceof SyntaxError) return undefined;
      throw e;
    }
  }

  /** HEAD is a hint (where re-application starts), so it is renamed into place but not fsynced. */
  private async writeHead(revision: number): Promise<void> {
    await writeFileAtomic(this.layout.head, JSON.stringify({ revision }), false);
  }

  /** Finish any journal files beyond HEAD (a writer crashed after its commit point). Caller holds the lock. */
  private async recoverLocked(): Promise<number> {
    let head = await this.readHead();
    const headValid = head !== undefined;
    if (head === undefined) {
      // Lost HEAD (power loss): re-apply the whole retained journal; applying is idempotent.
      const firsts = await listJournal(this.layout);
      head = firsts.length > 0 ? firsts[0]! - 1 : 0;
    }
    const start = head;
    for (;;) {
      const j = await readJournal(this.layout, head + 1);
      if (!j) break;
      await this.applyToFiles(j.changes);
      head = j.last;
    }
    if (head !== start || !headValid) await this.writeHead(head);
    return head;
  }

  /**
   * Apply journal files after the cache's revision. If the next file was
   * compacted away while we were not looking, reload everything.
   */
  private async catchUp(locked: boolean): Promise<void> {
    for (;;) {
      const next = this.engine.revision + 1;
      let j = await readJournal(this.layout, next);
      if (!j) {
        const head = await this.readHead();
        if (head === undefined || head < next) return;
        j = await readJournal(this.layout, next); // written between our two reads?
        if (!j) {
          if (locked) await this.reloadLocked();
          else await this.withLock(() => this.reloadLocked());
          return;
        }
      }
      this.engine.apply(j.changes);
    }
  }

  /** Load the whole directory into the cache. Caller holds the lock. */
  private async reloadLocked(): Promise<void> {
    await this.recoverLocked();
    const head = (await this.readHead()) ?? 0;
    const objects: StoredObject[] = [];
    const leases: LeaseRecord[] = [];
    for (const [dir, into] of [
      [this.layout.objects, objects],
      [this.layout.leases, leases],
    ] as const) {
      for (const file of await walkFiles(dir)) {
        if (file.endsWith('.tmp')) {
          await removeFile(file); // debris of a crashed write (all writes happen under the lock we hold)
          continue;
        }
        if (!file.endsWith('.json')) continue;
        const v = readJsonSync<StoredObject & LeaseRecord>(file);
        if (v) (into as unknown[]).push(v);
      }
    }
    await sweepLockDebris(this.layout);
    const history: Change[] = [];
    const firsts = (await listJournal(this.layout)).filter((f) => f <= head);
    for (const f of firsts) {
      const j = await readJournal(this.layout, f);
      if (j) history.push(...j.changes);
    }
    // The retained journal is contiguous up to head; anything before it is compacted.
    const compactedRevision = firsts.length > 0 ? firsts[0]! - 1 : head;
    this.engine.load({ revision: head, objects, leases, history, compactedRevision });
  }

  private startNotifier(): void {
    const watcher = chokidarWatch(this.layout.journal, {
      ignoreInitial: true,
      depth: 0,
      ignored: (p: string) => p.endsWith('.tmp'),
    });
    watcher.on('add', () => this.kick());
    watcher.on('change', () => this.kick());
    watcher.on('ready', () => this.kick()); // anything written before the watcher was ready
    watcher.on('error', () => undefined); // the poll covers a broken watcher
    this.notifier = { watcher, timer: undefined };
    this.armPoll();
  }

  private armPoll(): void {
    if (!this.notifier) return;
    this.notifier.timer = this.ioClock.setTimer(this.pollIntervalMs, () => {
      this.kick();
      this.armPoll();
    });
  }

  private async stopNotifier(): Promise<void> {
    const n = this.notifier;
    this.notifier = undefined;
    if (!n) return;
    n.timer?.cancel();
    await n.watcher.close();
  }

  /** Coalesced "read the journal now". */
  private kick(): void {
    if (this.closed) return;
    if (this.kicking) {
      this.kickAgain = true;
      return;
    }
    this.kicking = true;
    this.exclusive(() => this.catchUp(false))
      .catch(() => undefined)
      .finally(() => {
        this.kicking = false;
        if (this.kickAgain) {
          this.kickAgain = false;
          this.kick();
        }
      });
  }
}
