/**
 * HostDriver for a real Windows Server node: operations of the long-lived
 * PowerShell host (ps/winha-host.ps1, ps/lib/*.ps1) with JSON in and out, and emcmd.exe for
 * DataKeeper. EMCMD does none of the GUI's sanity checks (docs/spec/seed003-datakeeper.md §7), so
 * this driver does them: role and state are read before every mirror command.
 *
 * The operations live in one module per area (services, IIS sites, network,
 * DataKeeper mirrors, probes) over the shared plumbing in ./driver-context.ts;
 * this class wires them up and delegates.
 */
import type { Clock } from '../../lib/clock.js';
import type {
  AddressClaim,
  CallOptions,
  CreateMirrorRequest,
  EnsureSiteResult,
  FtpProbeRequest,
  FtpProbeResult,
  HostDriver,
  HttpProbeRequest,
  HostView,
  HttpProbeResult,
  IpAddressInfo,
  MirrorVolumeInfo,
  NetInterface,
  ServiceName,
  ServiceStatus,
  SiteDefinition,
  SiteInfo,
  TcpProbeRequest,
  TcpProbeResult,
  VirtualIpRequest,
} from '../types.js';
import type { AuditLog } from './audit-log.js';
import { CommandExecutor } from './command-executor.js';
import type { CommandRunner } from './command-runner.js';
import type { PsHost } from './ps-host/types.js';
import * as mirrors from './datakeeper-mirrors.js';
import { WindowsDriverContext, asArray } from './driver-context.js';
import { DEFAULT_EMCMD_PATH } from './emcmd.js';
import * as iis from './iis-sites.js';
import * as network from './network.js';
import { checkPort } from '../input-validation.js';
import { ProbeListener } from './probe-listener.js';
import * as probes from './probes.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import * as services from './services.js';

export interface WindowsHostDriverOptions {
  nodeName: string;
  /** The long-lived PowerShell host. */
  host: PsHost;
  /** Runs emcmd.exe. */
  runner: CommandRunner;
  clock: Clock;
  audit?: AuditLog;
  retry?: RetryPolicy;
  emcmdPath?: string;
  /** Re-check interval while waiting for a switchover to complete. */
  pollMs?: number;
  /** The Azure probe listeners; by default on 0.0.0.0 in this process. */
  probeListener?: ProbeListener;
}

export class WindowsHostDriver implements HostDriver {
  readonly nodeName: string;
  private readonly ctx: WindowsDriverContext;
  private readonly host: PsHost;
  private readonly probeListener: ProbeListener;

  constructor(opts: WindowsHostDriverOptions) {
    this.nodeName = opts.nodeName;
    this.host = opts.host;
    this.probeListener = opts.probeListener ?? new ProbeListener();
    this.ctx = new WindowsDriverContext(
      opts.nodeName,
      opts.clock,
      new CommandExecutor(opts.nodeName, opts.clock, opts.audit, opts.retry ?? DEFAULT_RETRY),
      opts.host,
      opts.runner,
      opts.emcmdPath ?? DEFAULT_EMCMD_PATH,
      opts.pollMs ?? 1_000,
    );
  }

  /** Stop the probe listeners and the PowerShell host (the agent is stopping). */
  async close(): Promise<void> {
    // Probe listeners first: the load balancer must stop sending here before anything else goes away.
    await this.probeListener.closeAll();
    await this.host.close();
  }

  // ───────────── services ─────────────

  queryService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return services.queryService(this.ctx, name, o);
  }
  startService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return services.startService(this.ctx, name, o);
  }
  stopService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return services.stopService(this.ctx, name, o);
  }

  // ───────────── IIS ─────────────

  listSites(o: CallOptions): Promise<SiteInfo[]> {
    return iis.listSites(this.ctx, o);
  }
  getSite(name: string, o: CallOptions): Promise<SiteInfo | undefined> {
    return iis.getSite(this.ctx, name, o);
  }
  /** Sites and addresses in one request to the host (one observation per cycle). */
  observeHost(o: CallOptions): Promise<HostView> {
    return this.ctx.run('observeHost', o, async (signal) => {
      const r = await this.ctx.ps<{ sites: unknown; addresses: unknown }>('observeHost', 'host.observe', {}, o, signal);
      return {
        sites: asArray(r.sites as iis.RawSite[] | iis.RawSite | null).map(iis.toSiteInfo),
        addresses: asArray(r.addresses as Record<string, unknown>[] | Record<string, unknown> | null).map(network.toAddressInfo),
      };
    });
  }
  ensureSite(def: SiteDefinition, o: CallOptions): Promise<EnsureSiteResult> {
    return iis.ensureSite(this.ctx, def, o);
  }
  startSite(name: string, o: CallOptions): Promise<SiteInfo> {
    return iis.startSite(this.ctx, name, o);
  }
  stopSite(name: string, o: CallOptions): Promise<SiteInfo | undefined> {
    return iis.stopSite(this.ctx, name, o);
  }
  setServerAutoStart(name: string, value: boolean, o: CallOptions): Promise<SiteInfo> {
    return iis.setServerAutoStart(this.ctx, name, value, o);
  }

  // ───────────── network ─────────────

  listInterfaces(o: CallOptions): Promise<NetInterface[]> {
    return network.listInterfaces(this.ctx, o);
  }
  listAddresses(o: CallOptions): Promise<IpAddressInfo[]> {
    return network.listAddresses(this.ctx, o);
  }
  addVirtualIp(req: VirtualIpRequest, o: CallOptions): Promise<IpAddressInfo> {
    return network.addVirtualIp(this.ctx, req, o);
  }
  removeVirtualIp(address: string, o: CallOptions): Promise<void> {
    return network.removeVirtualIp(this.ctx, address, o);
  }
  probeAddressClaimed(address: string, o: CallOptions): Promise<AddressClaim> {
    return network.probeAddressClaimed(this.ctx, address, o);
  }

  setProbeListener(port: number, open: boolean, o: CallOptions): Promise<number[]> {
    return this.ctx.run('setProbeListener', o, async (signal) => {
      checkPort(port);
      return this.ctx.inProcess('setProbeListener', { port, open }, o, signal, (s) =>
        open ? this.probeListener.open(port, s) : this.probeListener.close(port),
      );
    });
  }

  listProbeListeners(o: CallOptions): Promise<number[]> {
    return this.ctx.run('listProbeListeners', o, async () => this.probeListener.list());
  }

  // ───────────── DataKeeper ─────────────

  getMirrorInfo(volume: string, o: CallOptions): Promise<MirrorVolumeInfo> {
    return mirrors.getMirrorInfo(this.ctx, volume, o);
  }
  switchoverMirror(volume: string, force: boolean, o: CallOptions): Promise<MirrorVolumeInfo> {
    return mirrors.switchoverMirror(this.ctx, volume, force, o);
  }
  lockVolume(volume: string, o: CallOptions): Promise<void> {
    return mirrors.lockVolume(this.ctx, volume, o);
  }
  unlockVolume(volume: string, o: CallOptions): Promise<void> {
    return mirrors.unlockVolume(this.ctx, volume, o);
  }
  pauseMirror(volume: string, o: CallOptions): Promise<void> {
    return mirrors.sourceCommand(this.ctx, 'pauseMirror', 'PAUSEMIRROR', volume, o);
  }
  continueMirror(volume: string, o: CallOptions): Promise<void> {
    return mirrors.sourceCommand(this.ctx, 'continueMirror', 'CONTINUEMIRROR', volume, o);
  }
  breakMirror(volume: string, o: CallOptions): Promise<void> {
    return mirrors.sourceCommand(this.ctx, 'breakMirror', 'BREAKMIRROR', volume, o);
  }
  resyncMirror(volume: string, o: CallOptions): Promise<void> {
    return mirrors.sourceCommand(this.ctx, 'resyncMirror', 'RESYNCMIRROR', volume, o);
  }
  createMirror(req: CreateMirrorRequest, o: CallOptions): Promise<void> {
    return mirrors.createMirror(this.ctx, req, o);
  }
  deleteMirror(volume: string, o: CallOptions): Promise<void> {
    return mirrors.deleteMirror(this.ctx, volume, o);
  }
  prepareToBecomeTarget(volume: string, o: CallOptions): Promise<void> {
    return mirrors.prepareToBecomeTarget(this.ctx, volume, o);
  }

  // ───────────── probes ─────────────

  probeHttp(req: HttpProbeRequest, o: CallOptions): Promise<HttpProbeResult> {
    return probes.probeHttp(this.ctx, req, o);
  }
  probeFtp(req: FtpProbeRequest, o: CallOptions): Promise<FtpProbeResult> {
    return probes.probeFtp(this.ctx, req, o);
  }
  probeTcp(req: TcpProbeRequest, o: CallOptions): Promise<TcpProbeResult> {
    return probes.probeTcp(this.ctx, req, o);
  }
}
