/**
 * A watch over etcd: one etcd watcher on the whole P/objects/ range (with
 * prev_kv), filtered here by kind, namespace and label selector.
 *
 * - From a resourceVersion: etcd replays every change after it; a compacted
 *   revision fails with GoneError (list again). Without one: list, ADDED for
 *   each object, then follow from the list's revision.
 * - `position` is the revision up to which every object change has been
 *   accounted for (delivered or filtered out). Watching all kinds (not just
 *   this one) makes it advance on any object write; progress notifications
 *   (empty responses) advance it too.
 * - Reconnection is ours, not etcd3's: on a lost stream we drop the etcd3
 *   watcher and start a new one from position+1 (etcd3 would resume from the
 *   header revision of its create response, which can skip changes).
 * - BOOKMARK: read the head key (rewritten by every object write). Its
 *   mod_revision M is the latest object change as of the read's revision R.
 *   Once position ≥ M, every object change ≤ R has been seen, so a bookmark
 *   at R is complete; resuming from it misses nothing.
 */
import type { IEvent, IWatchResponse, Watcher } from 'etcd3';
import type { Clock, Timer } from '../../lib/clock.js';
import { GoneError, UnavailableError } from '../errors.js';
import { QueuedWatch } from '../queued-watch.js';
import type { StoredObject, Watch, WatchEvent, WatchOptions } from '../types.js';
import { DEFAULT_BOOKMARK_INTERVAL_MS } from '../watch.js';
import type { EtcdClient } from './client.js';
import { decodeObject } from './codec.js';
import type { KeyLayout, ObjectName } from './keys.js';
import type { IKeyValue } from 'etcd3';

const RECONNECT_DELAY_MS = 500;

export interface EtcdWatchSource {
  readonly client: EtcdClient;
  readonly keys: KeyLayout;
  /** The store's clock: bookmark period. */
  readonly clock: Clock;
  /** Real time: reconnection delays. */
  readonly ioClock: Clock;
  listPrefix(prefix: string, what: string): Promise<{ kvs: IKeyValue[]; revision: string }>;
  readKey(key: string, what: string, revision?: number): Promise<{ kv: IKeyValue | undefined; revision: string }>;
  detach(w: Watch): void;
}

export class EtcdWatch extends QueuedWatch {
  private position = 0;
  private watcher: Watcher | undefined;
  /** Incremented whenever the etcd3 watcher is replaced, so a stale one's events are ignored. */
  private generation = 0;
  private bookmarkTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private progressWaiters: { revision: number; resolve: () => void }[] = [];

  constructor(
    private readonly source: EtcdWatchSource,
    kind: string,
    options: WatchOptions = {},
  ) {
    super(kind, options);
  }

  protected async start(): Promise<void> {
    try {
      const rv = this.options.resourceVersion;
      if (rv === undefined || rv === '') {
        const { kvs, revision } = await this.source.listPrefix(this.source.keys.kindPrefix(this.kind, this.options.namespace), this.what);
        if (this.closed) return;
        for (const kv of kvs) {
          const o = decodeObject(kv);
          if (this.matches(o.metadata.labels)) this.push({ type: 'ADDED', object: o, resourceVersion: o.metadata.resourceVersion });
        }
        this.position = Number(revision);
        if (this.options.bookmarks) this.push({ type: 'BOOKMARK', resourceVersion: String(this.position) });
      } else {
        this.position = Number(rv);
        await this.checkHistory(this.position);
      }
      if (this.closed) return;
      this.connect();
      if (this.options.bookmarks) this.armBookmark();
    } catch (e) {
      this.fail(e instanceof Error ? e : new UnavailableError(`${this.what}: ${String(e)}`));
    }
  }

  /** Fail early, with a clear message, when etcd no longer has the revisions after `from`. */
  private async checkHistory(from: number): Promise<void> {
    if (from <= 0) return; // revision 0 means "latest" to etcd's range; the watch itself reports compaction
    try {
      await this.source.readKey(this.source.keys.head, this.what, from);
    } catch (e) {
      if (e instanceof GoneError) throw this.gone(from);
      if (e instanceof Error && /future revision/.test(e.message)) return; // a revision not reached yet: just wait for it
      throw e;
    }
  }

  private gone(from: number): GoneError {
    return new GoneError(
      `${this.what} from resourceVersion ${from}: too old, etcd has compacted that history; list again and watch from the list's resourceVersion`,
    );
  }

  private connect(): void {
    if (this.closed) return;
    const gen = ++this.generation;
    const w = this.source.client
      .watch()
      .prefix(this.source.keys.objects)
      .startRevision(String(this.position + 1))
      .withPreviousKV()
      .watcher();
    this.watcher = w;
    w.on('data', (res) => {
      if (gen === this.generation) this.onData(res);
    });
    // etcd canceled the watch: with a start revision, that is compaction.
    w.on('error', () => {
      if (gen === this.generation) this.fail(this.gone(this.position));
    });
    w.on('disconnected', () => {
      if (gen !== this.generation || this.closed) return;
      this.dropWatcher();
      this.reconnectTimer = this.source.ioClock.setTimer(RECONNECT_DELAY_MS, () => this.connect());
    });
  }

  private dropWatcher(): void {
    this.generation++;
    const old = this.watcher;
    this.watcher = undefined;
    if (old) old.cancel().catch(() => undefined);
  }

  private onData(res: IWatchResponse): void {
    if (this.closed) return;
    if (res.events.length === 0) {
      // A progress notification: every change up to the header revision has been sent.
      this.position = Math.max(this.position, Number(res.header.revision));
    }
    for (const ev of res.events) {
      const revision = Number(ev.kv.mod_revision);
      const name = this.source.keys.parseObject(ev.kv.key.toString('utf8'));
      if (name) {
        const out = this.toEvent(ev, name, String(revision));
        if (out) this.push(out);
      }
      this.position = Math.max(this.position, revision);
    }
    this.progressWaiters = this.progressWaiters.filter((p) => {
      if (p.revision > this.position) return true;
      p.resolve();
      return false;
    });
  }

  private toEvent(ev: IEvent, n: ObjectName, rv: string): WatchEvent | undefined {
    if (n.kind !== this.kind) return undefined;
    if (this.options.namespace !== undefined && n.namespace !== this.options.namespace) return undefined;
    const prev = ev.prev_kv && ev.prev_kv.value.length > 0 ? decodeObject(ev.prev_kv) : undefined;
    if (ev.type === 'Delete') {
      const last: StoredObject = prev ?? { apiVersion: '', kind: n.kind, metadata: stubMeta(n) };
      // Without prev_kv we cannot tell whether it matched the selector: report it (a spurious DELETED is harmless).
      const wasMatching = prev ? this.matches(prev.metadata.labels) : true;
      if (!wasMatching) return undefined;
      return { type: 'DELETED', object: { ...last, metadata: { ...last.metadata, resourceVersion: rv } }, resourceVersion: rv };
    }
    const o = decodeObject(ev.kv);
    const created = ev.kv.version === '1' || String(ev.kv.version) === '1';
    const nowMatches = this.matches(o.metadata.labels);
    const wasMatching = created ? false : this.matches(prev ? prev.metadata.labels : o.metadata.labels);
    if (nowMatches && !wasMatching) return { type: 'ADDED', object: o, resourceVersion: rv };
    if (nowMatches) return { type: 'MODIFIED', object: o, resourceVersion: rv };
    if (wasMatching) return { type: 'DELETED', object: o, resourceVersion: rv };
    return undefined;
  }

  private armBookmark(): void {
    const interval = this.options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    this.bookmarkTimer = this.source.clock.setTimer(interval, () => {
      void this.bookmark().finally(() => {
        if (!this.closed) this.armBookmark();
      });
    });
  }

  private async bookmark(): Promise<void> {
    let head: { kv: IKeyValue | undefined; revision: string };
    try {
      head = await this.source.readKey(this.source.keys.head, `${this.what} bookmark`);
    } catch {
      return; // etcd unreachable: no bookmark this period
    }
    const latestObjectChange = head.kv ? Number(head.kv.mod_revision) : 0;
    if (this.position < latestObjectChange) {
      await new Promise<void>((resolve) => this.progressWaiters.push({ revision: latestObjectChange, resolve }));
    }
    if (this.closed || this.failed) return;
    this.position = Math.max(this.position, Number(head.revision));
    this.push({ type: 'BOOKMARK', resourceVersion: String(this.position) });
  }

  protected stop(): void {
    this.dropWatcher();
    this.bookmarkTimer?.cancel();
    this.bookmarkTimer = undefined;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    for (const p of this.progressWaiters) p.resolve();
    this.progressWaiters = [];
    this.source.detach(this);
  }
}

function stubMeta(n: ObjectName): StoredObject['metadata'] {
  return { name: n.name, namespace: n.namespace, uid: '', generation: 0, resourceVersion: '', creationTimestamp: '' };
}
