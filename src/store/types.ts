/**
 * The state store's public shapes: Kubernetes-shaped objects, the ObjectStore
 * (get/list/watch/create/update/updateStatus/delete/batch) and the LeaseStore.
 *
 * Every backend (memory, file, and later etcd and Kubernetes) implements these
 * and passes the one contract suite in test/store/contract.ts.
 */

/** Server-managed and user metadata, as in Kubernetes' ObjectMeta. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  /** Starts at 1; increments when anything outside metadata and status changes (the spec). */
  generation: number;
  /**
   * Opaque to clients. Holds the store-wide revision (etcd's mod_revision) of
   * the object's last change, as a decimal string.
   */
  resourceVersion: string;
  /** RFC 3339, UTC, second precision. */
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

/**
 * Any Kubernetes-shaped object. Kinds with a spec put it in `spec`; others
 * (Event) keep their fields at the top level, which the index signature allows.
 */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** What a caller hands to create/update: server-managed metadata is optional. */
export interface ObjectInput {
  apiVersion: string;
  kind: string;
  metadata: Partial<ObjectMeta> & { name: string };
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/**
 * Label selector: a Kubernetes selector string ("app=web,tier!=db,env in (a,b),!legacy")
 * or a map of labels that must all match (matchLabels).
 */
export type LabelSelector = string | Record<string, string>;

export interface ListOptions {
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: LabelSelector;
}

export interface ListResult {
  items: StoredObject[];
  /** The store revision the list is a consistent snapshot of; watch from it to miss nothing. */
  resourceVersion: string;
}

export interface WatchOptions extends ListOptions {
  /**
   * Deliver every change after this revision (a list's resourceVersion, or
   * the last event's). Omit to first receive an ADDED event for every current
   * object, then changes (Kubernetes' "start at most recent" semantics).
   * "0" is an ordinary revision here (the empty store), not Kubernetes' "any".
   * A revision that has been compacted away fails the watch with GoneError: relist.
   */
  resourceVersion?: string;
  /** Send BOOKMARK events (Kubernetes' allowWatchBookmarks, etcd's progress notify). */
  bookmarks?: boolean;
  /** Bookmark period on the store's clock; default 60 s (what the Kubernetes API server does). */
  bookmarkIntervalMs?: number;
  /** Closing the signal ends the watch like close(). */
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export type WatchEvent =
  | {
      type: 'ADDED' | 'MODIFIED' | 'DELETED';
      /** For DELETED: the object's last state, with resourceVersion set to the deletion's revision. */
      object: StoredObject;
      resourceVersion: string;
    }
  | {
      /** Every event up to resourceVersion has been delivered; resume from here. */
      type: 'BOOKMARK';
      resourceVersion: string;
    };

/**
 * A running watch. Iterate it with `for await`; the iteration throws GoneError
 * when the requested history is no longer available (the caller relists), and
 * ends when close() is called or the store is closed.
 */
export interface Watch extends AsyncIterable<WatchEvent> {
  close(): void;
}

export interface DeleteOptions {
  /** Delete only if the object still has this resourceVersion / uid (Conflict otherwise). */
  preconditions?: { resourceVersion?: string; uid?: string };
}

export type BatchOp =
  | { op: 'create'; object: ObjectInput }
  | { op: 'update'; object: ObjectInput }
  | { op: 'updateStatus'; object: ObjectInput }
  | { op: 'delete'; kind: string; namespace: string; name: string; options?: DeleteOptions }
  /**
   * First operation only. Makes the batch all or nothing, decided where the
   * write is (file lock, etcd transaction): when an object of `kinds` changed
   * after `resourceVersion` (a list's), or when any operation fails, nothing is
   * written and every result is an error (Conflict for the guard). Its own
   * result's object is a placeholder carrying the revision it held at.
   */
  | { op: 'guard'; kinds: string[]; resourceVersion: string };

export type BatchResult = { ok: true; object: StoredObject } | { ok: false; error: Error };

/**
 * Objects keyed by (kind, namespace, name). `kind` is the kind name
 * ("FailoverGroup"); kind names are unique within WinHA's API and compared
 * case-insensitively by the file backend (its directory names).
 */
export interface ObjectStore {
  get(kind: string, namespace: string, name: string): Promise<StoredObject>;
  list(kind: string, options?: ListOptions): Promise<ListResult>;
  watch(kind: string, options?: WatchOptions): Watch;
  /**
   * Sets uid, generation 1, resourceVersion and creationTimestamp; drops status
   * (it is written only through updateStatus, as with a status subresource).
   * AlreadyExists if the name is taken.
   */
  create(object: ObjectInput): Promise<StoredObject>;
  /**
   * Replaces spec, labels, annotations and other non-status fields. With
   * metadata.resourceVersion set, a compare-and-swap (Conflict when stale);
   * without it, unconditional. status in the input is ignored. generation
   * increments only when something outside metadata and status changed. An
   * update that changes nothing is a no-op (no new revision, no event).
   */
  update(object: ObjectInput): Promise<StoredObject>;
  /** The status subresource: only status changes; generation is untouched. CAS as update. */
  updateStatus(object: ObjectInput): Promise<StoredObject>;
  /** Returns the object's last state. NotFound if absent; Conflict if a precondition fails. */
  delete(kind: string, namespace: string, name: string, options?: DeleteOptions): Promise<StoredObject>;
  /**
   * Several operations in one round trip (one lock, one journal write on the
   * file backend). Applied in order; each succeeds or fails on its own, so a
   * backend without transactions (Kubernetes) can implement it too.
   */
  batch(ops: BatchOp[]): Promise<BatchResult[]>;
}

/** A lease as stored. Times are wall-clock RFC 3339 strings for people; expiry never uses them. */
export interface LeaseRecord {
  name: string;
  /** Empty when released. */
  holder: string;
  /** Incremented every time a holder takes the lease (a fencing token); release keeps it. */
  epoch: number;
  acquireTime: string;
  renewTime: string;
  leaseDurationSeconds: number;
  /** The store revision of the record's last change; any change (renewal too) changes it. */
  revision: string;
  /** The holder's software version as it last took or renewed the lease (node leases); absent: unknown (older agents). */
  holderVersion?: string;
}

export type AcquireResult =
  | { acquired: true; lease: LeaseRecord }
  | {
      acquired: false;
      /** The record as currently stored (held by someone else). */
      lease: LeaseRecord;
      /** How much longer it must stay unchanged, on our own clock, before we may take it. */
      retryAfterMs: number;
    };

/**
 * Leases with client-go's expiry rule (see lease-client.ts): a candidate may
 * take a lease held by someone else only after it has itself seen the record
 * unchanged for leaseDurationSeconds on its own monotonic clock. A LeaseStore
 * instance is one client (one node's agent) and keeps those observations.
 */
export interface LeaseStore {
  /** The record, or null when it was never created. Also refreshes our observation. */
  get(name: string): Promise<LeaseRecord | null>;
  /**
   * Every record whose name starts with `prefix`, in one request, each observed as get() would; absent where the
   * backend cannot list cheaply (callers then get() each).
   */
  list?(prefix: string): Promise<LeaseRecord[]>;
  /**
   * Takes the lease if it is free, released, already ours (then it is renewed),
   * or held by someone else but observed unchanged for its whole duration. `current`: the record get() just
   * returned (saves reading it again; a stale one only makes the write conflict).
   */
  acquire(
    name: string,
    holder: string,
    durationSeconds: number,
    holderVersion?: string,
    current?: LeaseRecord | null,
  ): Promise<AcquireResult>;
  /**
   * Renew records this holder last wrote (as they were written: a compare-and-swap on each revision), in as few
   * requests as the backend allows; each answer is the renewed record, or null where the record changed since.
   * Absent where the backend writes one lease per request (callers then acquire() each).
   */
  renewMany?(records: LeaseRecord[], durationSeconds: number): Promise<(LeaseRecord | null)[]>;
  /** Extends our hold. Conflict if the lease is no longer ours at this epoch. */
  renew(name: string, holder: string, epoch: number): Promise<LeaseRecord>;
  /** Gives the lease up so others may take it at once. Conflict if not ours at this epoch. */
  release(name: string, holder: string, epoch: number): Promise<LeaseRecord>;
  /**
   * How much longer `record` must stay unchanged, by THIS client's own
   * observation, before it counts as expired (0: expired, or released). A
   * record never observed before counts from now. Node liveness uses it: a
   * node is alive while its node lease has remainingMs > 0.
   */
  remainingMs(record: LeaseRecord): number;
}

/** One connection to a backend: what openStore returns. */
export interface Store {
  readonly url: string;
  readonly objects: ObjectStore;
  readonly leases: LeaseStore;
  /** Where objects written without a namespace belong, when the store says (kubernetes://: ?namespace=, else the kubeconfig context's). */
  readonly namespace?: string;
  /** Ends watches and background work (file watchers, timers). */
  close(): Promise<void>;
}
