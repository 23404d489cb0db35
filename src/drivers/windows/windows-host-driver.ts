/**
 * HostDriver for a real Windows Server node: constant PowerShell scripts
 * (./powershell-scripts.ts) with JSON in and out, and emcmd.exe for
 * DataKeeper. EMCMD does none of the GUI's sanity checks (docs/spec/seed003-datakeeper.md §7), so
 * this driver does them: role and state are read before every mirror command.
 */
import type { Clock } from '../../lib/clock.js';
import { bindingConflictMessage, findBindingConflict } from '../binding-conflict.js';
import { withDeadline } from '../deadline.js';
import { DriverError } from '../errors.js';
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
import { withKitCode } from '../kit-codes.js';
import {
  MirrorState,
  ServiceState,
  normalizeVolume,
  siteServiceOf,
  type AddressClaim,
  type AddressState,
  type CallOptions,
  type CreateMirrorRequest,
  type EnsureSiteResult,
  type FtpProbeRequest,
  type FtpProbeResult,
  type HostDriver,
  type HostDriverOperation,
  type HttpProbeRequest,
  type HttpProbeResult,
  type IpAddressInfo,
  type MirrorTargetInfo,
  type MirrorVolumeInfo,
  type NetInterface,
  type ServiceName,
  type ServiceStartMode,
  type ServiceStateCode,
  type ServiceStatus,
  type SiteDefinition,
  type SiteInfo,
  type SiteState,
  type TcpProbeRequest,
  type TcpProbeResult,
  type VirtualIpRequest,
} from '../types.js';
import type { AuditLog } from './audit-log.js';
import { fromBindingInformation, toBindingInformation } from './binding-information.js';
import { CommandExecutor } from './command-executor.js';
import type { CommandRunner } from './command-runner.js';
import { DEFAULT_EMCMD_PATH, NON_IDEMPOTENT, interpretEmcmd, type EmcmdCommand } from './emcmd.js';
import { mirrorModeOf, parseMirrorType, parseMirrorVolInfo, parseResyncStatus } from './emcmd-parsers.js';
import { decodeScriptOutput, powershellArgs, stdinJson, type PowerShellFailure } from './powershell.js';
import type { ScriptName } from './powershell-scripts.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export interface WindowsHostDriverOptions {
  nodeName: string;
  runner: CommandRunner;
  clock: Clock;
  audit?: AuditLog;
  retry?: RetryPolicy;
  powershellPath?: string;
  emcmdPath?: string;
  /** Re-check interval while waiting for a switchover to complete. */
  pollMs?: number;
}

const SERVICE_NAMES: ReadonlySet<string> = new Set(['W3SVC', 'WAS', 'FTPSVC', 'SMTPSVC']);
const SITE_STATES: ReadonlySet<string> = new Set(['Started', 'Starting', 'Stopped', 'Stopping', 'Unknown']);
const ADDRESS_STATES: ReadonlySet<string> = new Set(['Preferred', 'Tentative', 'Duplicate', 'Deprecated', 'Invalid']);

/** The kit re-checks a stopping site 10 times in all (docs/spec/seed-iis.md §6.4, 9556). */
const STOP_CHECK_INTERVAL_MS = 500;

interface RawSite {
  id: number;
  name: string;
  state: string;
  ftpState: string | null;
  bindings:
    | { protocol: string; bindingInformation: string; certificateHash: string }[]
    | { protocol: string; bindingInformation: string; certificateHash: string }
    | null;
  physicalPath: string;
  applicationPool: string;
  serverAutoStart: boolean;
}

export class WindowsHostDriver implements HostDriver {
  readonly nodeName: string;
  private readonly clock: Clock;
  private readonly exec: CommandExecutor;
  private readonly powershell: string;
  private readonly emcmdPath: string;
  private readonly pollMs: number;

  constructor(opts: WindowsHostDriverOptions) {
    this.nodeName = opts.nodeName;
    this.clock = opts.clock;
    this.exec = new CommandExecutor(opts.nodeName, opts.runner, opts.clock, opts.audit, opts.retry ?? DEFAULT_RETRY);
    this.powershell = opts.powershellPath ?? 'powershell.exe';
    this.emcmdPath = opts.emcmdPath ?? DEFAULT_EMCMD_PATH;
    this.pollMs = opts.pollMs ?? 1_000;
  }

  // ───────────── plumbing ─────────────

  private run<T>(op: HostDriverOperation, o: CallOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.clock, o, `${op} on ${this.nodeName}`, async (signal) => {
      try {
        return await body(signal);
      } catch (e) {
        throw withKitCode(e, o);
      }
    });
  }

  /** Run a constant script with `params` on stdin; returns its `value`. */
  private ps<T>(
    op: HostDriverOperation,
    script: ScriptName,
    params: Record<string, unknown>,
    o: CallOptions,
    signal: AbortSignal,
    mapFailure: (f: PowerShellFailure) => DriverError | undefined = () => undefined,
  ): Promise<T> {
    return this.exec.execute<T>(
      {
        operation: op,
        program: this.powershell,
        args: powershellArgs(script),
        stdin: stdinJson(params),
        script,
        params,
        idempotent: true,
        interpret: (r) => decodeScriptOutput(script, r, mapFailure),
      },
      o,
      signal,
    );
  }

  private emcmd(
    op: HostDriverOperation,
    command: EmcmdCommand,
    args: string[],
    o: CallOptions,
    signal: AbortSignal,
    system = '.',
  ): Promise<string> {
    return this.exec.execute<string>(
      {
        operation: op,
        program: this.emcmdPath,
        args: [system, command, ...args],
        stdin: '',
        idempotent: !NON_IDEMPOTENT.has(command),
        interpret: (r) => interpretEmcmd(command, r),
      },
      o,
      signal,
    );
  }

  /** Seconds-scale waits inside a script must end before the caller's deadline. */
  private waitMs(o: CallOptions): number {
    return Math.max(500, Math.floor(o.timeoutMs * 0.8));
  }

  // ───────────── services ─────────────

  queryService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return this.run('queryService', o, async (signal) =>
      toServiceStatus(
        await this.ps('queryService', 'service.query', { name: checkService(name) }, o, signal, serviceFailure(name, 'query')),
      ),
    );
  }

  startService(name: ServiceName, o: CallOptions): Promise<ServiceStatus> {
    return this.run('startService', o, async (signal) => {
      const s = toServiceStatus(
        await this.ps(
          'startService',
          'service.start',
          { name: checkService(name), waitMs: this.waitMs(o) },
          o,
          signal,
          serviceFailure(name, 'start'),
        ),
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
    return this.run('stopService', o, async (signal) =>
      toServiceStatus(
        await this.ps(
          'stopService',
          'service.stop',
          { name: checkService(name), waitMs: this.waitMs(o) },
          o,
          signal,
          serviceFailure(name, 'stop'),
        ),
      ),
    );
  }

  // ───────────── IIS ─────────────

  listSites(o: CallOptions): Promise<SiteInfo[]> {
    return this.run('listSites', o, (signal) => this.sites('listSites', o, signal));
  }

  private async sites(op: HostDriverOperation, o: CallOptions, signal: AbortSignal): Promise<SiteInfo[]> {
    const raw = await this.ps<RawSite[] | RawSite | null>(op, 'site.list', {}, o, signal);
    return asArray(raw).map(toSiteInfo);
  }

  ensureSite(def: SiteDefinition, o: CallOptions): Promise<EnsureSiteResult> {
    return this.run('ensureSite', o, async (signal) => {
      checkSiteDefinition(def);
      const r = await this.ps<{ created: boolean; changed: string[] | string | null; site: RawSite }>(
        'ensureSite',
        'site.ensure',
        {
          name: def.name,
          physicalPath: def.physicalPath,
          applicationPool: def.applicationPool,
          serverAutoStart: def.serverAutoStart,
          isFtp: siteServiceOf(def.bindings) === 'FTPSVC',
          bindings: def.bindings.map((b) => ({
            protocol: b.protocol,
            bindingInformation: toBindingInformation(b),
            certificateHash: (b.certificateThumbprint ?? '').toUpperCase(),
          })),
        },
        o,
        signal,
      );
      return { created: Boolean(r.created), changed: asArray(r.changed).map(String), site: toSiteInfo(r.site) };
    });
  }

  startSite(name: string, o: CallOptions): Promise<SiteInfo> {
    return this.run('startSite', o, async (signal) => {
      checkSiteName(name);
      // Kit restore step 1 (9414) and step 4 (9422) from one listing.
      const all = await this.sites('startSite', o, signal);
      const site = all.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (!site)
        throw new DriverError({
          code: 'SiteNotFound',
          kitCode: 9414,
          message: `IIS site ${name} not found in the IIS configuration on ${this.nodeName}`,
        });
      if (site.state === 'Started') return site;
      const conflict = findBindingConflict(
        site,
        all.filter((s) => s.state === 'Started'),
      );
      if (conflict) {
        throw new DriverError({
          code: 'BindingConflict',
          kitCode: 9422,
          message: bindingConflictMessage(site.name, conflict),
          detail: { ...conflict },
        });
      }
      const service = siteServiceOf(site.bindings);
      const r = await this.ps<{ outcome: string; serviceState?: number; address?: string; site?: RawSite }>(
        'startSite',
        'site.start',
        {
          name: site.name,
          service,
          isFtp: service === 'FTPSVC',
          addresses: [...new Set(site.bindings.map((b) => b.address).filter((a) => a !== '*'))],
        },
        o,
        signal,
      );
      switch (r.outcome) {
        case 'notFound':
          throw new DriverError({
            code: 'SiteNotFound',
            kitCode: 9414,
            message: `IIS site ${name} not found in the IIS configuration on ${this.nodeName}`,
          });
        case 'serviceNotRunning':
          throw new DriverError({
            code: 'ServiceNotRunning',
            message: `IIS site ${site.name} cannot start: service ${service} is not running (state ${r.serviceState})`,
            detail: { service, state: r.serviceState ?? 0 },
          });
        case 'addressMissing':
          throw new DriverError({
            code: 'BindingAddressMissing',
            kitCode: 9706,
            message: `Unable to start IIS Site "${site.name}" on system ${this.nodeName}: address ${r.address} is not present (Preferred) on this host`,
            detail: { address: r.address ?? '' },
          });
        case 'ran': {
          const after = toSiteInfo(requireField(r.site, 'site.start', 'site'));
          // Kit restore step 6: check once.
          if (after.state !== 'Started')
            throw new DriverError({
              code: 'SiteStartFailed',
              message: `Unable to start IIS Site "${site.name}" on system ${this.nodeName}`,
            });
          return after;
        }
        default:
          throw unexpected('site.start', r.outcome);
      }
    });
  }

  stopSite(name: string, o: CallOptions): Promise<SiteInfo | undefined> {
    return this.run('stopSite', o, async (signal) => {
      checkSiteName(name);
      const r = await this.ps<{ outcome: string; site?: RawSite }>(
        'stopSite',
        'site.stop',
        { name, checkIntervalMs: STOP_CHECK_INTERVAL_MS },
        o,
        signal,
      );
      if (r.outcome === 'notFound') return undefined; // kit 9563: treated as stopped
      if (r.outcome !== 'checked') throw unexpected('site.stop', r.outcome);
      const site = toSiteInfo(requireField(r.site, 'site.stop', 'site'));
      const state = site.ftpState ?? site.state;
      if (state !== 'Stopped')
        throw new DriverError({
          code: 'SiteStopFailed',
          kitCode: 9556,
          message: `Unable to stop IIS site ${name} on system ${this.nodeName}`,
        });
      return site;
    });
  }

  setServerAutoStart(name: string, value: boolean, o: CallOptions): Promise<SiteInfo> {
    return this.run('setServerAutoStart', o, async (signal) => {
      checkSiteName(name);
      const r = await this.ps<{ outcome: string; site?: RawSite }>('setServerAutoStart', 'site.autostart', { name, value }, o, signal);
      if (r.outcome === 'notFound')
        throw new DriverError({ code: 'SiteNotFound', kitCode: 9414, message: `IIS site ${name} not found on ${this.nodeName}` });
      if (r.outcome !== 'set') throw unexpected('site.autostart', r.outcome);
      return toSiteInfo(requireField(r.site, 'site.autostart', 'site'));
    });
  }

  // ───────────── network ─────────────

  listInterfaces(o: CallOptions): Promise<NetInterface[]> {
    return this.run('listInterfaces', o, async (signal) => {
      const raw = await this.ps<unknown>('listInterfaces', 'net.interfaces', {}, o, signal);
      return asArray(raw as Record<string, unknown>[] | Record<string, unknown> | null).map((n) => ({
        alias: String(n.alias),
        index: Number(n.index),
        status: String(n.status) === 'Up' ? 'Up' : 'Down',
        macAddress: String(n.macAddress),
      }));
    });
  }

  listAddresses(o: CallOptions): Promise<IpAddressInfo[]> {
    return this.run('listAddresses', o, async (signal) => {
      const raw = await this.ps<unknown>('listAddresses', 'net.addresses', {}, o, signal);
      return asArray(raw as Record<string, unknown>[] | Record<string, unknown> | null).map(toAddressInfo);
    });
  }

  addVirtualIp(req: VirtualIpRequest, o: CallOptions): Promise<IpAddressInfo> {
    return this.run('addVirtualIp', o, async (signal) => {
      checkIp(req.address);
      checkPrefixLength(req.address, req.prefixLength);
      checkNoLineBreaks(req.interfaceAlias, 'interfaceAlias');
      const r = await this.ps<{ outcome: string; address?: Record<string, unknown>; interfaceAlias?: string; prefixLength?: number }>(
        'addVirtualIp',
        'net.add',
        {
          address: req.address,
          prefixLength: req.prefixLength,
          interfaceAlias: req.interfaceAlias,
          waitMs: this.waitMs(o),
        },
        o,
        signal,
      );
      switch (r.outcome) {
        case 'noInterface':
          throw new DriverError({ code: 'InterfaceNotFound', message: `no interface "${req.interfaceAlias}" on ${this.nodeName}` });
        case 'inUse':
          throw new DriverError({
            code: 'AddressInUse',
            message: `${req.address} is already on ${this.nodeName} (${r.interfaceAlias}/${r.prefixLength})`,
          });
        case 'vanished':
          throw new DriverError({
            code: 'CommandFailed',
            transient: true,
            message: `${req.address} vanished while waiting for duplicate address detection`,
          });
        case 'present':
          return toAddressInfo(requireField(r.address, 'net.add', 'address'));
        default:
          throw unexpected('net.add', r.outcome);
      }
    });
  }

  removeVirtualIp(address: string, o: CallOptions): Promise<void> {
    return this.run('removeVirtualIp', o, async (signal) => {
      await this.ps('removeVirtualIp', 'net.remove', { address: checkIp(address) }, o, signal);
    });
  }

  probeAddressClaimed(address: string, o: CallOptions): Promise<AddressClaim> {
    return this.run('probeAddressClaimed', o, async (signal) => {
      const r = await this.ps<{ claimed: boolean; byMac?: string }>(
        'probeAddressClaimed',
        'net.claimed',
        { address: checkIp(address) },
        o,
        signal,
      );
      return r.claimed ? { claimed: true, byMac: String(r.byMac) } : { claimed: false };
    });
  }

  // ───────────── DataKeeper ─────────────

  getMirrorInfo(volume: string, o: CallOptions): Promise<MirrorVolumeInfo> {
    return this.run('getMirrorInfo', o, (signal) => this.mirrorInfo('getMirrorInfo', normalizeVolume(volume), o, signal));
  }

  /** GETMIRRORVOLINFO (+ GETMIRRORTYPE, + GETRESYNCSTATUS while resyncing on the source). */
  private async mirrorInfo(op: HostDriverOperation, v: string, o: CallOptions, signal: AbortSignal): Promise<MirrorVolumeInfo> {
    const rows = parseMirrorVolInfo(await this.emcmd(op, 'GETMIRRORVOLINFO', [v], o, signal)).filter((r) => r.volume === v);
    const first = rows[0];
    if (!first) return { volume: v, role: 'none', targets: [] };
    const role = first.role === 1 ? 'source' : 'target';
    const types = parseMirrorType(await this.emcmd(op, 'GETMIRRORTYPE', [v], o, signal));
    const targets: MirrorTargetInfo[] = rows.map((r) => {
      const t: MirrorTargetInfo = { targetAddress: r.targetSystem, state: r.state };
      const type = types.find((x) => x.targetSystem === r.targetSystem);
      const mode = type ? mirrorModeOf(type.type) : undefined;
      if (mode) t.mode = mode;
      return t;
    });
    if (role === 'source' && targets.some((t) => t.state === MirrorState.Resync || t.state === MirrorState.ResyncPending)) {
      const status = parseResyncStatus(await this.emcmd(op, 'GETRESYNCSTATUS', [v], o, signal));
      for (const t of targets) {
        const s = status.targets.find((x) => x.targetSystem === t.targetAddress);
        if (s && (t.state === MirrorState.Resync || t.state === MirrorState.ResyncPending)) t.resync = s.progress;
      }
    }
    return { volume: v, role, sourceSystem: first.sourceSystem, targets };
  }

  switchoverMirror(volume: string, force: boolean, o: CallOptions): Promise<MirrorVolumeInfo> {
    return this.run('switchoverMirror', o, async (signal) => {
      const v = normalizeVolume(volume);
      const info = await this.mirrorInfo('switchoverMirror', v, o, signal);
      if (info.role === 'none')
        throw new DriverError({ code: 'MirrorNotFound', message: `volume ${v}: is not mirrored on ${this.nodeName}` });
      if (info.role === 'source')
        throw new DriverError({ code: 'MirrorWrongRole', message: `volume ${v}: ${this.nodeName} is already the source (svc 265)` });
      const state = info.targets[0]?.state ?? MirrorState.Invalid;
      // DataKeeper L11166: switchover only from Mirroring. `force` skips this check but never passes -f (unsafe, split brain).
      if (!force && state !== MirrorState.Mirroring) {
        throw new DriverError({
          code: 'MirrorNotMirroring',
          message: `volume ${v}: switchover to ${this.nodeName} refused: mirror state is ${state}, not Mirroring (1)`,
          detail: { state },
        });
      }
      await this.emcmd('switchoverMirror', 'SWITCHOVERVOLUME', [v], o, signal);
      for (;;) {
        const now = await this.mirrorInfo('switchoverMirror', v, o, signal);
        if (now.role === 'source') return now;
        await this.clock.sleep(this.pollMs, signal);
      }
    });
  }

  lockVolume(volume: string, o: CallOptions): Promise<void> {
    return this.run('lockVolume', o, async (signal) => {
      await this.emcmd('lockVolume', 'LOCKVOLUME', [normalizeVolume(volume)], o, signal);
    });
  }

  unlockVolume(volume: string, o: CallOptions): Promise<void> {
    return this.run('unlockVolume', o, async (signal) => {
      const v = normalizeVolume(volume);
      const info = await this.mirrorInfo('unlockVolume', v, o, signal);
      const state = info.targets[0]?.state;
      if (info.role === 'target' && (state === MirrorState.Resync || state === MirrorState.ResyncPending)) {
        // DataKeeper driver 165: a target cannot be unlocked during a resync.
        throw new DriverError({ code: 'VolumeBusy', message: `volume ${v}: on ${this.nodeName} cannot be unlocked during a resync` });
      }
      await this.emcmd('unlockVolume', 'UNLOCKVOLUME', [v], o, signal);
    });
  }

  /** PAUSE/CONTINUE/BREAK/RESYNC run on the source only (docs/spec/seed003-datakeeper.md §4.3 notes). */
  private sourceCommand(op: HostDriverOperation, command: EmcmdCommand, volume: string, o: CallOptions): Promise<void> {
    return this.run(op, o, async (signal) => {
      const v = normalizeVolume(volume);
      const info = await this.mirrorInfo(op, v, o, signal);
      if (info.role === 'none')
        throw new DriverError({ code: 'MirrorNotFound', message: `volume ${v}: is not mirrored on ${this.nodeName}` });
      if (info.role !== 'source')
        throw new DriverError({
          code: 'MirrorWrongRole',
          message: `${command} must run on the source; ${this.nodeName} is the target of ${v}:`,
        });
      await this.emcmd(op, command, [v], o, signal);
    });
  }

  pauseMirror(volume: string, o: CallOptions): Promise<void> {
    return this.sourceCommand('pauseMirror', 'PAUSEMIRROR', volume, o);
  }
  continueMirror(volume: string, o: CallOptions): Promise<void> {
    return this.sourceCommand('continueMirror', 'CONTINUEMIRROR', volume, o);
  }
  breakMirror(volume: string, o: CallOptions): Promise<void> {
    return this.sourceCommand('breakMirror', 'BREAKMIRROR', volume, o);
  }
  resyncMirror(volume: string, o: CallOptions): Promise<void> {
    return this.sourceCommand('resyncMirror', 'RESYNCMIRROR', volume, o);
  }

  createMirror(req: CreateMirrorRequest, o: CallOptions): Promise<void> {
    return this.run('createMirror', o, async (signal) => {
      const v = normalizeVolume(req.volume);
      checkIp(req.sourceAddress, 'source address');
      checkIp(req.targetAddress, 'target address');
      const info = await this.mirrorInfo('createMirror', v, o, signal);
      if (info.role !== 'none')
        throw new DriverError({ code: 'MirrorExists', message: `volume ${v}: on ${this.nodeName} is already a mirror ${info.role}` });
      // EMCMD <source ip> CREATEMIRROR <vol> <target ip> <A|S> — no option 1 (skipping the full resync is unsafe, docs/spec/seed003-datakeeper.md §9 rule 10).
      await this.emcmd(
        'createMirror',
        'CREATEMIRROR',
        [v, req.targetAddress, req.mode === 'Synchronous' ? 'S' : 'A'],
        o,
        signal,
        req.sourceAddress,
      );
    });
  }

  deleteMirror(volume: string, o: CallOptions): Promise<void> {
    return this.run('deleteMirror', o, async (signal) => {
      const v = normalizeVolume(volume);
      const info = await this.mirrorInfo('deleteMirror', v, o, signal);
      if (info.role === 'none') return;
      await this.emcmd('deleteMirror', 'DELETEMIRROR', [v], o, signal);
    });
  }

  prepareToBecomeTarget(volume: string, o: CallOptions): Promise<void> {
    return this.run('prepareToBecomeTarget', o, async (signal) => {
      await this.emcmd('prepareToBecomeTarget', 'PREPARETOBECOMETARGET', [normalizeVolume(volume)], o, signal);
    });
  }

  // ───────────── probes ─────────────

  probeHttp(req: HttpProbeRequest, o: CallOptions): Promise<HttpProbeResult> {
    return this.run('probeHttp', o, async (signal) => {
      checkIp(req.address);
      checkPort(req.port);
      checkHostHeader(req.hostHeader);
      const path = checkHttpPath(req.path ?? '/');
      const r = await this.ps<{ outcome: string; statusCode?: number; status?: string; message?: string }>(
        'probeHttp',
        'probe.http',
        {
          uriHost: req.address.includes(':') ? `[${req.address}]` : req.address,
          port: req.port,
          hostHeader: req.hostHeader,
          path,
          tls: Boolean(req.tls),
          waitMs: this.waitMs(o),
        },
        o,
        signal,
      );
      switch (r.outcome) {
        case 'answer':
          return { alive: true, statusCode: Number(r.statusCode), detail: `HTTP ${r.statusCode}` };
        case 'connectFailed':
          return { alive: false, kitCode: 9757, detail: `connect to ${req.address}:${req.port} failed (${r.status ?? ''})` };
        case 'noAnswer':
          return { alive: false, kitCode: 9759, detail: `no HTTP answer from ${req.address}:${req.port} (${r.status ?? ''})` };
        default:
          throw unexpected('probe.http', r.outcome);
      }
    });
  }

  probeFtp(req: FtpProbeRequest, o: CallOptions): Promise<FtpProbeResult> {
    return this.run('probeFtp', o, async (signal) => {
      checkIp(req.address);
      checkPort(req.port);
      const user = checkNoLineBreaks(req.user ?? 'anonymous', 'FTP user');
      const password = checkNoLineBreaks(req.password ?? 'winha@', 'FTP password');
      const r = await this.ps<{ lines: string[] | string | null }>(
        'probeFtp',
        'probe.ftp',
        {
          address: req.address,
          port: req.port,
          user,
          password,
          waitMs: this.waitMs(o),
        },
        o,
        signal,
      );
      const responseLines = asArray(r.lines).map(String);
      // Kit deep check: login succeeded iff a response line starts with "230 " (9760 otherwise).
      return responseLines.some((l) => l.startsWith('230 '))
        ? { alive: true, responseLines }
        : { alive: false, kitCode: 9760, responseLines };
    });
  }

  probeTcp(req: TcpProbeRequest, o: CallOptions): Promise<TcpProbeResult> {
    return this.run('probeTcp', o, async (signal) => {
      const r = await this.ps<{ alive: boolean }>(
        'probeTcp',
        'probe.tcp',
        { address: checkIp(req.address), port: checkPort(req.port), waitMs: this.waitMs(o) },
        o,
        signal,
      );
      return { alive: Boolean(r.alive) };
    });
  }
}

// ───────────── decoding ─────────────

function asArray<T>(v: T[] | T | null | undefined): T[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function requireField<T>(v: T | undefined | null, script: string, field: string): T {
  if (v === undefined || v === null) throw new DriverError({ code: 'ParseError', message: `${script} result has no ${field}` });
  return v;
}

function unexpected(script: string, outcome: unknown): DriverError {
  return new DriverError({ code: 'ParseError', message: `${script} returned an unknown outcome ${JSON.stringify(outcome)}` });
}

function checkService(name: string): ServiceName {
  if (!SERVICE_NAMES.has(name))
    throw new DriverError({ code: 'InvalidArgument', message: `service ${JSON.stringify(name)} is not one WinHA manages` });
  return name as ServiceName;
}

function serviceFailure(name: ServiceName, action: 'query' | 'start' | 'stop') {
  return (f: PowerShellFailure): DriverError | undefined => {
    if (/NoServiceFoundForGivenName/i.test(f.id) || /Cannot find any service/i.test(f.message)) {
      return new DriverError({ code: 'ServiceNotFound', message: `service ${name} is not installed` });
    }
    if (action === 'query') return undefined;
    if (/TimeoutException/i.test(f.type) || /ServiceCommandException|InvalidOperationException/i.test(f.type)) {
      return new DriverError({
        code: action === 'start' ? 'ServiceStartFailed' : 'ServiceStopFailed',
        message: `service ${name} did not ${action}: ${f.message}`,
      });
    }
    return undefined;
  };
}

function toServiceStatus(raw: unknown): ServiceStatus {
  const r = raw as { name?: unknown; state?: unknown; startType?: unknown };
  const state = Number(r.state);
  if (!Number.isInteger(state) || state < 1 || state > 7)
    throw new DriverError({ code: 'ParseError', message: `service state ${String(r.state)} is not a SERVICE_STATUS code 1–7` });
  const startType = String(r.startType);
  const startMode: ServiceStartMode =
    startType === 'Automatic' || startType === 'Auto' ? 'Auto' : startType === 'Disabled' ? 'Disabled' : 'Manual';
  return { name: checkService(String(r.name).toUpperCase()), state: state as ServiceStateCode, startMode };
}

function toSiteState(raw: unknown): SiteState {
  const s = String(raw);
  return SITE_STATES.has(s) ? (s as SiteState) : 'Unknown';
}

function toSiteInfo(raw: RawSite): SiteInfo {
  const bindings = asArray(raw.bindings).flatMap((b) => {
    const x = fromBindingInformation(String(b.protocol), String(b.bindingInformation), String(b.certificateHash ?? ''));
    return x ? [x] : [];
  });
  const info: SiteInfo = {
    id: Number(raw.id),
    name: String(raw.name),
    state: toSiteState(raw.ftpState ?? raw.state),
    bindings,
    physicalPath: String(raw.physicalPath),
    serverAutoStart: Boolean(raw.serverAutoStart),
    applicationPool: String(raw.applicationPool),
  };
  if (raw.ftpState !== null && raw.ftpState !== undefined) info.ftpState = toSiteState(raw.ftpState);
  return info;
}

function toAddressInfo(raw: Record<string, unknown>): IpAddressInfo {
  const state = String(raw.addressState);
  if (!ADDRESS_STATES.has(state))
    throw new DriverError({ code: 'ParseError', message: `AddressState ${state} is not a NetTCPIP address state` });
  return {
    address: String(raw.address),
    prefixLength: Number(raw.prefixLength),
    interfaceAlias: String(raw.interfaceAlias),
    addressState: state as AddressState,
    skipAsSource: Boolean(raw.skipAsSource),
  };
}
