/**
 * Windows services and IIS sites of one simulated host.
 *
 * Services move through the SERVICE_STATUS pending states on modelled time.
 * A site starts only when its service runs, every binding address is present
 * (Preferred) on this host, and no other started site holds the same
 * protocol/IP:port:host (kit 9422). Sites with serverAutoStart start when their
 * service reaches Running (boot, or a service restart).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { DriverError } from '../../drivers/errors.js';
import { bindingConflictMessage, findBindingConflict } from '../../drivers/binding-conflict.js';
import {
  ServiceState,
  bindingKey,
  siteServiceOf,
  type ServiceName,
  type ServiceStartMode,
  type ServiceStateCode,
  type ServiceStatus,
  type SiteBinding,
  type SiteDefinition,
  type SiteInfo,
  type SiteState,
} from '../../drivers/types.js';

export interface ServiceTiming {
  serviceStartMs: number;
  serviceStopMs: number;
  /** Added to start/stop durations: a uniform draw in [0, jitterMs]. */
  jitterMs: number;
}

interface SimService {
  name: ServiceName;
  state: ServiceStateCode;
  startMode: ServiceStartMode;
  timer?: Timer;
}

export interface SimSite {
  id: number;
  name: string;
  bindings: SiteBinding[];
  physicalPath: string;
  applicationPool: string;
  serverAutoStart: boolean;
  started: boolean;
  /** Its worker hangs: IIS says Started but nothing answers (siteHang fault). Cleared by a stop unless persistent. */
  hung?: 'untilRestart' | 'persistent';
  /** siteStuck fault: a stop request leaves it Started for this many more state reads (the kit's stop checks). */
  stuckChecks?: number;
  /** A stop was asked for while stuck: it completes once stuckChecks reads have seen it Started. */
  stopPending?: boolean;
}

/** WAS must run for W3SVC and FTPSVC (they are hosted by it). */
const DEPENDS_ON_WAS: ReadonlySet<ServiceName> = new Set(['W3SVC', 'FTPSVC']);

export class IisHost {
  private services = new Map<ServiceName, SimService>();
  private sites = new Map<string, SimSite>();
  private nextSiteId = 1;
  /** Events an operator would see in the System/Application log (for tests and traces). */
  readonly eventLog: string[] = [];

  constructor(
    readonly hostName: string,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly timing: ServiceTiming,
    /** Whether an IP is present and Preferred on this host. */
    private readonly addressUsable: (address: string) => boolean,
    startModes: Partial<Record<ServiceName, ServiceStartMode>> = {},
  ) {
    const modes: Record<ServiceName, ServiceStartMode> = {
      WAS: 'Auto',
      W3SVC: 'Auto',
      FTPSVC: 'Manual',
      SMTPSVC: 'Manual',
      ...startModes,
    };
    for (const name of Object.keys(modes) as ServiceName[]) {
      this.services.set(name, { name, state: ServiceState.Stopped, startMode: modes[name] });
    }
  }

  // ───────────── lifecycle ─────────────

  /** Power on: Auto services start (and serverAutoStart sites after them). */
  boot(): void {
    for (const s of this.services.values()) if (s.startMode === 'Auto') this.startService(s.name);
  }

  /** Power off: everything stops at once; configuration survives. */
  crash(): void {
    for (const s of this.services.values()) {
      s.timer?.cancel();
      delete s.timer;
      s.state = ServiceState.Stopped;
    }
    for (const site of this.sites.values()) this.processEnded(site);
  }

  // ───────────── services ─────────────

  service(name: ServiceName): SimService {
    const s = this.services.get(name);
    if (!s) throw new DriverError({ code: 'ServiceNotFound', message: `service ${name} is not installed on ${this.hostName}` });
    return s;
  }

  serviceStatus(name: ServiceName): ServiceStatus {
    const s = this.service(name);
    return { name: s.name, state: s.state, startMode: s.startMode };
  }

  /** Begin starting; Running comes after the modelled start time. */
  startService(name: ServiceName): ServiceStatus {
    const s = this.service(name);
    if (s.startMode === 'Disabled') {
      throw new DriverError({ code: 'ServiceStartFailed', message: `service ${name} is disabled`, kitCode: 9409 });
    }
    if (DEPENDS_ON_WAS.has(name)) this.startService('WAS');
    if (s.state === ServiceState.Running || s.state === ServiceState.StartPending) return this.serviceStatus(name);
    if (s.state === ServiceState.StopPending) {
      throw new DriverError({
        code: 'ServiceStartFailed',
        transient: true,
        kitCode: 9409,
        message: `service ${name} cannot be started while it is stopping (state 3)`,
      });
    }
    s.state = ServiceState.StartPending;
    s.timer = this.clock.setTimer(this.duration(this.timing.serviceStartMs), () => {
      delete s.timer;
      if (DEPENDS_ON_WAS.has(name) && this.service('WAS').state !== ServiceState.Running) {
        // WAS still starting: try again when it is up.
        s.state = ServiceState.Stopped;
        this.startService(name);
        return;
      }
      s.state = ServiceState.Running;
      this.eventLog.push(`${name} entered the running state`);
      this.autoStartSites(name);
    });
    return this.serviceStatus(name);
  }

  /** Begin stopping; its sites stop at once, Stopped comes after the modelled time. */
  stopService(name: ServiceName): ServiceStatus {
    const s = this.service(name);
    if (s.state === ServiceState.Stopped || s.state === ServiceState.StopPending) return this.serviceStatus(name);
    s.timer?.cancel();
    s.state = ServiceState.StopPending;
    this.stopSitesOf(name);
    if (name === 'WAS') for (const dep of DEPENDS_ON_WAS) this.stopService(dep);
    s.timer = this.clock.setTimer(this.duration(this.timing.serviceStopMs), () => {
      delete s.timer;
      s.state = ServiceState.Stopped;
      this.eventLog.push(`${name} entered the stopped state`);
    });
    return this.serviceStatus(name);
  }

  /** serviceStop fault: the process dies, no StopPending. */
  killService(name: ServiceName): void {
    const s = this.service(name);
    s.timer?.cancel();
    delete s.timer;
    s.state = ServiceState.Stopped;
    this.stopSitesOf(name);
    if (name === 'WAS') for (const dep of DEPENDS_ON_WAS) this.killService(dep);
    this.eventLog.push(`${name} terminated unexpectedly`);
  }

  // ───────────── sites ─────────────

  /**
   * Every read counts as one stop check of a stuck site with a stop pending: it reads Started for its
   * remaining checks, and the stop completes right after the last of them (siteStuck fault).
   */
  listSites(): SiteInfo[] {
    const out = [...this.sites.values()].sort((a, b) => a.id - b.id).map((s) => this.siteInfo(s));
    for (const site of this.sites.values()) this.stopChecked(site);
    return out;
  }

  getSite(name: string): SimSite | undefined {
    return this.sites.get(name.toLowerCase());
  }

  /** One site as a host read returns it (a stop check of that site only, as listSites is of every site). */
  readSite(name: string): SiteInfo | undefined {
    const site = this.getSite(name);
    if (!site) return undefined;
    const info = this.siteInfo(site);
    this.stopChecked(site);
    return info;
  }

  /** A read of `site` was one stop check: a pending stop completes after its last one. */
  private stopChecked(site: SimSite): void {
    if (!site.stopPending) return;
    site.stuckChecks = Math.max(0, (site.stuckChecks ?? 0) - 1);
    if (site.stuckChecks === 0) this.completeStop(site);
  }

  siteInfo(s: SimSite): SiteInfo {
    const state = this.siteState(s);
    const info: SiteInfo = {
      id: s.id,
      name: s.name,
      state,
      bindings: s.bindings.map((b) => ({ ...b })),
      physicalPath: s.physicalPath,
      serverAutoStart: s.serverAutoStart,
      applicationPool: s.applicationPool,
    };
    if (s.bindings.some((b) => b.protocol === 'ftp')) info.ftpState = state;
    return info;
  }

  /** Create or update so the site matches `def`; never starts it. A started site whose bindings change is restarted by IIS; we stop it instead (the agent starts it again). */
  ensureSite(def: SiteDefinition): { created: boolean; changed: string[]; site: SiteInfo } {
    const existing = this.getSite(def.name);
    if (!existing) {
      const site: SimSite = {
        id: this.nextSiteId++,
        name: def.name,
        bindings: def.bindings.map((b) => ({ ...b })),
        physicalPath: def.physicalPath,
        applicationPool: def.applicationPool,
        serverAutoStart: def.serverAutoStart,
        started: false,
      };
      this.sites.set(def.name.toLowerCase(), site);
      return { created: true, changed: [], site: this.siteInfo(site) };
    }
    const changed: string[] = [];
    const sameBindings =
      JSON.stringify(existing.bindings.map(bindingKeyWithCert).sort()) === JSON.stringify(def.bindings.map(bindingKeyWithCert).sort());
    if (!sameBindings) {
      existing.bindings = def.bindings.map((b) => ({ ...b }));
      changed.push('bindings');
    }
    if (existing.physicalPath !== def.physicalPath) {
      existing.physicalPath = def.physicalPath;
      changed.push('physicalPath');
    }
    if (existing.applicationPool !== def.applicationPool) {
      existing.applicationPool = def.applicationPool;
      changed.push('applicationPool');
    }
    if (existing.serverAutoStart !== def.serverAutoStart) {
      existing.serverAutoStart = def.serverAutoStart;
      changed.push('serverAutoStart');
    }
    return { created: false, changed, site: this.siteInfo(existing) };
  }

  /** Add a site that is not WinHA's (bindingSteal fault, or a pre-existing site in a scenario). */
  addForeignSite(def: SiteDefinition): SimSite {
    this.ensureSite(def);
    return this.getSite(def.name)!;
  }

  deleteSite(name: string): boolean {
    return this.sites.delete(name.toLowerCase());
  }

  /**
   * Start a site (kit restore steps 1, 3–6). Throws SiteNotFound (9414),
   * ServiceNotRunning, BindingConflict (9422) or BindingAddressMissing (9706).
   */
  startSite(name: string): SiteInfo {
    const site = this.getSite(name);
    if (!site) {
      throw new DriverError({
        code: 'SiteNotFound',
        kitCode: 9414,
        message: `IIS site ${name} not found in the IIS configuration on ${this.hostName}`,
      });
    }
    if (site.started) return this.siteInfo(site);
    const svc = siteServiceOf(site.bindings);
    const st = this.service(svc).state;
    if (st !== ServiceState.Running) {
      throw new DriverError({
        code: 'ServiceNotRunning',
        message: `IIS site ${site.name} cannot start: service ${svc} is not running (state ${st})`,
        detail: { service: svc, state: st },
      });
    }
    const conflict = findBindingConflict(site, this.startedSites());
    if (conflict) {
      throw new DriverError({
        code: 'BindingConflict',
        kitCode: 9422,
        message: bindingConflictMessage(site.name, conflict),
        detail: { binding: conflict.binding, activeSite: conflict.activeSite },
      });
    }
    const missing = site.bindings.find((b) => b.address !== '*' && !this.addressUsable(b.address));
    if (missing) {
      throw new DriverError({
        code: 'BindingAddressMissing',
        kitCode: 9706,
        message: `Unable to start IIS Site "${site.name}" on system ${this.hostName}: address ${missing.address} is not present (Preferred) on this host`,
        detail: { address: missing.address },
      });
    }
    site.started = true;
    return this.siteInfo(site);
  }

  /** Stop a site at once (faults, a dying service). */
  stopSite(name: string): SiteInfo | undefined {
    const site = this.getSite(name);
    if (!site) return undefined;
    this.completeStop(site);
    return this.siteInfo(site);
  }

  /**
   * Stop-WebSite as an administrator or the kit asks it: a stuck site (siteStuck fault) stays Started
   * through its remaining stop checks; any other site stops at once.
   */
  requestStop(name: string): SiteInfo | undefined {
    const site = this.getSite(name);
    if (!site) return undefined;
    if (site.stuckChecks !== undefined && site.stuckChecks > 0 && this.siteState(site) === 'Started') {
      if (!site.stopPending) this.eventLog.push(`site ${site.name} does not stop (its worker is stuck)`);
      site.stopPending = true;
      return this.siteInfo(site);
    }
    return this.stopSite(name);
  }

  /** siteStuck fault: the next stop request leaves the site Started through `checks` state reads. */
  stickSite(name: string, checks: number): void {
    const site = this.getSite(name);
    if (!site) return;
    site.stuckChecks = checks;
    delete site.stopPending;
  }

  /** Its worker process ended (service killed or stopped, host crash): stopped, no stop left pending. */
  private processEnded(site: SimSite): void {
    site.started = false;
    delete site.stopPending;
    delete site.stuckChecks;
  }

  private completeStop(site: SimSite): void {
    site.started = false;
    delete site.stopPending;
    delete site.stuckChecks;
    if (site.hung === 'untilRestart') delete site.hung;
  }

  /** The site's application stops answering while IIS keeps reporting it Started. */
  hangSite(name: string, persistent: boolean): void {
    const site = this.getSite(name);
    if (site) site.hung = persistent ? 'persistent' : 'untilRestart';
  }

  /** Started sites that answer requests (not hung). */
  answeringSites(): SimSite[] {
    return this.startedSites().filter((s) => !s.hung);
  }

  setServerAutoStart(name: string, value: boolean): SiteInfo {
    const site = this.getSite(name);
    if (!site) throw new DriverError({ code: 'SiteNotFound', kitCode: 9414, message: `IIS site ${name} not found on ${this.hostName}` });
    site.serverAutoStart = value;
    return this.siteInfo(site);
  }

  /** Started sites (for probes and invariants). */
  startedSites(): SimSite[] {
    return [...this.sites.values()].filter((s) => this.siteState(s) === 'Started');
  }

  // ───────────── internals ─────────────

  private siteState(s: SimSite): SiteState {
    return s.started && this.service(siteServiceOf(s.bindings)).state === ServiceState.Running ? 'Started' : 'Stopped';
  }

  private autoStartSites(service: ServiceName): void {
    for (const site of this.sites.values()) {
      if (!site.serverAutoStart || site.started || siteServiceOf(site.bindings) !== service) continue;
      try {
        this.startSite(site.name);
        this.eventLog.push(`site ${site.name} started automatically (serverAutoStart)`);
      } catch (e) {
        this.eventLog.push(`site ${site.name} failed to start automatically: ${(e as Error).message}`);
      }
    }
  }

  private stopSitesOf(service: ServiceName): void {
    for (const site of this.sites.values()) if (siteServiceOf(site.bindings) === service) this.processEnded(site);
  }

  private duration(base: number): number {
    return base + (this.timing.jitterMs > 0 ? this.random.int(0, this.timing.jitterMs) : 0);
  }
}

function bindingKeyWithCert(b: SiteBinding): string {
  return `${bindingKey(b)}|${(b.certificateThumbprint ?? '').toUpperCase()}`;
}
