/**
 * One agent's shared observation of its own host: the site list, the address
 * list and each mirror volume's info that every group's reconcile reads.
 *
 * Without it each of N groups lists the whole host every retryPeriod (N full
 * listings per period); with it, reconciles running together share one
 * in-flight read (single flight), and a finished read is reused for at most
 * `maxAgeMs` after it began (the caller passes retryPeriod/2; ages are on the
 * injected Clock). Every mutating call made through `driver` (anything that
 * is not a read: a VIP added, a site started, a mirror switched over …)
 * discards what was read before it, at its start and again when it ends, so
 * no reconcile decides on a view older than its own or another group's last
 * action. A failed read is never kept. Results are shared: callers must not
 * modify them. A shared read runs with the CallOptions of the caller that
 * began it (the epoch is only recorded; the agent's observations all use the
 * same timeout).
 *
 * The health checks read through `checkDriver` (the same views, at most
 * a second old); the safety probe calls `driver` and sees the host as it is now.
 */
import type { Clock } from '../lib/clock.js';
import {
  HOST_DRIVER_OPERATIONS,
  OPTIONAL_READS,
  type CallOptions,
  type HostDriver,
  type HostDriverOperation,
  type HostView,
  type IpAddressInfo,
  type MirrorVolumeInfo,
  type SiteInfo,
} from '../drivers/types.js';

/** The driver operations that only read the host; every other operation changes it. */
export const READ_OPERATIONS: ReadonlySet<HostDriverOperation> = new Set<HostDriverOperation>([
  'queryService',
  'listSites',
  'listInterfaces',
  'listAddresses',
  'probeAddressClaimed',
  'listProbeListeners',
  'getMirrorInfo',
  'probeHttp',
  'probeFtp',
  'probeTcp',
  ...OPTIONAL_READS,
]);

interface Entry {
  value: Promise<unknown>;
  /** The host generation the read began in (a mutation since makes it unusable). */
  generation: number;
  /** Clock.monotonic() when the read began: the view is at least this old. */
  startedAt: number;
  settled: boolean;
}

export class HostObservation {
  /** The host driver, with every mutating call invalidating the shared observation. */
  readonly driver: HostDriver;
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly siteMaps = new WeakMap<HostView, ReadonlyMap<string, SiteInfo>>();
  /** Reads actually sent to the host (the rest were shared); for tests and metrics. */
  reads = 0;
  /** Mutating calls of this agent still running on the host (a read may wait behind them: the host is busy, not blind). */
  private changing = 0;

  constructor(
    private readonly raw: HostDriver,
    private readonly clock: Clock,
  ) {
    this.driver = invalidating(raw, (phase) => {
      this.changing += phase === 'begin' ? 1 : -1;
      this.invalidate();
    });
  }

  /** This agent's own actions are running on the host now. */
  get busy(): boolean {
    return this.changing > 0;
  }

  /** IIS sites by lower-case name. */
  sites(o: CallOptions, maxAgeMs: number): Promise<ReadonlyMap<string, SiteInfo>> {
    if (this.raw.observeHost) return this.view(o, maxAgeMs).then((v) => this.sitesOf(v));
    return this.read('sites', maxAgeMs, async () => byName(await this.raw.listSites(o)));
  }

  /** One map per observation, however many groups read it. */
  private sitesOf(v: HostView): ReadonlyMap<string, SiteInfo> {
    let m = this.siteMaps.get(v);
    if (!m) this.siteMaps.set(v, (m = byName(v.sites)));
    return m;
  }

  addresses(o: CallOptions, maxAgeMs: number): Promise<readonly IpAddressInfo[]> {
    if (this.raw.observeHost) return this.view(o, maxAgeMs).then((v) => v.addresses);
    return this.read('addresses', maxAgeMs, () => this.raw.listAddresses(o));
  }

  /** Sites and addresses in one request, for a driver that offers it. */
  private view(o: CallOptions, maxAgeMs: number): Promise<HostView> {
    return this.read('view', maxAgeMs, () => this.raw.observeHost!(o));
  }

  /**
   * The driver as the health checks use it: the state of the IIS service they all start with and the site each
   * reads come from views shared for up to `maxAgeMs` (the site from the host observation the reconcile itself
   * reads: one listing a second for a node's checks, not one request per site per check; any change the agent
   * makes discards them). Probes and every other call go to the host.
   */
  checkDriver(maxAgeMs: number): HostDriver {
    return {
      ...this.driver,
      nodeName: this.driver.nodeName,
      queryService: (name, o) => this.read(`service:${name}`, maxAgeMs, () => this.raw.queryService(name, o)),
      getSite: (name, o) => this.sites(o, maxAgeMs).then((m) => m.get(name.toLowerCase())),
    };
  }

  /** The Azure load balancer probe ports this node's agent answers on. */
  probeListeners(o: CallOptions, maxAgeMs: number): Promise<readonly number[]> {
    return this.read('probes', maxAgeMs, () => this.raw.listProbeListeners(o));
  }

  mirror(volume: string, o: CallOptions, maxAgeMs: number): Promise<MirrorVolumeInfo> {
    return this.read(`mirror:${volume.toUpperCase()}`, maxAgeMs, () => this.raw.getMirrorInfo(volume, o));
  }

  /** Forget everything read so far, including reads still in flight (their callers still get their answer). */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  private read<T>(key: string, maxAgeMs: number, fetch: () => Promise<T>): Promise<T> {
    const now = this.clock.monotonic();
    const cur = this.entries.get(key);
    if (cur && cur.generation === this.generation && (!cur.settled || now - cur.startedAt <= maxAgeMs)) return cur.value as Promise<T>;
    const entry: Entry = { value: Promise.resolve(), generation: this.generation, startedAt: now, settled: false };
    this.reads++;
    const value = fetch().then(
      (v) => {
        entry.settled = true;
        return v;
      },
      (err: unknown) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    entry.value = value;
    this.entries.set(key, entry);
    return value;
  }
}

function byName(list: SiteInfo[]): Map<string, SiteInfo> {
  return new Map(list.map((s) => [s.name.toLowerCase(), s]));
}

/** `raw` with `onChange` called when each mutating operation begins and when it ends (success or failure). */
function invalidating(raw: HostDriver, onChange: (phase: 'begin' | 'end') => void): HostDriver {
  const d: Record<string, unknown> = { nodeName: raw.nodeName };
  for (const op of [...HOST_DRIVER_OPERATIONS, ...OPTIONAL_READS]) {
    if (!raw[op]) continue;
    const call = (...args: unknown[]) => (raw[op] as (...a: unknown[]) => Promise<unknown>).apply(raw, args);
    d[op] = READ_OPERATIONS.has(op)
      ? call
      : (...args: unknown[]) => {
          onChange('begin');
          return call(...args).finally(() => onChange('end'));
        };
  }
  return d as unknown as HostDriver;
}
