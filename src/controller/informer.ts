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
  /** namespace/spec.group → the objects of that group, by key. */
  private readonly byGroup = new Map<string, Map<string, StoredObject>>();
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

  /** The objects of a group (spec.group) in a namespace, from an index: a reconcile reads its own, not every object. */
  ofGroup(namespace: string, group: string): StoredObject[] {
    return [...(this.byGroup.get(`${namespace}/${group}`)?.values() ?? [])];
  }

  private put(k: string, o: StoredObject): void {
    const old = this.cache.get(k);
    // Same group: overwrite in place, so both maps keep the order objects first appeared in.
    if (old && groupOf(old) !== groupOf(o)) this.remove(k);
    this.cache.set(k, o);
    const g = groupOf(o);
    if (g === undefined) return;
    let m = this.byGroup.get(g);
    if (!m) this.byGroup.set(g, (m = new Map<string, StoredObject>()));
    m.set(k, o);
  }

  private remove(k: string): void {
    const old = this.cache.get(k);
    if (!old) return;
    this.cache.delete(k);
    const g = groupOf(old);
    const m = g === undefined ? undefined : this.byGroup.get(g);
    m?.delete(k);
    if (m?.size === 0) this.byGroup.delete(g!);
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
      this.put(k, o);
      if (!old || old.metadata.resourceVersion !== o.metadata.resourceVersion) this.options.onChange(o, old ? 'MODIFIED' : 'ADDED');
    }
    for (const [k, o] of [...this.cache]) {
      if (!seen.has(k)) {
        this.remove(k);
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
        if (ev.type === 'DELETED') this.remove(k);
        else this.put(k, ev.object);
        this.options.onChange(ev.object, ev.type);
      }
    } finally {
      timer.cancel();
      w.close();
    }
    void this.lastResync;
  }
}

function groupOf(o: StoredObject): string | undefined {
  const g = (o.spec as { group?: unknown } | undefined)?.group;
  return typeof g === 'string' ? `${o.metadata.namespace}/${g}` : undefined;
}

function key(o: StoredObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
