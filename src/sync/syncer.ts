/**
 * `winha sync` as a long-running reconciler: one syncer per Sync is elected by a lease in the store (the others stand
 * by and take over when it stops renewing); the leader runs a pass at start, every interval, at once when a watched
 * local directory changes, and after a failure with exponential backoff. It writes the Sync object (spec from its
 * flags, status after every pass) and events.
 */
import type { SyncSpec, SyncStatus } from '../api/types.js';
import { API_VERSION } from '../api/group.js';
import type { Clock } from '../lib/clock.js';
import { backoffMs } from '../lib/retry.js';
import type { AgentLogger } from '../controller/logger.js';
import type { EventInput } from '../controller/event-recorder.js';
import { jsonEqual } from '../lib/json.js';
import { isStoreError } from '../store/errors.js';
import { updateStatusWith } from '../store/status-update.js';
import type { Store, StoredObject } from '../store/types.js';
import { runPass, type PassResult } from './pass.js';
import { SourceError, type Revision, type Source } from './source.js';
import { attemptEvents, nextStatus, type Attempt } from './sync-status.js';
import type { ObjectId } from './drift.js';

export interface SyncerConfig {
  name: string;
  namespace: string;
  /** Who this syncer is in the lease and in status (default: host name and process id). */
  identity: string;
  spec: Required<Pick<SyncSpec, 'source' | 'intervalSeconds' | 'prune' | 'correctDrift'>> & Pick<SyncSpec, 'ref' | 'path'>;
  leaseSeconds: number;
  /** Namespace of manifests that name none (the store's default). */
  defaultNamespace?: string;
}

export interface SyncerDeps {
  store: Store;
  clock: Clock;
  source: Source;
  log: AgentLogger;
  event: (e: EventInput) => Promise<void>;
  /** Starts watching a local directory; calls onChange (debounced by the caller's watcher) on any change. */
  watch?: (dir: string, onChange: () => void) => { close(): Promise<void> };
  /** Told after every attempt (the CLI prints a line). */
  report?: (attempt: Attempt) => void;
}

/** Backoff after failed passes: 5 s, doubling, at most the interval. */
const FAILURE_BACKOFF_MIN_MS = 5000;

class LostLease extends Error {
  constructor() {
    super('the sync lease was lost before the write: another syncer took over; nothing was written');
  }
}

export function syncLeaseName(namespace: string, name: string): string {
  return `sync.${namespace}.${name}`;
}

export class Syncer {
  private epoch: number | undefined;
  private renewedAt = 0;
  private wake = new AbortController();
  private renewing: Promise<void> | undefined;
  /** Ends the background renewal at stop (a --once run must not wait out its next renewal to exit). */
  private readonly renewStop = new AbortController();
  private watcher: { close(): Promise<void> } | undefined;

  constructor(
    private readonly cfg: SyncerConfig,
    private readonly deps: SyncerDeps,
  ) {}

  private get ref(): ObjectId {
    return { kind: 'Sync', namespace: this.cfg.namespace, name: this.cfg.name };
  }

  private get leaseName(): string {
    return syncLeaseName(this.cfg.namespace, this.cfg.name);
  }

  /** Whether we hold the lease now: renewed within two thirds of its duration (client-go's renew deadline). */
  holds(): boolean {
    return this.epoch !== undefined && this.deps.clock.monotonic() - this.renewedAt < (this.cfg.leaseSeconds * 1000 * 2) / 3;
  }

  /** Retry period: a third of the renew deadline, as the agents' (design §3). */
  private get retryMs(): number {
    return Math.max(200, Math.round((this.cfg.leaseSeconds * 1000 * 2) / 9));
  }

  /** One attempt to lead; true when we do. */
  async tryLead(): Promise<boolean> {
    if (this.holds()) return true;
    this.epoch = undefined;
    const r = await this.deps.store.leases.acquire(this.leaseName, this.cfg.identity, this.cfg.leaseSeconds);
    if (!r.acquired) return false;
    this.epoch = r.lease.epoch;
    this.renewedAt = this.deps.clock.monotonic();
    this.deps.log.info({ sync: this.cfg.name, epoch: this.epoch }, 'leading: this syncer holds the sync lease');
    return true;
  }

  /** Renews while leading; on losing the lease, wakes the loop (which stands by again). */
  private async keepLease(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.epoch !== undefined) {
      await this.deps.clock.sleep(this.retryMs, signal).catch(() => undefined);
      if (signal.aborted || this.epoch === undefined) return;
      try {
        await this.deps.store.leases.renew(this.leaseName, this.cfg.identity, this.epoch);
        this.renewedAt = this.deps.clock.monotonic();
      } catch (err) {
        if (isStoreError(err, 'Conflict') || !this.holds()) {
          this.deps.log.warn({ sync: this.cfg.name, err: describeStoreError(err) }, 'standing by: the sync lease was lost');
          this.epoch = undefined;
          this.wake.abort();
          return;
        }
      }
    }
  }

  /** Runs until aborted (or, with once, after one pass): the exit code (0 synced, 1 refused or failed). */
  async run(signal: AbortSignal, once = false): Promise<number> {
    const firstWait = this.deps.clock.monotonic();
    let failures = 0;
    let told = false;
    try {
      while (!signal.aborted) {
        let leading = false;
        let storeError: string | undefined;
        try {
          leading = await this.tryLead();
        } catch (err) {
          storeError = describeStoreError(err);
          this.deps.log.warn({ sync: this.cfg.name, err: storeError }, 'cannot reach the store for the sync lease');
        }
        if (!leading) {
          if (!told && !storeError) this.deps.log.info({ sync: this.cfg.name }, 'standing by: another syncer holds the sync lease');
          told ||= !storeError;
          // --once waits out a dead holder's lease (its full duration, twice for margin), then gives up.
          if (once && this.deps.clock.monotonic() - firstWait > this.cfg.leaseSeconds * 2000 + 1000) {
            this.deps.log.error(
              { sync: this.cfg.name },
              storeError
                ? `the store did not answer: nothing was done (${storeError})`
                : '[sync-lease-held] another syncer kept the sync lease: nothing was done',
            );
            return 1;
          }
          await this.deps.clock.sleep(this.retryMs, signal).catch(() => undefined);
          continue;
        }
        told = false;
        this.renewing ??= this.keepLease(AbortSignal.any([signal, this.renewStop.signal])).finally(() => (this.renewing = undefined));
        this.startWatch();
        const attempt = await this.pass();
        const ok = attempt.kind === 'pass' && attempt.result.outcome === 'Synced';
        if (once) return ok ? 0 : 1;
        failures = attempt.kind === 'failed' ? failures + 1 : 0;
        const delay =
          failures > 0
            ? backoffMs({ retries: 0, minDelayMs: FAILURE_BACKOFF_MIN_MS, maxDelayMs: this.cfg.spec.intervalSeconds * 1000 }, failures)
            : this.cfg.spec.intervalSeconds * 1000;
        await this.waitNext(delay, signal);
      }
      return 0;
    } finally {
      await this.stop();
    }
  }

  /** Ask for a pass now (a watched directory changed). */
  trigger(): void {
    this.wake.abort();
  }

  private async waitNext(ms: number, signal: AbortSignal): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    await this.deps.clock.sleep(ms, AbortSignal.any([signal, this.wake.signal])).catch(() => undefined);
    if (this.wake.signal.aborted) this.wake = new AbortController();
  }

  private startWatch(): void {
    const dir = this.deps.source.watchPath;
    if (this.watcher || !dir || !this.deps.watch) return;
    this.watcher = this.deps.watch(dir, () => this.trigger());
  }

  /** One pass; never throws (a failure is an attempt too). */
  async pass(): Promise<Attempt> {
    let revision: Revision | undefined;
    let attempt: Attempt;
    try {
      revision = await this.deps.source.fetch();
      await this.ensureObject();
      const before = await this.currentStatus();
      const rev = revision;
      const result: PassResult = await runPass(this.deps.store.objects, {
        dir: rev.dir,
        root: rev.root,
        ...(rev.files ? { files: rev.files } : {}),
        prune: this.cfg.spec.prune,
        correctDrift: this.cfg.spec.correctDrift,
        previous: before.inventory,
        ...(this.cfg.defaultNamespace ? { defaultNamespace: this.cfg.defaultNamespace } : {}),
        beforeWrite: async () => {
          if (!this.holds()) throw new LostLease();
          await this.record({ kind: 'applying', revision: rev });
        },
      });
      attempt = { kind: 'pass', revision: rev, result };
    } catch (err) {
      if (err instanceof LostLease) {
        this.deps.log.warn({ sync: this.cfg.name }, err.message);
        attempt = { kind: 'failed', ...(revision ? { revision } : {}), code: 'sync-lease-lost', message: err.message };
        this.deps.report?.(attempt);
        return attempt;
      }
      attempt = failure(err, revision);
    }
    await this.record(attempt).catch((err: unknown) =>
      this.deps.log.warn({ sync: this.cfg.name, err: describeStoreError(err) }, 'could not write the Sync status'),
    );
    this.deps.report?.(attempt);
    return attempt;
  }

  private async currentStatus(): Promise<SyncStatus> {
    const o = await this.deps.store.objects.get('Sync', this.cfg.namespace, this.cfg.name);
    return o.status ?? {};
  }

  /** Create the Sync object, or bring its spec to this syncer's flags. */
  private async ensureObject(): Promise<void> {
    const { namespace, name } = this.cfg;
    const spec = { ...this.cfg.spec };
    let cur: StoredObject | undefined;
    try {
      cur = await this.deps.store.objects.get('Sync', namespace, name);
    } catch (err) {
      if (!isStoreError(err, 'NotFound')) throw err;
    }
    if (!cur) {
      await this.deps.store.objects.create({ apiVersion: API_VERSION, kind: 'Sync', metadata: { name, namespace }, spec });
      return;
    }
    if (!jsonEqual(cur.spec, spec)) await this.deps.store.objects.update({ ...cur, spec });
  }

  /** Status and events of an attempt. */
  private async record(attempt: Attempt): Promise<void> {
    let before: SyncStatus = {};
    const now = new Date(this.deps.clock.now()).toISOString();
    await updateStatusWith<SyncStatus>(this.deps.store.objects, 'Sync', this.cfg.namespace, this.cfg.name, (s) => {
      before = s;
      return nextStatus(s, attempt, this.cfg.identity, now);
    });
    for (const e of attemptEvents(before, attempt, this.ref)) await this.deps.event(e);
  }

  /** Give the lease up (others take over at once) and stop watching. */
  async stop(): Promise<void> {
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
    const epoch = this.epoch;
    this.epoch = undefined;
    this.wake.abort();
    this.renewStop.abort();
    await this.renewing;
    if (epoch !== undefined) await this.deps.store.leases.release(this.leaseName, this.cfg.identity, epoch).catch(() => undefined);
  }
}

/** An error in words for the log and status (store errors already carry their code and endpoint). */
function describeStoreError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failure(err: unknown, revision: Revision | undefined): Attempt {
  const rev = revision ? { revision } : {};
  if (err instanceof SourceError) return { kind: 'failed', ...rev, code: err.code, message: err.message };
  if (isStoreError(err)) return { kind: 'failed', ...rev, code: 'store-failed', message: describeStoreError(err) };
  return { kind: 'failed', ...rev, code: 'sync-failed', message: err instanceof Error ? err.message : String(err) };
}
