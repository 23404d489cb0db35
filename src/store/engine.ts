/**
 * The in-memory state machine behind every local backend: objects and leases
 * at a store-wide revision, a bounded history of changes for watches, and
 * transactions that stage changes before they are committed.
 *
 * The memory backend is exactly this. The file backend keeps one per process
 * as a cache of the directory, fed by the journal (src/store/file).
 *
 * Revisions work like etcd's: one counter for the whole store, +1 per change,
 * and an object's resourceVersion is the revision of its last change.
 */
import { ConflictError } from './errors.js';
import type { LabelMatcher } from './selector.js';
import type { LeaseRecord, StoredObject } from './types.js';

export interface ObjectChange {
  resource: 'object';
  revision: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The new state; for DELETED the last state, with resourceVersion set to the deletion's revision. */
  object: StoredObject;
  /** Labels before the change (null: the object did not exist), so label-selected watches see objects leave. */
  prevLabels: Record<string, string> | null;
}

export interface LeaseChange {
  resource: 'lease';
  revision: number;
  lease: LeaseRecord;
}

export type Change = ObjectChange | LeaseChange;

export interface EngineListener {
  /** Changes just applied, in revision order. */
  changes(changes: readonly Change[]): void;
  /** The state was replaced (the file cache fell behind compaction and reloaded). */
  reset(): void;
}

export interface Snapshot {
  revision: number;
  objects: StoredObject[];
  leases: LeaseRecord[];
  /** Changes with revision > compactedRevision, oldest first. */
  history: Change[];
  compactedRevision: number;
}

function nsName(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

export class Engine {
  revision = 0;
  /** History holds every change with revision > compactedRevision. */
  compactedRevision = 0;
  private byKind = new Map<string, Map<string, StoredObject>>();
  private leases = new Map<string, LeaseRecord>();
  private history: Change[] = [];
  private listeners = new Set<EngineListener>();

  /** historyLimit: at least this many recent changes stay available to watches. */
  constructor(readonly historyLimit: number) {}

  getObject(kind: string, namespace: string, name: string): StoredObject | undefined {
    return this.byKind.get(kind)?.get(nsName(namespace, name));
  }

  listObjects(kind: string, namespace: string | undefined, matches: LabelMatcher): StoredObject[] {
    const m = this.byKind.get(kind);
    if (!m) return [];
    const out: StoredObject[] = [];
    for (const o of m.values()) {
      if (namespace !== undefined && o.metadata.namespace !== namespace) continue;
      if (!matches(o.metadata.labels)) continue;
      out.push(o);
    }
    return out;
  }

  getLease(name: string): LeaseRecord | undefined {
    return this.leases.get(name);
  }

  listLeases(prefix: string): LeaseRecord[] {
    return [...this.leases.values()].filter((l) => l.name.startsWith(prefix));
  }

  begin(): Txn {
    return new Txn(this);
  }

  commit(txn: Txn): void {
    if (txn.changes.length > 0) this.apply(txn.changes);
  }

  /** Apply changes that continue this engine's revision (from a commit or the file journal). */
  apply(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.revision !== this.revision + 1) {
        throw new Error(`store engine: change at revision ${c.revision} does not follow ${this.revision}`);
      }
      this.revision = c.revision;
      if (c.resource === 'lease') {
        this.leases.set(c.lease.name, c.lease);
      } else {
        const md = c.object.metadata;
        let m = this.byKind.get(c.object.kind);
        if (!m) this.byKind.set(c.object.kind, (m = new Map<string, StoredObject>()));
        if (c.type === 'DELETED') m.delete(nsName(md.namespace, md.name));
        else m.set(nsName(md.namespace, md.name), c.object);
      }
      this.history.push(c);
    }
    this.trimHistory();
    for (const l of this.listeners) l.changes(changes);
  }

  /** Changes after `revision`, or undefined when some of them were compacted away. */
  changesSince(revision: number): Change[] | undefined {
    if (revision < this.compactedRevision) return undefined;
    // History is sorted and contiguous: index of revision+1 is computable.
    const first = this.history[0]?.revision ?? this.revision + 1;
    return this.history.slice(Math.max(0, revision + 1 - first));
  }

  /** Replace the whole state (file backend: initial load, or reload after falling behind compaction). */
  load(s: Snapshot): void {
    this.revision = s.revision;
    this.compactedRevision = s.compactedRevision;
    this.byKind = new Map();
    for (const o of s.objects) {
      let m = this.byKind.get(o.kind);
      if (!m) this.byKind.set(o.kind, (m = new Map<string, StoredObject>()));
      m.set(nsName(o.metadata.namespace, o.metadata.name), o);
    }
    this.leases = new Map(s.leases.map((l) => [l.name, l]));
    this.history = s.history.filter((c) => c.revision > s.compactedRevision && c.revision <= s.revision);
    this.trimHistory();
    for (const l of this.listeners) l.reset();
  }

  subscribe(l: EngineListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private trimHistory(): void {
    // Trim in chunks so bulk writes stay O(1) amortized; retention is at least historyLimit.
    const slack = Math.max(16, Math.ceil(this.historyLimit / 2));
    if (this.history.length > this.historyLimit + slack) {
      const drop = this.history.length - this.historyLimit;
      this.compactedRevision = this.history[drop - 1]!.revision;
      this.history = this.history.slice(drop);
    }
  }
}

/**
 * Staged changes against an engine. Reads see the staged state, so a batch may
 * touch one object twice. Nothing is visible until Engine.commit (or, on the
 * file backend, until the journal write succeeded).
 */
export class Txn {
  readonly changes: Change[] = [];
  private objects = new Map<string, StoredObject | null>();
  private leases = new Map<string, LeaseRecord>();

  constructor(private readonly engine: Engine) {}

  get baseRevision(): number {
    return this.engine.revision;
  }

  nextRevision(): number {
    return this.engine.revision + this.changes.length + 1;
  }

  /** Whether an object of `kinds` changed after `revision` (true when that history is gone: assume it did). */
  changedSince(kinds: ReadonlySet<string>, revision: number): boolean {
    const changes = this.engine.changesSince(revision);
    if (!changes) return true;
    return changes.some((c) => c.resource === 'object' && kinds.has(c.object.kind));
  }

  /** Forget everything staged: an all-or-nothing batch failed. */
  discard(): void {
    this.changes.length = 0;
    this.objects.clear();
    this.leases.clear();
  }

  getObject(kind: string, namespace: string, name: string): StoredObject | undefined {
    const k = `${kind}\u0000${nsName(namespace, name)}`;
    if (this.objects.has(k)) return this.objects.get(k) ?? undefined;
    return this.engine.getObject(kind, namespace, name);
  }

  /** Stage an object write; `object.metadata.resourceVersion` is set to the new revision. */
  putObject(object: StoredObject): StoredObject {
    const md = object.metadata;
    const prev = this.getObject(object.kind, md.namespace, md.name);
    const revision = this.nextRevision();
    md.resourceVersion = String(revision);
    this.objects.set(`${object.kind}\u0000${nsName(md.namespace, md.name)}`, object);
    this.changes.push({
      resource: 'object',
      revision,
      type: prev ? 'MODIFIED' : 'ADDED',
      object,
      prevLabels: prev ? (prev.metadata.labels ?? {}) : null,
    });
    return object;
  }

  deleteObject(last: StoredObject): StoredObject {
    const md = last.metadata;
    const revision = this.nextRevision();
    const object: StoredObject = { ...last, metadata: { ...md, resourceVersion: String(revision) } };
    this.objects.set(`${last.kind}\u0000${nsName(md.namespace, md.name)}`, null);
    this.changes.push({ resource: 'object', revision, type: 'DELETED', object, prevLabels: md.labels ?? {} });
    return object;
  }

  getLease(name: string): LeaseRecord | undefined {
    return this.leases.get(name) ?? this.engine.getLease(name);
  }

  /** Compare-and-swap a lease record: expectedRevision null means "must not exist yet". */
  putLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): LeaseRecord {
    const cur = this.getLease(next.name);
    const have = cur?.revision ?? null;
    if (have !== expectedRevision) {
      throw new ConflictError(
        cur
          ? `lease ${next.name} changed (revision ${cur.revision}, expected ${expectedRevision ?? 'none'}); read it again`
          : `lease ${next.name} does not exist (expected revision ${expectedRevision})`,
      );
    }
    const revision = this.nextRevision();
    const lease: LeaseRecord = { ...next, revision: String(revision) };
    this.leases.set(lease.name, lease);
    this.changes.push({ resource: 'lease', revision, lease });
    return lease;
  }

  /** Compare-and-swap several leases, all or none: null, with nothing staged, when any revision moved on. */
  putLeases(writes: readonly { next: Omit<LeaseRecord, 'revision'>; expectedRevision: string }[]): LeaseRecord[] | null {
    try {
      return writes.map((w) => ({ ...this.putLease(w.next, w.expectedRevision) }));
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      this.discard();
      return null;
    }
  }
}
