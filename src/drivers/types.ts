/**
 * HostDriver: everything the agent may observe or change on one node.
 *
 * The agent sees a node only through this interface; two implementations
 * exist: `windows/` (PowerShell + emcmd.exe) and `sim/` (a simulated host in a
 * simulated world). Results are typed data, never text to grep. Failures are
 * `DriverError`s (./errors.ts).
 */

import { canonicalIp } from '../lib/ip.js';
import { DriverError } from './errors.js';

export { DriverError, isDriverError } from './errors.js';
export type { DriverErrorCode, DriverErrorData, IisKitCode } from './errors.js';

// ───────────────────────────── call options ─────────────────────────────

/** Which kit operation a call is part of; only chooses the kit code of a failure (docs/spec/seed-iis.md §6.3–6.5). */
export type KitOperation = 'restore' | 'remove' | 'recover' | 'quickCheck' | 'deepCheck';

export interface CallOptions {
  /** The caller's lease epoch; recorded with every command (audit log / world trace). */
  epoch: number;
  /** Give up (DriverError 'Timeout') after this many milliseconds of the driver's clock. */
  timeoutMs: number;
  /** Lets the caller cancel; cancellation is reported as 'Timeout'. */
  signal?: AbortSignal;
  kitOperation?: KitOperation;
}

// ───────────────────────────── services ─────────────────────────────

/** Services a WinHA node manages: IIS (WAS + W3SVC), FTP, SMTP. */
export type ServiceName = 'W3SVC' | 'WAS' | 'FTPSVC' | 'SMTPSVC';

/** Windows SERVICE_STATUS dwCurrentState (docs/spec/seed-iis.md §6.0). */
export const ServiceState = {
  Stopped: 1,
  StartPending: 2,
  StopPending: 3,
  Running: 4,
  ContinuePending: 5,
  PausePending: 6,
  Paused: 7,
} as const;
export type ServiceStateCode = (typeof ServiceState)[keyof typeof ServiceState];

export type ServiceStartMode = 'Auto' | 'Manual' | 'Disabled';

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceStateCode;
  startMode: ServiceStartMode;
}

// ───────────────────────────── IIS ─────────────────────────────

export type SiteState = 'Started' | 'Starting' | 'Stopped' | 'Stopping' | 'Unknown';
export type BindingProtocol = 'http' | 'https' | 'ftp' | 'smtp';

export interface SiteBinding {
  protocol: BindingProtocol;
  /** Concrete IP, or '*' (the kit requires a concrete one, docs/spec/seed-iis.md §7). */
  address: string;
  port: number;
  /** '' when the binding has no host header. */
  hostHeader: string;
  /** https, or ftp made FTPS (the certificate of ftpServer.security.ssl); uppercase hex. */
  certificateThumbprint?: string;
}

export interface SiteInfo {
  /** IIS site ID; may differ between nodes (the kit looks sites up by name). */
  id: number;
  name: string;
  /** The state of the site's own protocol: FTP sites report the FTP server state. */
  state: SiteState;
  /** Get-WebItemState -Protocol ftp, for sites with an ftp binding. */
  ftpState?: SiteState;
  bindings: SiteBinding[];
  physicalPath: string;
  serverAutoStart: boolean;
  applicationPool: string;
  /** Why the host could not read this site; its state is then Unknown, never Stopped. */
  error?: string;
}

/** What a Managed IISSite declares; applied identically on every node. */
export interface SiteDefinition {
  name: string;
  bindings: SiteBinding[];
  physicalPath: string;
  applicationPool: string;
  serverAutoStart: boolean;
  /** FTP sites: how the deep check logs in (docs/spec/seed-iis.md §9), so a created site accepts that login. */
  ftpLogin?: 'anonymous' | 'credentials';
}

export interface EnsureSiteResult {
  created: boolean;
  /** Which properties were changed ('bindings', 'physicalPath', ...); empty when already identical. */
  changed: string[];
  site: SiteInfo;
}

// ───────────────────────────── network ─────────────────────────────

export interface NetInterface {
  alias: string;
  index: number;
  status: 'Up' | 'Down';
  macAddress: string;
}

/** NetTCPIP AddressState (Get-NetIPAddress). */
export type AddressState = 'Preferred' | 'Tentative' | 'Duplicate' | 'Deprecated' | 'Invalid';

export interface IpAddressInfo {
  address: string;
  prefixLength: number;
  interfaceAlias: string;
  addressState: AddressState;
  skipAsSource: boolean;
}

export interface VirtualIpRequest {
  address: string;
  prefixLength: number;
  interfaceAlias: string;
  /**
   * false: return as soon as the address is added, possibly still Tentative (the agent observes the end of duplicate
   * address detection in a later cycle instead of holding a worker for it). Default true: wait it out.
   */
  awaitDetection?: boolean;
}

/** What one observation of a host reads: its sites and its addresses. */
export interface HostView {
  sites: SiteInfo[];
  addresses: IpAddressInfo[];
}

export interface AddressClaim {
  claimed: boolean;
  /** Link-layer address of the claimant, when known. */
  byMac?: string;
}

// ───────────────────────────── DataKeeper ─────────────────────────────

/** docs/spec/seed003-datakeeper.md §4.1. */
export const MirrorState = {
  Invalid: -1,
  None: 0,
  Mirroring: 1,
  Resync: 2,
  Broken: 3,
  Paused: 4,
  ResyncPending: 5,
} as const;
export type MirrorStateCode = (typeof MirrorState)[keyof typeof MirrorState];

export type MirrorRole = 'source' | 'target' | 'none';
export type MirrorMode = 'Synchronous' | 'Asynchronous';

/** GETRESYNCSTATUS (docs/spec/seed003-datakeeper.md §7.2). */
export interface ResyncProgress {
  /** 0 unknown, 1 initial, 2 updating, 3 done. */
  phase: 0 | 1 | 2 | 3;
  bitmapPass: number;
  numberOfBlocks: number;
  dirtyBlocks: number;
  currentBlock: number;
  newWrites: number;
  /** 1 − dirty/total, in [0, 1]. */
  fraction: number;
}

export interface MirrorTargetInfo {
  /** Replication address of the target (as EMCMD prints it). */
  targetAddress: string;
  state: MirrorStateCode;
  mode?: MirrorMode;
  resync?: ResyncProgress;
  /**
   * Asynchronous source only: writes queued for this target, not yet on it (what a source failure loses, §2.5).
   * Absent when unknown: the Windows driver leaves it out (the "Queue Current Length" counter, §2.8, has no
   * documented instance name to tie it to a volume and target).
   */
  queuedWrites?: number;
}

export interface MirrorVolumeInfo {
  /** Drive letter, no colon. */
  volume: string;
  role: MirrorRole;
  /** The source system as EMCMD prints it (absent when role is none). */
  sourceSystem?: string;
  /** One entry per target; for a target node, one entry describing its own mirror. */
  targets: MirrorTargetInfo[];
}

export interface CreateMirrorRequest {
  volume: string;
  /** This node's replication address. */
  sourceAddress: string;
  targetAddress: string;
  mode: MirrorMode;
}

// ───────────────────────────── probes ─────────────────────────────

export interface HttpProbeRequest {
  address: string;
  port: number;
  hostHeader: string;
  path?: string;
  /** https binding: probe over TLS (certificate not validated). */
  tls?: boolean;
}

export interface HttpProbeResult {
  /** Any HTTP answer, whatever its status, means alive (the kit's pollsite). */
  alive: boolean;
  statusCode?: number;
  /** 9757 connect failed, 9759 no HTTP answer (docs/spec/seed-iis.md §6.2). */
  kitCode?: 9757 | 9759;
  detail: string;
}

export interface FtpProbeRequest {
  address: string;
  port: number;
  /** Default anonymous (docs/spec/seed-iis.md §9). */
  user?: string;
  password?: string;
}

export interface FtpProbeResult {
  /** A response line starting with `230 ` (login succeeded). */
  alive: boolean;
  /** 9760 when no line starts with `230 `. */
  kitCode?: 9760;
  responseLines: string[];
}

export interface TcpProbeRequest {
  address: string;
  port: number;
}

export interface TcpProbeResult {
  alive: boolean;
}

// ───────────────────────────── the interface ─────────────────────────────

export interface HostDriver {
  /** The node this driver acts on. */
  readonly nodeName: string;

  // services
  queryService(name: ServiceName, o: CallOptions): Promise<ServiceStatus>;
  /** Start and wait until Running (START_PENDING is waited out, not returned). */
  startService(name: ServiceName, o: CallOptions): Promise<ServiceStatus>;
  /** Stop and wait until Stopped. */
  stopService(name: ServiceName, o: CallOptions): Promise<ServiceStatus>;

  // IIS
  listSites(o: CallOptions): Promise<SiteInfo[]>;
  /** Optional: one site by name without listing every site (a driver whose every request costs offers it). */
  getSite?(name: string, o: CallOptions): Promise<SiteInfo | undefined>;
  /** Optional: every site and every address in one request (one observation per cycle, not two). */
  observeHost?(o: CallOptions): Promise<HostView>;
  /** Optional: release what the driver holds (the Windows driver's PowerShell host) when the agent stops. */
  close?(): Promise<void>;
  /** Create or update a Managed site so it matches `def` exactly; never starts it. */
  ensureSite(def: SiteDefinition, o: CallOptions): Promise<EnsureSiteResult>;
  /** The kit's restore steps 1, 3–6: 9414, 9420, 9422, start, verify 9706. Does not start the service. */
  startSite(name: string, o: CallOptions): Promise<SiteInfo>;
  /** Stop the site, never the service; verify with up to 10 checks (9556). A missing site is stopped (9563). */
  stopSite(name: string, o: CallOptions): Promise<SiteInfo | undefined>;
  setServerAutoStart(name: string, value: boolean, o: CallOptions): Promise<SiteInfo>;

  // network
  listInterfaces(o: CallOptions): Promise<NetInterface[]>;
  listAddresses(o: CallOptions): Promise<IpAddressInfo[]>;
  /** Add with SkipAsSource, wait out Tentative (unless req.awaitDetection is false), return its state. Idempotent. */
  addVirtualIp(req: VirtualIpRequest, o: CallOptions): Promise<IpAddressInfo>;
  /** Idempotent: removing an absent address succeeds. */
  removeVirtualIp(address: string, o: CallOptions): Promise<void>;
  /** Does another machine on the segment answer for this address? */
  probeAddressClaimed(address: string, o: CallOptions): Promise<AddressClaim>;
  /**
   * Open or close the TCP listener an Azure load balancer probes on `port` (owned by the agent's process, so it
   * dies with it); closing resets the connections it holds. Idempotent. Returns the probe ports open after.
   */
  setProbeListener(port: number, open: boolean, o: CallOptions): Promise<number[]>;
  /** The probe ports this node's agent listens on now. */
  listProbeListeners(o: CallOptions): Promise<number[]>;

  // DataKeeper
  getMirrorInfo(volume: string, o: CallOptions): Promise<MirrorVolumeInfo>;
  /** Make this node the source (SWITCHOVERVOLUME). Without force, only from Mirroring. */
  switchoverMirror(volume: string, force: boolean, o: CallOptions): Promise<MirrorVolumeInfo>;
  lockVolume(volume: string, o: CallOptions): Promise<void>;
  unlockVolume(volume: string, o: CallOptions): Promise<void>;
  pauseMirror(volume: string, o: CallOptions): Promise<void>;
  continueMirror(volume: string, o: CallOptions): Promise<void>;
  breakMirror(volume: string, o: CallOptions): Promise<void>;
  /** Full resync (RESYNCMIRROR). */
  resyncMirror(volume: string, o: CallOptions): Promise<void>;
  createMirror(req: CreateMirrorRequest, o: CallOptions): Promise<void>;
  deleteMirror(volume: string, o: CallOptions): Promise<void>;
  /** Split-brain recovery on the loser: delete the local mirror and lock (PREPARETOBECOMETARGET). */
  prepareToBecomeTarget(volume: string, o: CallOptions): Promise<void>;

  // probes
  probeHttp(req: HttpProbeRequest, o: CallOptions): Promise<HttpProbeResult>;
  probeFtp(req: FtpProbeRequest, o: CallOptions): Promise<FtpProbeResult>;
  probeTcp(req: TcpProbeRequest, o: CallOptions): Promise<TcpProbeResult>;
}

/** Names of the operations, e.g. for commandFail fault injection and audit records. */
export type HostDriverOperation = Exclude<keyof HostDriver, 'nodeName'>;

/** The optional operations (reads some drivers offer; callers fall back to the required ones). */
export const OPTIONAL_READS: readonly HostDriverOperation[] = ['getSite', 'observeHost'];

export const HOST_DRIVER_OPERATIONS: readonly HostDriverOperation[] = [
  'queryService',
  'startService',
  'stopService',
  'listSites',
  'ensureSite',
  'startSite',
  'stopSite',
  'setServerAutoStart',
  'listInterfaces',
  'listAddresses',
  'addVirtualIp',
  'removeVirtualIp',
  'probeAddressClaimed',
  'setProbeListener',
  'listProbeListeners',
  'getMirrorInfo',
  'switchoverMirror',
  'lockVolume',
  'unlockVolume',
  'pauseMirror',
  'continueMirror',
  'breakMirror',
  'resyncMirror',
  'createMirror',
  'deleteMirror',
  'prepareToBecomeTarget',
  'probeHttp',
  'probeFtp',
  'probeTcp',
];

/** Which service serves a site: SMTP if it has an smtp binding, FTP if an ftp one, else W3SVC. */
export function siteServiceOf(bindings: readonly SiteBinding[]): ServiceName {
  if (bindings.some((b) => b.protocol === 'smtp')) return 'SMTPSVC';
  return bindings.some((b) => b.protocol === 'ftp') ? 'FTPSVC' : 'W3SVC';
}

/** The kit's binding identity: protocol + IP:port:host (docs/spec/seed-iis.md §7); the IP in canonical text, as HTTP.sys reads it. */
export function bindingKey(b: SiteBinding): string {
  return `${b.protocol}/${canonicalIp(b.address)}:${b.port}:${b.hostHeader.toLowerCase()}`;
}

/** Volume letters are one character A–Z, no colon (EMCMD parses only the first character). */
export function normalizeVolume(volume: string): string {
  const v = volume.trim().toUpperCase();
  if (!/^[A-Z]$/.test(v)) {
    throw new DriverError({
      code: 'InvalidArgument',
      message: `volume must be a single letter A–Z without a colon, got ${JSON.stringify(volume)}`,
    });
  }
  return v;
}
