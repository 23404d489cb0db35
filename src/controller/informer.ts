/**
 * An informer: a local cache of one kind kept current by list + watch
 * (docs/spec/anchors-k8s.md "Recommendations for our TypeScript project" 3). It resumes the watch from the last
 * resourceVersion, relists when the history is gone (GoneError) or the watch
 * fails, with backoff on the injected Clock, and resyncs (relists) every
 * resyncMs. Every change calls onChange(object) so the agent can enqueue the
 * keys it affects; reads come from the cache, never from event payloads.
 */
import type { Clock } from '../lib/clock.js';
import type { ObjectStore, StoredObject } from '../store/types.js';

export interface InformerOptions {
  resyncMs?: number;
  onChange: (obj: StoredObject, type: 'ADDED' | 'MODIFIED' | 'DELETED') => void;
  onError?: (err: unknown) => void;
}

export class Informer {
  private readonly cache = new Map<string, StoredObject>();
  private stopped = false;
  private abort: AbortController | undefined;
  private synced = false;
  private lastResync = 0;
  relists = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly kind: string,
    private readonly clock: Clock,
    private readonly options: InformerOptions,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  list(): StoredObject[] {
    return [...this.cache.values()];
  }

  get(namespace: string, name: string): StoredObject | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  private async loop(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      try {
        const rv = await this.relist();
        backoff = 1000;
        await this.watchFrom(rv);
      } catch (err) {
        if (this.stopped) return;
        this.options.onError?.(err);
        await this.clock.sleep(backoff).catch(() => undefined);
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }

  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.store.list(this.kind);
    this.relists++;
    const seen = new Set<string>();
    for (const o of items) {
      const k = key(o);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, o);
      if (!old || old.metadata.resourceVersion !== o.metadata.resourceVersion) this.options.onChange(o, old ? 'MODIFIED' : 'ADDED');
    }
    for (const [k, o] of [...this.cache]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.options.onChange(o, 'DELETED');
      }
    }
    this.synced = true;
    this.lastResync = this.clock.monotonic();
    return resourceVersion;
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    const resyncMs = this.options.resyncMs ?? 10 * 60_000;
    this.abort = new AbortController();
    const w = this.store.watch(this.kind, { resourceVersion, signal: this.abort.signal });
    const timer = this.clock.setTimer(resyncMs, () => w.close());
    try {
      for await (const ev of w) {
        if (this.stopped) break;
        if (ev.type === 'BOOKMARK') continue;
        const k = key(ev.object);
        if (ev.type === 'DELETED') this.cache.delete(k);
        else this.cache.set(k, ev.object);
        this.options.onChange(ev.object, ev.type);
      }
    } finally {
      timer.cancel();
      w.close();
    }
    void this.lastResync;
  }
}

function key(o: StoredObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
