/**
 * What the dashboard shows, kept current from the store's watches (one informer per kind: list once, then watch,
 * relist on GoneError) and node leases re-read on a modest interval (leases cannot be watched). Subscribers get the
 * model again, debounced, whenever what a person sees changed, and the lease expiries whenever a node renewed.
 */
import type { Clock, Timer } from '../lib/clock.js';
import type { LeaseRecord, Store, StoredObject } from '../store/types.js';
import { Informer } from '../controller/informer.js';
import { groupLeaseName } from '../controller/lease/group-lease.js';
import { readNodeLeases } from '../view/node-leases.js';
import {
  buildDashboardModel,
  buildGroupPage,
  leaseTimes,
  modelSignature,
  type DashboardInput,
  type DashboardModel,
  type GroupPage,
} from './model.js';

const KINDS = ['Cluster', 'FailoverGroup', 'Mirror', 'VirtualIP', 'IISSite', 'Event'] as const;

export interface SourceOptions {
  clock: Clock;
  /** Changes within this window make one new model. */
  debounceMs?: number;
  /** How often node leases are re-read (and node liveness judged again). */
  leaseIntervalMs?: number;
  actions?: boolean;
}

export type SourceMessage =
  { type: 'model'; model: DashboardModel } | { type: 'leases'; now: number; leases: Record<string, number | null> };

export class DashboardSource {
  private readonly informers: Informer[];
  /** Syncs are not waited for: a Kubernetes cluster without the Sync CRD (older) has none, and the page still comes. */
  private readonly syncs: Informer;
  private leases = new Map<string, LeaseRecord>();
  private groupLeases = new Map<string, LeaseRecord>();
  private readonly listeners = new Set<(m: SourceMessage) => void>();
  private readonly debounceMs: number;
  private readonly leaseMs: number;
  private debounce: Timer | undefined;
  private leaseTimer: Timer | undefined;
  private stopped = false;
  private current: DashboardModel | undefined;
  private signature = '';
  private leaseKey = '';
  /** No live view was open at the last lease tick: the leases were not re-read (the agent pays nothing for a tab closed long ago). */
  private idle = false;
  /** Model builds so far (tests, bench). */
  builds = 0;

  constructor(
    private readonly store: Store,
    private readonly options: SourceOptions,
  ) {
    this.debounceMs = options.debounceMs ?? 250;
    this.leaseMs = options.leaseIntervalMs ?? 1000;
    this.informers = KINDS.map((k) => new Informer(store.objects, k, options.clock, { onChange: () => this.changed() }));
    this.syncs = new Informer(store.objects, 'Sync', options.clock, { onChange: () => this.changed() });
  }

  /** Start watching; resolves once every kind was listed and the leases read (the first model is ready). */
  async start(): Promise<void> {
    for (const i of this.informers) i.start();
    this.syncs.start();
    while (!this.stopped && !this.informers.every((i) => i.hasSynced)) await this.options.clock.sleep(20);
    await this.readLeases();
    this.rebuild();
    this.scheduleLeases();
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.informers) i.stop();
    this.syncs.stop();
    this.debounce?.cancel();
    this.leaseTimer?.cancel();
    this.listeners.clear();
  }

  /** The newest model; after a quiet spell (nobody watching: leases not re-read), read the leases first. */
  async model(): Promise<DashboardModel> {
    if (this.idle || !this.current) {
      this.idle = false;
      await this.readLeases();
      return this.rebuild();
    }
    return this.current;
  }

  async group(namespace: string, name: string): Promise<GroupPage | null> {
    await this.model();
    return buildGroupPage(this.input(), namespace, name);
  }

  subscribe(fn: (m: SourceMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private objects(kind: (typeof KINDS)[number]): StoredObject[] {
    return this.informers[KINDS.indexOf(kind)]!.list();
  }

  private input(): DashboardInput {
    return {
      clusters: this.objects('Cluster'),
      groups: this.objects('FailoverGroup'),
      mirrors: this.objects('Mirror'),
      vips: this.objects('VirtualIP'),
      sites: this.objects('IISSite'),
      events: this.objects('Event'),
      syncs: this.syncs.list(),
      leases: this.leases,
      groupLeases: this.groupLeases,
      now: this.options.clock.now(),
    };
  }

  private changed(): void {
    if (this.stopped || this.debounce || !this.current) return;
    if (this.listeners.size === 0) return void (this.idle = true); // built when next asked for
    this.debounce = this.options.clock.setTimer(this.debounceMs, () => {
      this.debounce = undefined;
      this.rebuild();
    });
  }

  /** Build the model; tell subscribers when what it shows changed, else when only the leases moved. */
  private rebuild(): DashboardModel {
    const model = buildDashboardModel(this.input(), !!this.options.actions);
    this.builds++;
    this.current = model;
    const sig = modelSignature(model);
    const leases = leaseTimes(model);
    const leaseKey = JSON.stringify(leases);
    if (sig !== this.signature) this.emit({ type: 'model', model });
    else if (leaseKey !== this.leaseKey) this.emit({ type: 'leases', now: model.now, leases });
    this.signature = sig;
    this.leaseKey = leaseKey;
    return model;
  }

  private emit(m: SourceMessage): void {
    for (const fn of [...this.listeners]) fn(m);
  }

  private async readLeases(): Promise<void> {
    // A store that does not answer leaves the leases last read (the page ages them).
    const fresh = await readNodeLeases(this.store.leases, this.objects('Cluster')).catch(() => undefined);
    if (fresh) this.leases = fresh;
    // Only groups whose active node is dead (as last shown) have a countdown worth a read each tick.
    const orphaned = (this.current?.groups ?? []).filter((g) => g.ready.reason === 'ActiveNodeDead');
    const next = new Map<string, LeaseRecord>();
    await Promise.all(
      orphaned.map(async (g) => {
        const key = `${g.namespace}/${g.name}`;
        const l = await this.store.leases.get(groupLeaseName(g.namespace, g.name)).catch(() => this.groupLeases.get(key));
        if (l) next.set(key, l);
      }),
    );
    this.groupLeases = next;
  }

  private scheduleLeases(): void {
    if (this.stopped) return;
    this.leaseTimer = this.options.clock.setTimer(this.leaseMs, () => {
      if (this.listeners.size === 0) {
        this.idle = true;
        return this.scheduleLeases();
      }
      this.idle = false;
      void this.readLeases()
        .then(() => {
          if (!this.stopped) this.rebuild();
        })
        .catch(() => undefined)
        .finally(() => this.scheduleLeases());
    });
  }
}
