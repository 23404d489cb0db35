/**
 * A watch on a Kubernetes collection that survives what docs/spec/anchors-k8s.md §1.5
 * lists about client-node's Watch and informer:
 *
 *  - any error or close restarts the watch from the last resourceVersion
 *    delivered (never from scratch: that would replay every object as ADDED),
 *    with backoff 1 s doubling to 30 s, reset when an event arrives; a clean
 *    server-side close (timeoutSeconds) reconnects at once;
 *  - 410 Gone (HTTP status or in-stream ERROR event) ends the iteration with
 *    GoneError, so the caller lists again and watches from the list;
 *  - allowWatchBookmarks is always requested: server BOOKMARKs advance the
 *    resume point even on a quiet collection (and are passed on when asked);
 *  - a dead connection (no byte for `inactivityMs`, 90 s by default: the API
 *    server sends bookmarks about every 60 s) is aborted and replaced — that
 *    is client-node 2.x Watch's inactivity timer, set from our option;
 *  - the server-side timeoutSeconds is drawn at random in 300–600 s, as
 *    client-go's reflector does, so watches do not all reconnect together.
 *
 * BOOKMARKs at `bookmarkIntervalMs` on the store's clock (our contract, which
 * the API server cannot follow: its period is its own) are made here: list
 * the same selection, and only if the listed objects are exactly those this
 * watch has delivered (same names, same resourceVersions) announce the list's
 * resourceVersion. Otherwise events are still in flight and the bookmark
 * waits for the next period. (A create and delete of one object both still in
 * flight would go unseen by that check; on a real cluster that window is the
 * etcd-to-client latency.)
 */
import { Watch as KubeWatch, type KubeConfig } from '@kubernetes/client-node';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { GoneError } from '../errors.js';
import { QueuedWatch } from '../queued-watch.js';
import type { StoredObject, WatchOptions } from '../types.js';
import { collectionPath, httpCode, toStored, type KubeObject, type KubeStatus, type Resource } from './api.js';

export interface ListFn {
  (options: { resourceVersion?: string; exact?: boolean }): Promise<{ items: StoredObject[]; resourceVersion: string }>;
}

export interface WatchDeps {
  kubeConfig: KubeConfig;
  resource: Resource;
  namespace: string | undefined;
  labelSelector: string | undefined;
  /** List the same selection (a quorum read, or exactly at a resourceVersion). */
  list: ListFn;
  clock: Clock;
  ioClock: Clock;
  random: Random;
  inactivityMs: number;
  /** Told about every (re)connection, for tests and metrics. */
  onConnect?: () => void;
  /** Told once when the watch ends (closed or failed). */
  onClose?: () => void;
}

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

function key(o: StoredObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

export class KubernetesWatch extends QueuedWatch {
  /** Resume point of the underlying watch: the last event or server bookmark received. */
  private lastRV: string | undefined;
  /** What this watch has delivered, by namespace/name → resourceVersion (kept only for synthesized bookmarks). */
  private delivered: Map<string, string> | undefined;
  private lastBookmark = -1;
  private controller: AbortController | undefined;
  private retryDelayMs = 0;
  private restartTimer: Timer | undefined;
  private bookmarkTimer: Timer | undefined;
  /** Incremented per connection, so callbacks of an abandoned connection are ignored. */
  private generation = 0;

  constructor(
    private readonly deps: WatchDeps,
    options: WatchOptions,
  ) {
    super(deps.resource.kind, options);
    this.startNow(); // connect at once (an aborted signal has closed it already: then nothing starts)
  }

  /** Closed by the caller or failed: nothing may reconnect. */
  private get ended(): boolean {
    return this.closed || this.failed;
  }

  /** Stop the request, the timers and the store's bookkeeping (on close and on failure). */
  protected stop(): void {
    // An already-aborted signal closes the watch inside super(), before this class is set up: nothing to release.
    if (!(this.deps as WatchDeps | undefined)) return;
    this.generation++;
    this.controller?.abort();
    this.restartTimer?.cancel();
    this.bookmarkTimer?.cancel();
    this.deps.onClose?.();
  }

  protected async start(): Promise<void> {
    try {
      const wantBookmarks = this.options.bookmarks === true;
      if (this.options.resourceVersion === undefined) {
        // Kubernetes' "start at most recent": every current object as ADDED, then changes.
        const l = await this.deps.list({});
        if (this.ended) return;
        for (const o of l.items) this.push({ type: 'ADDED', object: o, resourceVersion: o.metadata.resourceVersion });
        this.lastRV = l.resourceVersion;
        if (wantBookmarks) {
          this.delivered = new Map(l.items.map((o) => [key(o), o.metadata.resourceVersion]));
          this.push({ type: 'BOOKMARK', resourceVersion: l.resourceVersion });
          this.lastBookmark = Number(l.resourceVersion);
        }
      } else {
        this.lastRV = this.options.resourceVersion;
        if (wantBookmarks) {
          // What the caller already has: the selection as of the resourceVersion it resumes from.
          const l = await this.deps.list({ resourceVersion: this.lastRV, exact: true });
          if (this.ended) return;
          this.delivered = new Map(l.items.map((o) => [key(o), o.metadata.resourceVersion]));
        }
      }
      if (wantBookmarks) this.scheduleBookmark();
      this.connect();
    } catch (e) {
      if (httpCode(e) === 410 || (e as { code?: string }).code === 'Gone') this.gone('the requested resourceVersion is too old');
      else if (!this.ended) this.scheduleRestart(true, () => void this.start());
    }
  }

  private gone(detail: string): void {
    const what = `watch of ${this.deps.resource.plural} from resourceVersion ${this.lastRV ?? '(latest)'}`;
    this.fail(new GoneError(`${what}: ${detail}; list again, then watch from the list's resourceVersion`));
  }

  private connect(): void {
    if (this.ended) return;
    const gen = ++this.generation;
    const kw = new KubeWatch(this.deps.kubeConfig);
    // requestTimeoutMs is declared private but is the inactivity timer (re-armed on every chunk) of client-node 2.x.
    (kw as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.deps.inactivityMs;
    const query: Record<string, string | number | boolean> = {
      allowWatchBookmarks: true,
      timeoutSeconds: this.deps.random.int(300, 600),
    };
    if (this.lastRV !== undefined) query['resourceVersion'] = this.lastRV;
    if (this.deps.labelSelector) query['labelSelector'] = this.deps.labelSelector;
    const path = collectionPath(this.deps.resource, this.deps.namespace);
    this.deps.onConnect?.();
    kw.watch(
      path,
      query,
      (type: string, obj: unknown) => {
        if (gen !== this.generation) return;
        this.onEvent(type, obj);
      },
      (err: unknown) => {
        if (gen !== this.generation || this.ended) return;
        if (httpCode(err) === 410) return this.gone('the requested resourceVersion is too old');
        // A clean close (server timeoutSeconds, or the inactivity abort) reconnects at once; errors back off.
        const isTimeout = err instanceof Error && err.name === 'TimeoutError';
        this.scheduleRestart(err !== null && err !== undefined && !isTimeout, () => this.connect());
      },
    ).then(
      (c) => {
        if (gen === this.generation) this.controller = c;
        else c.abort();
      },
      () => {
        if (gen === this.generation && !this.ended) this.scheduleRestart(true, () => this.connect());
      },
    );
  }

  private onEvent(type: string, obj: unknown): void {
    this.retryDelayMs = 0;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const o = toStored(obj as KubeObject, this.deps.resource.kind);
        const rv = o.metadata.resourceVersion;
        if (this.lastRV !== undefined && /^\d+$/.test(rv) && /^\d+$/.test(this.lastRV) && Number(rv) <= Number(this.lastRV)) return;
        this.lastRV = rv;
        if (this.delivered) {
          if (type === 'DELETED') this.delivered.delete(key(o));
          else this.delivered.set(key(o), rv);
        }
        this.push({ type, object: o, resourceVersion: rv });
        return;
      }
      case 'BOOKMARK': {
        const rv = (obj as KubeObject).metadata?.resourceVersion;
        if (!rv) return;
        this.lastRV = rv;
        if (this.options.bookmarks && Number(rv) > this.lastBookmark) {
          this.lastBookmark = Number(rv);
          this.push({ type: 'BOOKMARK', resourceVersion: rv });
        }
        return;
      }
      case 'ERROR': {
        const st = obj as KubeStatus;
        if (st.code === 410) return this.gone(st.message ?? 'too old resource version');
        // Anything else: drop this connection and resume from the last resourceVersion.
        this.generation++;
        this.controller?.abort();
        this.scheduleRestart(true, () => this.connect());
        return;
      }
    }
  }

  private scheduleRestart(isError: boolean, fn: () => void): void {
    if (this.ended) return;
    this.restartTimer?.cancel();
    let delay = 0;
    if (isError) {
      this.retryDelayMs = this.retryDelayMs === 0 ? BACKOFF_START_MS : Math.min(BACKOFF_MAX_MS, this.retryDelayMs * 2);
      delay = this.retryDelayMs * (0.8 + 0.4 * this.deps.random.next());
    }
    this.restartTimer = this.deps.ioClock.setTimer(delay, () => {
      this.restartTimer = undefined;
      if (!this.ended) fn();
    });
  }

  private scheduleBookmark(): void {
    const interval = this.options.bookmarkIntervalMs ?? 60_000;
    this.bookmarkTimer = this.deps.clock.setTimer(interval, () => {
      void this.bookmark().finally(() => {
        if (!this.ended) this.scheduleBookmark();
      });
    });
  }

  private async bookmark(): Promise<void> {
    let l: { items: StoredObject[]; resourceVersion: string };
    try {
      l = await this.deps.list({});
    } catch {
      return; // the next period tries again
    }
    if (this.ended || !this.delivered) return;
    const same = l.items.length === this.delivered.size && l.items.every((o) => this.delivered!.get(key(o)) === o.metadata.resourceVersion);
    const rv = Number(l.resourceVersion);
    if (same && rv > this.lastBookmark) {
      this.lastBookmark = rv;
      this.push({ type: 'BOOKMARK', resourceVersion: l.resourceVersion });
    }
  }
}
