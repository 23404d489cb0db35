/**
 * A watch over an Engine: replays history from a resourceVersion (or the
 * current state), then follows live changes, filtered by kind, namespace and
 * label selector, with optional bookmarks on the store's clock.
 *
 * Replay and subscription happen in one synchronous step, so no change is
 * missed or delivered twice between them.
 */
import type { Clock, Timer } from '../lib/clock.js';
import type { Change, Engine, EngineListener, ObjectChange } from './engine.js';
import { GoneError, UnavailableError } from './errors.js';
import { QueuedWatch } from './queued-watch.js';
import { clone } from './objects.js';
import type { StoredObject, Watch, WatchEvent, WatchOptions } from './types.js';

export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;

export interface WatchSource {
  engine: Engine;
  clock: Clock;
  /** Bring the engine up to date with the backend (file: read the journal). */
  sync(): Promise<void>;
  /** Called when the watch starts/ends (file: start/stop the directory watcher). */
  attach?(w: Watch): void;
  detach?(w: Watch): void;
}

export class EngineWatch extends QueuedWatch implements EngineListener {
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  /** The last revision this watch has accounted for (delivered or filtered out). */
  private position = 0;

  constructor(
    private readonly source: WatchSource,
    kind: string,
    options: WatchOptions = {},
  ) {
    super(kind, options);
  }

  protected async start(): Promise<void> {
    try {
      await this.source.sync();
    } catch (e) {
      this.fail(e instanceof Error ? e : new UnavailableError(`${this.what}: ${String(e)}`));
      return;
    }
    if (this.closed) return;
    const engine = this.source.engine;
    const rv = this.options.resourceVersion;
    if (rv === undefined || rv === '') {
      for (const o of engine.listObjects(this.kind, this.options.namespace, this.matches)) {
        this.push({ type: 'ADDED', object: clone(o), resourceVersion: o.metadata.resourceVersion });
      }
      this.position = engine.revision;
      if (this.options.bookmarks) this.push({ type: 'BOOKMARK', resourceVersion: String(this.position) });
    } else {
      const from = Number(rv);
      const changes = engine.changesSince(from);
      if (!changes) {
        this.fail(this.gone(from));
        return;
      }
      this.position = from;
      this.changes(changes);
      this.position = Math.max(from, engine.revision);
    }
    this.unsubscribe = engine.subscribe(this);
    this.source.attach?.(this);
    if (this.options.bookmarks) this.armBookmark();
  }

  private gone(from: number): GoneError {
    return new GoneError(
      `${this.what} from resourceVersion ${from}: too old, history starts after ${this.source.engine.compactedRevision}; list again and watch from the list's resourceVersion`,
    );
  }

  /** EngineListener: new changes, in revision order. */
  changes(changes: readonly Change[]): void {
    if (this.closed) return;
    for (const c of changes) {
      if (c.revision <= this.position) continue;
      this.position = c.revision;
      if (c.resource !== 'object') continue;
      const ev = this.toEvent(c);
      if (ev) this.push(ev);
    }
  }

  /** EngineListener: the state was reloaded; if we are behind the new history, we must relist. */
  reset(): void {
    if (this.closed) return;
    const changes = this.source.engine.changesSince(this.position);
    if (!changes) this.fail(this.gone(this.position));
    else this.changes(changes);
  }

  private toEvent(c: ObjectChange): WatchEvent | undefined {
    const o: StoredObject = c.object;
    if (o.kind !== this.kind) return undefined;
    if (this.options.namespace !== undefined && o.metadata.namespace !== this.options.namespace) return undefined;
    const rv = String(c.revision);
    const nowMatches = this.matches(o.metadata.labels);
    const wasMatching = c.prevLabels !== null && this.matches(c.prevLabels);
    if (c.type === 'DELETED') return wasMatching ? { type: 'DELETED', object: clone(o), resourceVersion: rv } : undefined;
    // Label changes move objects in and out of a selected watch, as in Kubernetes.
    if (nowMatches && !wasMatching) return { type: 'ADDED', object: clone(o), resourceVersion: rv };
    if (nowMatches) return { type: 'MODIFIED', object: clone(o), resourceVersion: rv };
    if (wasMatching) return { type: 'DELETED', object: clone(o), resourceVersion: rv };
    return undefined;
  }

  private armBookmark(): void {
    const interval = this.options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    this.timer = this.source.clock.setTimer(interval, () => {
      if (this.closed) return;
      this.push({ type: 'BOOKMARK', resourceVersion: String(this.position) });
      this.armBookmark();
    });
  }

  protected stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.source.detach?.(this);
  }
}
