/**
 * file://DIR — the embedded default store: a directory, no server, safe for
 * several processes on one machine.
 *
 * Each process keeps an Engine as a cache of the directory and brings it up to
 * date from the journal before every read and write (so reads are current).
 * Reads never take the lock nor write anything (load.ts says why they are
 * consistent); a directory is only initialized by the first write.
 * A write, under the directory lock:
 *   0. initialize the directory if new; sweep crash debris; rewrite damaged files;
 *   1. recover: finish applying any journal file a crashed writer left beyond HEAD
 *      (an unreadable one is set aside as .bad, never blocking the store);
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
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { SystemClock, type Clock, type Timer } from '../../lib/clock.js';
import { uuid, type Random } from '../../lib/random.js';
import { Engine, type Change, type Txn } from '../engine.js';
import { isStoreError, UnavailableError } from '../errors.js';
import { LeaseClient, type LeaseBackend, type LeaseWrite } from '../lease-client.js';
import { DEFAULT_HISTORY_LIMIT } from '../memory.js';
import { runBatch, type OpContext } from '../ops.js';
import type { BatchOp, BatchResult, LeaseRecord, ObjectStore, Store, Watch } from '../types.js';
import { EngineStore } from '../engine-store.js';
import { asStoreError, DIR_MODE, forEachLimit, mkdirPrivate, removeFile, syncDir, walkFiles, writeFileAtomic } from './fsutil.js';
import { compactJournal, listJournal, readJournal, writeJournal, type JournalFile } from './journal.js';
import { assertFits, FORMAT, Layout } from './layout.js';
import { changeFile, inspectDir, loadStore, readHead, type DirState, type FileKey } from './load.js';
import { DirLock } from './lock.js';

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
  private notifier: { watcher: FSWatcher | undefined; timer: Timer | undefined } | undefined;
  private kicking = false;
  private kickAgain = false;
  private dirState: DirState = 'missing';
  /** Files the next write rewrites from memory (truncated, or at an old encoding's path). */
  private readonly repairs = new Map<string, FileKey>();
  /** Crash debris (.tmp, old lock files) was seen: the next write sweeps it. */
  private debris = false;

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

  /** Look, never write: a missing or empty directory is an empty store until the first write. */
  private async init(): Promise<void> {
    await this.exclusive(async () => {
      this.dirState = await inspectDir(this.layout.root);
      if (this.dirState !== 'store') return;
      await this.reload();
      // Tidy up after a crash now if no writer is busy (a read must not wait for the lock, so only try).
      const untidy = this.debris || this.repairs.size > 0 || (await readHead(this.layout)) !== this.engine.revision;
      if (untidy && (await this.lock.tryAcquire().catch(() => false))) {
        try {
          await this.tidyLocked();
        } catch {
          // A read-only store stays readable: the next writer tidies.
        } finally {
          await this.lock.release();
        }
      }
    });
  }

  /** Sweep debris, finish committed writes, rewrite damaged files. Caller holds the lock. */
  private async tidyLocked(): Promise<void> {
    if (this.debris) await this.sweepLocked();
    const head = await this.recoverLocked();
    if (head !== this.engine.revision) await this.catchUp();
    if (this.repairs.size > 0) await this.repairLocked();
  }

  /** Before the first write: make the directory a store (re-checked under the lock: another process may have). */
  private async prepareLocked(): Promise<void> {
    const L = this.layout;
    if (this.dirState !== 'store') {
      this.dirState = await inspectDir(L.root);
      if (this.dirState !== 'store') {
        await fs.chmod(L.root, DIR_MODE);
        await writeFileAtomic(L.format, JSON.stringify(FORMAT), this.durable);
        this.dirState = 'store';
      }
    }
    for (const d of [L.journal, L.objects, L.leases]) {
      if (!this.knownDirs.has(d)) await mkdirPrivate(d);
      this.knownDirs.add(d);
    }
  }

  /** Remove temporary files (all written under the lock we hold, so all debris) and the old link lock's files. */
  private async sweepLocked(): Promise<void> {
    for (const file of await walkFiles(this.layout.root)) {
      const base = path.basename(file);
      if (base.endsWith('.tmp') || (path.dirname(file) === this.layout.root && /^lock(\..*\.(id|stale))?$/.test(base)))
        await removeFile(file);
    }
    this.debris = false;
  }

  /** Rewrite files the last load found damaged or misplaced, from the (caught-up) cache. */
  private async repairLocked(): Promise<void> {
    for (const [file, key] of this.repairs) {
      const proper = key.resource === 'lease' ? this.layout.leaseFile(key.name) : this.layout.objectFile(key.kind, key.namespace, key.name);
      const cur = key.resource === 'lease' ? this.engine.getLease(key.name) : this.engine.getObject(key.kind, key.namespace, key.name);
      if (cur) {
        await mkdirPrivate(path.dirname(proper));
        await writeFileAtomic(proper, JSON.stringify(cur), this.durable);
      } else await removeFile(proper);
      if (file !== proper) await removeFile(file);
    }
    this.repairs.clear();
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

  async listLeases(prefix: string): Promise<LeaseRecord[]> {
    await this.sync();
    return this.engine.listLeases(prefix).map((l) => ({ ...l }));
  }

  async writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord> {
    return this.write((txn) => ({ ...txn.putLease(next, expectedRevision) }), false);
  }

  /** One journal entry for all of them (a holder of 500 groups renews with one fsync, not 500). */
  async writeLeases(writes: LeaseWrite[]): Promise<LeaseRecord[] | null> {
    return this.write((txn) => txn.putLeases(writes), false);
  }

  // ---- WatchSource ----

  /** Bring the cache up to date with the directory. */
  sync(): Promise<void> {
    this.check();
    return this.exclusive(() => this.catchUp());
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

  /** Serialize everything that touches the cache within this process; OS errors become one-line store errors. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> =>
      fn().catch((e: unknown) => {
        throw asStoreError(e, this.layout.root, 'reading or writing the store');
      });
    const run = this.serial.then(guarded, guarded);
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
        await this.catchUp();
        const trial = this.engine.begin();
        const result = fn(trial);
        if (trial.changes.length === 0) return result;
      }
      if (this.dirState !== 'store') await mkdirPrivate(this.layout.root); // the lock is named after the directory
      return this.withLock(async () => {
        await this.prepareLocked();
        await this.tidyLocked();
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
    for (const c of changes) assertFits(this.layout.root, changeFile(this.layout, c)); // before the commit point: a bad name commits nothing
    try {
      await writeJournal(this.layout, { first, last, changes }, this.durable);
    } catch (e) {
      const err = asStoreError(e, this.layout.root, `writing revision ${first}`);
      if (isStoreError(err)) err.message += '; nothing was committed';
      throw err;
    }
    try {
      await this.applyToFiles(changes);
      await this.writeHead(last);
      if (last >= this.nextCompactionAt) {
        await compactJournal(this.layout, last, this.engine.historyLimit);
        this.nextCompactionAt = last + Math.max(1, Math.ceil(this.engine.historyLimit / 4));
      }
    } catch (e) {
      // The journal file is written, so the change is committed; the next writer re-applies it.
      const err = asStoreError(e, this.layout.root, `applying revision ${first}-${last}`);
      throw new UnavailableError(
        `${isStoreError(err) ? err.message : `file store ${this.layout.root}: applying revision ${first}-${last} failed (${String(e)})`}; the revision is committed and the next write completes it`,
        { reason: isStoreError(err) ? err.reason : 'IO', cause: e },
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
        await mkdirPrivate(d);
        this.knownDirs.add(d);
      }
    }
    await forEachLimit([...finals.entries()], WRITE_PARALLELISM, async ([file, f]) => {
      if (f.data === null) await removeFile(file);
      else await writeFileAtomic(file, f.data, this.durable);
    });
    if (this.durable) await forEachLimit([...dirs], WRITE_PARALLELISM, syncDir);
  }

  /** HEAD is a hint (where re-application starts), so it is renamed into place but not fsynced. */
  private async writeHead(revision: number): Promise<void> {
    await writeFileAtomic(this.layout.head, JSON.stringify({ revision }), false);
  }

  /**
   * Finish any journal files beyond HEAD (a writer crashed after its commit point). Caller holds the lock.
   * An unreadable one is renamed to .bad and skipped, so it can never stop the store.
   */
  private async recoverLocked(): Promise<number> {
    let head = await readHead(this.layout);
    const headValid = head !== undefined;
    const firsts = await listJournal(this.layout);
    // Lost HEAD (power loss): re-apply the whole retained journal; applying is idempotent.
    if (head === undefined) head = firsts.length > 0 ? firsts[0]! - 1 : 0;
    const start = head;
    for (;;) {
      let j;
      try {
        j = await readJournal(this.layout, head + 1);
      } catch (e) {
        if (!isStoreError(e, 'Unavailable')) throw e;
        const bad = this.layout.journalFile(head + 1);
        await fs.rename(bad, `${bad}.bad`);
        j = null;
      }
      if (!j) {
        const after = firsts.find((f) => f > head! + 1); // a gap left by a bad file: continue after it
        if (after === undefined) break;
        head = after - 1;
        continue;
      }
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
  private async catchUp(): Promise<void> {
    const read = (rev: number): Promise<JournalFile | null | 'bad'> =>
      readJournal(this.layout, rev).catch((e: unknown) => (isStoreError(e, 'Unavailable') ? 'bad' : Promise.reject(e)));
    for (;;) {
      const next = this.engine.revision + 1;
      let j = await read(next);
      if (j === null) {
        const head = await readHead(this.layout);
        if (head === undefined || head < next) return;
        j = await read(next); // written between our two reads?
      }
      // Compacted away, set aside as bad, or unreadable: load the whole directory again.
      if (j === null || j === 'bad') {
        await this.reload();
        return;
      }
      this.engine.apply(j.changes);
    }
  }

  /** Load the whole directory into the cache (no lock: see load.ts). */
  private async reload(): Promise<void> {
    const loaded = await loadStore(this.layout);
    this.repairs.clear();
    for (const [f, k] of loaded.repairs) this.repairs.set(f, k);
    this.debris ||= loaded.debris || loaded.badJournal.length > 0;
    this.engine.load(loaded.snapshot);
  }

  private startNotifier(): void {
    this.notifier = { watcher: undefined, timer: undefined };
    this.watchJournal();
    this.armPoll();
  }

  /** chokidar on journal/, once it exists (a store not yet written has none; the poll covers until then). */
  private watchJournal(): void {
    if (!this.notifier || this.notifier.watcher || !existsSync(this.layout.journal)) return;
    const watcher = chokidarWatch(this.layout.journal, {
      ignoreInitial: true,
      depth: 0,
      ignored: (p: string) => p.endsWith('.tmp'),
    });
    watcher.on('add', () => this.kick());
    watcher.on('change', () => this.kick());
    watcher.on('ready', () => this.kick()); // anything written before the watcher was ready
    watcher.on('error', () => undefined); // the poll covers a broken watcher
    this.notifier.watcher = watcher;
  }

  private armPoll(): void {
    if (!this.notifier) return;
    this.notifier.timer = this.ioClock.setTimer(this.pollIntervalMs, () => {
      this.watchJournal();
      this.kick();
      this.armPoll();
    });
  }

  private async stopNotifier(): Promise<void> {
    const n = this.notifier;
    this.notifier = undefined;
    if (!n) return;
    n.timer?.cancel();
    await n.watcher?.close();
  }

  /** Coalesced "read the journal now". */
  private kick(): void {
    if (this.closed) return;
    if (this.kicking) {
      this.kickAgain = true;
      return;
    }
    this.kicking = true;
    this.exclusive(() => this.catchUp())
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
