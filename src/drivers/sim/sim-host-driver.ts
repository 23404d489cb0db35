/**
 * HostDriver for one host of the simulated world. It talks to the world only
 * through WorldApi (plain JSON requests), and waits on the injected Clock the
 * way the Windows driver waits on Windows (Start-Service, DAD, switchover).
 */
import type { Clock } from '../../lib/clock.js';
import { canonicalIp } from '../../lib/ip.js';
import { callWorld, type HostCallOp, type WorldApi, type WorldOp, type WorldOps } from './world-protocol.js';
import { withDeadline } from '../deadline.js';
import { DriverError } from '../errors.js';
import { withKitCode } from '../kit-codes.js';
import {
  checkHostHeader,
  checkHttpPath,
  checkIp,
  checkNoLineBreaks,
  checkPort,
  checkPrefixLength,
  checkSiteDefinition,
  checkSiteName,
} from '../input-validation.js';
import {
  ServiceState,
  normalizeVolume,
  type AddressClaim,
  type CallOptions,
  type CreateMirrorRequest,
  type EnsureSiteResult,
  type FtpProbeRequest,
  type FtpProbeResult,
  type HostView,
  type HostDriver,
  type HostDriverOperation,
  type HttpProbeRequest,
  type HttpProbeResult,
  type IpAddressInfo,
  type MirrorVolumeInfo,
  type NetInterface,
  type ServiceName,
  type ServiceStatus,
  type SiteDefinition,
  type SiteInfo,
  type TcpProbeRequest,
  type TcpProbeResult,
  type VirtualIpRequest,
} from '../types.js';

/** How long an injected hang lasts: longer than any call's deadline. */
const HANG_MS = 24 * 3600_000;

/** The kit re-checks a stopping site 10 times in all (docs/spec/seed-iis.md §6.4 step 4, 9556). */
const STOP_CHECKS = 10;

export class SimHostDriver implements HostDriver {
  constructor(
    private readonly api: WorldApi,
    readonly nodeName: string,
    private readonly clock: Clock,
    /** How often to re-check while waiting for a state change. */
    private readonly pollMs = 250,
  ) {}

  // ───────────── plumbing ─────────────

  private run<T>(op: HostDriverOperation, o: CallOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.guarded(op, o, async (signal) => {
      const begun = await callWorld(this.api, 'host.begin', { host: this.nodeName, operation: op, epoch: o.epoch });
      // An injected hang answers nothing: the deadline (or the caller) ends the call.
      if (begun?.hang) await this.clock.sleep(HANG_MS, signal);
      return body(signal);
    });
  }

  /** Every driver call: within its deadline, its failure carrying the kit's code. */
  private guarded<T>(op: HostDriverOperation, o: CallOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.clock, o, `${op} on ${this.nodeName}`, async (signal) => {
      try {
        return await body(signal);
      } catch (e) {
        throw withKitCode(e, o);
      }
    });
  }

  /**
   * A host call that is one read of the world: its begin (host up? an injected fault? the epoch traced) travels in
   * the same request, one exchange as a Windows host call is one with its PowerShell host. `args` may validate:
   * it runs first, inside the deadline.
   */
  private one<K extends HostCallOp>(
    op: HostDriverOperation,
    o: CallOptions,
    worldOp: K,
    args: () => Omit<WorldOps[K]['req'], 'host'>,
  ): Promise<WorldOps[K]['res']> {
    return this.guarded(op, o, async (signal) => {
      const a = args();
      const call = { op: worldOp, args: a as Record<string, unknown> };
      const r = await callWorld(this.api, 'host.call', { host: this.nodeName, operation: op, epoch: o.epoch, call });
      if ('value' in r) return r.value as WorldOps[K]['res'];
      // An injected hang answers nothing: the deadline (or the caller) ends the call.
      await this.clock.sleep(HANG_MS, signal);
      return this.w(worldOp, a);
    });
  }

  private w<K extends WorldOp>(op: K, args: Omit<WorldOps[K]['req'], 'host'>): Promise<WorldOps[K]['res']> {
    return callWorld(this.api, op, { ...args, host: this.nodeName });
  }

  /** Poll until `done` says yes (the deadline of run() bounds the wait). */
  private async until<T>(signal: AbortSignal, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      await this.clock.sleep(this.pollMs, signal);
    }
  }

  // ───────────── services ─────────────

  queryService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return this.one('queryService', o, 'service.query', () => ({ name }));
  }

  startService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return this.run('startService', o, async (signal) => {
      await this.w('service.start', { name });
      const s = await this.until(
        signal,
        () => this.w('service.query', { name }),
        (s) => s.state === ServiceState.Running || s.state === ServiceState.Stopped,
      );
      if (s.state !== ServiceState.Running) {
        throw new DriverError({
          code: 'ServiceStartFailed',
          message: `service ${name} did not start (state ${s.state})`,
          detail: { state: s.state },
        });
      }
      return s;
    });
  }

  stopService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return this.run('stopService', o, async (signal) => {
      await this.w('service.stop', { name });
      return this.until(
        signal,
        () => this.w('service.query', { name }),
        (s) => s.state === ServiceState.Stopped,
      );
    });
  }

  // ───────────── IIS ─────────────

  listSites(o: CallOptions): Promise<SiteInfo[]> {
    return this.one('listSites', o, 'site.list', () => ({}));
  }

  /** One site, as the Windows driver reads it (a health check reads only the site it checks). */
  getSite(name: string, o: CallOptions): Promise<SiteInfo | undefined> {
    return this.one('getSite', o, 'site.get', () => ({ name: checkSiteName(name) })).then((s) => s ?? undefined);
  }

  /** Sites and addresses in one request, as the Windows driver observes its host. */
  observeHost(o: CallOptions): Promise<HostView> {
    return this.one('observeHost', o, 'host.observe', () => ({})).then((v) => ({ sites: v.sites, addresses: canonical(v.addresses) }));
  }

  private site(name: string): Promise<SiteInfo | null> {
    return this.w('site.get', { name });
  }

  ensureSite(def: SiteDefinition, o: CallOptions): Promise<EnsureSiteResult> {
    return this.run('ensureSite', o, () => this.w('site.ensure', { def: checkSiteDefinition(def) }));
  }

  startSite(name: string, o: CallOptions): Promise<SiteInfo> {
    return this.run('startSite', o, async () => {
      await this.w('site.start', { name: checkSiteName(name) });
      // Kit restore step 6: check the state once.
      const site = await this.site(name);
      if (!site || site.state !== 'Started') {
        throw new DriverError({ code: 'SiteStartFailed', message: `Unable to start IIS Site "${name}" on system ${this.nodeName}` });
      }
      return site;
    });
  }

  stopSite(name: string, o: CallOptions): Promise<SiteInfo | undefined> {
    return this.run('stopSite', o, async (signal) => {
      const stopped = await this.w('site.stop', { name: checkSiteName(name) });
      if (stopped === null) return undefined; // kit 9563: no such site counts as stopped
      for (let check = 1; check <= STOP_CHECKS; check++) {
        const site = await this.site(name);
        if (!site) return undefined;
        if (site.state === 'Stopped') return site;
        if (check < STOP_CHECKS) await this.clock.sleep(this.pollMs, signal);
      }
      throw new DriverError({
        code: 'SiteStopFailed',
        kitCode: 9556,
        message: `Unable to stop IIS site ${name} on system ${this.nodeName}`,
      });
    });
  }

  setServerAutoStart(name: string, value: boolean, o: CallOptions): Promise<SiteInfo> {
    return this.run('setServerAutoStart', o, () => this.w('site.setAutoStart', { name: checkSiteName(name), value }));
  }

  // ───────────── network ─────────────

  listInterfaces(o: CallOptions): Promise<NetInterface[]> {
    return this.one('listInterfaces', o, 'net.interfaces', () => ({}));
  }

  listAddresses(o: CallOptions): Promise<IpAddressInfo[]> {
    return this.one('listAddresses', o, 'net.addresses', () => ({})).then(canonical);
  }

  private async addresses(): Promise<IpAddressInfo[]> {
    return canonical(await this.w('net.addresses', {}));
  }

  addVirtualIp(req: VirtualIpRequest, o: CallOptions): Promise<IpAddressInfo> {
    return this.run('addVirtualIp', o, async (signal) => {
      checkIp(req.address);
      checkPrefixLength(req.address, req.prefixLength);
      checkNoLineBreaks(req.interfaceAlias, 'interfaceAlias');
      const { awaitDetection, ...vip } = req;
      const added = await this.w('net.add', { vip });
      const address = canonicalIp(req.address);
      if (awaitDetection === false) return { ...added, address };
      const all = await this.until(
        signal,
        () => this.addresses(),
        (list) => {
          const a = list.find((x) => x.address === address);
          return a === undefined || a.addressState !== 'Tentative';
        },
      );
      const a = all.find((x) => x.address === address);
      if (!a)
        throw new DriverError({
          code: 'CommandFailed',
          transient: true,
          message: `${req.address} vanished while waiting for duplicate address detection`,
        });
      return a;
    });
  }

  removeVirtualIp(address: string, o: CallOptions): Promise<void> {
    return this.run('removeVirtualIp', o, async () => {
      await this.w('net.remove', { address: checkIp(address) });
    });
  }

  probeAddressClaimed(address: string, o: CallOptions): Promise<AddressClaim> {
    return this.one('probeAddressClaimed', o, 'net.claimed', () => ({ address: checkIp(address) }));
  }

  setProbeListener(port: number, open: boolean, o: CallOptions): Promise<number[]> {
    return this.run('setProbeListener', o, () => this.w('net.probeListen', { port: checkPort(port), open }));
  }

  listProbeListeners(o: CallOptions): Promise<number[]> {
    return this.one('listProbeListeners', o, 'net.probePorts', () => ({}));
  }

  // ───────────── DataKeeper ─────────────

  getMirrorInfo(volume: string, o: CallOptions): Promise<MirrorVolumeInfo> {
    return this.one('getMirrorInfo', o, 'mirror.info', () => ({ volume: normalizeVolume(volume) }));
  }

  switchoverMirror(volume: string, force: boolean, o: CallOptions): Promise<MirrorVolumeInfo> {
    return this.run('switchoverMirror', o, async (signal) => {
      const v = normalizeVolume(volume);
      await this.w('mirror.switchover', { volume: v, force });
      // EMCMD returns when the switchover is done or has failed (e.g. the source could not lock the volume: 12035).
      return this.until(
        signal,
        async () => {
          const failure = await this.w('mirror.switchoverFailure', { volume: v });
          if (failure) throw DriverError.fromData(failure);
          return this.w('mirror.info', { volume: v });
        },
        (i) => i.role === 'source',
      );
    });
  }

  private volumeCommand(
    op: HostDriverOperation,
    worldOp:
      | 'mirror.lock'
      | 'mirror.unlock'
      | 'mirror.pause'
      | 'mirror.continue'
      | 'mirror.break'
      | 'mirror.resync'
      | 'mirror.delete'
      | 'mirror.prepareTarget',
    volume: string,
    o: CallOptions,
  ): Promise<void> {
    return this.run(op, o, async () => {
      await this.w(worldOp, { volume: normalizeVolume(volume) });
    });
  }

  lockVolume(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('lockVolume', 'mirror.lock', volume, o);
  }
  unlockVolume(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('unlockVolume', 'mirror.unlock', volume, o);
  }
  pauseMirror(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('pauseMirror', 'mirror.pause', volume, o);
  }
  continueMirror(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('continueMirror', 'mirror.continue', volume, o);
  }
  breakMirror(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('breakMirror', 'mirror.break', volume, o);
  }
  resyncMirror(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('resyncMirror', 'mirror.resync', volume, o);
  }
  deleteMirror(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('deleteMirror', 'mirror.delete', volume, o);
  }
  prepareToBecomeTarget(volume: string, o: CallOptions): Promise<void> {
    return this.volumeCommand('prepareToBecomeTarget', 'mirror.prepareTarget', volume, o);
  }

  createMirror(req: CreateMirrorRequest, o: CallOptions): Promise<void> {
    return this.run('createMirror', o, async () => {
      checkIp(req.sourceAddress, 'source address');
      checkIp(req.targetAddress, 'target address');
      await this.w('mirror.create', { create: { ...req, volume: normalizeVolume(req.volume) } });
    });
  }

  // ───────────── probes ─────────────

  probeHttp(req: HttpProbeRequest, o: CallOptions): Promise<HttpProbeResult> {
    return this.one('probeHttp', o, 'probe.http', () => {
      checkIp(req.address);
      checkPort(req.port);
      checkHostHeader(req.hostHeader);
      checkHttpPath(req.path ?? '/');
      return { probe: req };
    });
  }

  probeFtp(req: FtpProbeRequest, o: CallOptions): Promise<FtpProbeResult> {
    return this.one('probeFtp', o, 'probe.ftp', () => {
      checkIp(req.address);
      checkPort(req.port);
      checkNoLineBreaks(req.user ?? 'anonymous', 'FTP user');
      checkNoLineBreaks(req.password ?? '', 'FTP password');
      return { probe: req };
    });
  }

  probeTcp(req: TcpProbeRequest, o: CallOptions): Promise<TcpProbeResult> {
    return this.one('probeTcp', o, 'probe.tcp', () => {
      checkIp(req.address);
      checkPort(req.port);
      return { probe: req };
    });
  }
}

/** The world keeps addresses as they were added; report them as a host does, in canonical text. */
function canonical(list: IpAddressInfo[]): IpAddressInfo[] {
  return list.map((a) => ({ ...a, address: canonicalIp(a.address) }));
}
