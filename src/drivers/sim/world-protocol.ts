/**
 * The protocol between a simulated host's driver and the simulated world.
 *
 * Requests and responses are plain JSON data, so the world can be served to
 * several agent processes over a socket (a later issue); `LocalWorldApi`
 * enforces that in-process by round-tripping every message through JSON.
 */
import { DriverError, type DriverErrorData } from '../errors.js';
import type {
  AddressClaim,
  CreateMirrorRequest,
  FtpProbeRequest,
  FtpProbeResult,
  HostDriverOperation,
  HostView,
  HttpProbeRequest,
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
import type { Fault, FaultResult } from './world-faults.js';
import { isOneOf } from '../../lib/one-of.js';

export interface HostStatus {
  up: boolean;
  agentRunning: boolean;
  storeReachable: boolean;
  clockSkewMs: number;
  /** The host's wall clock (world time + skew). */
  wallClockMs: number;
}

export interface AddressConflictRecord {
  address: string;
  /** Host names (or `foreign:<mac>`) holding the address when the conflict began. */
  holders: string[];
  at: number;
}

export interface SplitBrainRecord {
  volume: string;
  sources: string[];
  at: number;
}

/** What the invariant checker reads. */
export interface WorldInspection {
  now: number;
  addressConflicts: AddressConflictRecord[];
  splitBrains: SplitBrainRecord[];
  /** Acknowledged synchronous writes missing on the volume's current source(s). */
  lostAcknowledgedWrites: { volume: string; host: string; writeIds: number[] }[];
  /** Writes acknowledged from an asynchronous mirror's queue, missing on the volume's current source(s) (absent: none). */
  lostAsyncWrites?: { volume: string; host: string; writeIds: number[] }[];
  /** Hosts serving each address right now (up, Preferred). */
  addressHolders: Record<string, string[]>;
  /** Started sites per host. */
  startedSites: Record<string, string[]>;
  /** `state`: a target's as it last heard it; a source's worst pair. `targets`: a source's pairs, each with its true state. */
  volumes: {
    host: string;
    volume: string;
    role: string;
    state: number;
    locked: boolean;
    dirtyBlocks: number;
    targets?: { host: string; state: number }[];
  }[];
  /** Accepted SWITCHOVERVOLUME requests, oldest first; a synthetic history without the truth fields is judged by its snapshots. */
  switchoverRequests: {
    host: string;
    volume: string;
    at: number;
    force: boolean;
    sourceReachable?: boolean;
    sourceState?: number;
    sources?: number;
  }[];
  /**
   * Cloud-routed addresses (VirtualIP spec.provider other than local): the hosts the cloud network sends the
   * address's traffic to now, sorted, only hosts that are up (Azure: backends its probe marks healthy; AWS: the
   * host of the ENI the secondary IP is visible on, of the ENIs the /32 routes point at unless their
   * source/destination check is on, of the Elastic IP's ENI). Keyed by spec.address (an Elastic IP's public IP).
   * Absent: no cloud-routed address in the world (src/sim/world/cloud-network.ts).
   */
  cloudRoutes?: Record<string, string[]>;
  /** Power and agent-layer flags per host (the invariant checker needs to know which sources are alive). */
  hosts: Record<string, { up: boolean; agentRunning: boolean; storeReachable: boolean; clockSkewMs: number }>;
}

/** One entry per operation: request args and response value. */
export interface WorldOps {
  /** `hang`: an injected hang (commandFail hang): the call runs into its deadline. */
  'host.begin': { req: { host: string; operation: HostDriverOperation; epoch: number }; res: { hang: true } | null };
  /**
   * A driver call that is one world request (a read): host.begin and the request in one exchange, as a Windows
   * host call is one exchange with its PowerShell host. `hang`: an injected hang (the request was not made).
   */
  'host.call': {
    req: { host: string; operation: HostDriverOperation; epoch: number; call: { op: HostCallOp; args: Record<string, unknown> } };
    res: { hang: true } | { value: unknown };
  };
  'host.status': { req: { host: string }; res: HostStatus };
  'service.query': { req: { host: string; name: ServiceName }; res: ServiceStatus };
  'service.start': { req: { host: string; name: ServiceName }; res: ServiceStatus };
  'service.stop': { req: { host: string; name: ServiceName }; res: ServiceStatus };
  'site.list': { req: { host: string }; res: SiteInfo[] };
  /** One site by name (case-insensitive), null when IIS has none (the Windows driver's site.get). */
  'site.get': { req: { host: string; name: string }; res: SiteInfo | null };
  /** Every site and every address in one request (the Windows driver's host.observe). */
  'host.observe': { req: { host: string }; res: HostView };
  'site.ensure': { req: { host: string; def: SiteDefinition }; res: { created: boolean; changed: string[]; site: SiteInfo } };
  'site.start': { req: { host: string; name: string }; res: SiteInfo };
  'site.stop': { req: { host: string; name: string }; res: SiteInfo | null };
  'site.setAutoStart': { req: { host: string; name: string; value: boolean }; res: SiteInfo };
  'net.interfaces': { req: { host: string }; res: NetInterface[] };
  'net.addresses': { req: { host: string }; res: IpAddressInfo[] };
  'net.add': { req: { host: string; vip: VirtualIpRequest }; res: IpAddressInfo };
  'net.remove': { req: { host: string; address: string }; res: null };
  'net.claimed': { req: { host: string; address: string }; res: AddressClaim };
  /**
   * Open or close the agent-owned TCP listener an Azure load balancer probes; answers the ports open after. The
   * listeners die with the agent (agentStop, nodeCrash) and answer TCP on every address of the host (probe.tcp).
   */
  'net.probeListen': { req: { host: string; port: number; open: boolean }; res: number[] };
  /** The probe ports the host's agent listens on now. */
  'net.probePorts': { req: { host: string }; res: number[] };
  /**
   * One EC2 Query API request from the host's AWS SDK client (form-encoded body; `signed`: it carried an
   * Authorization header). The answer is what EC2 would send, or `hang`: no answer until the caller gives up.
   */
  'cloud.ec2': {
    req: { host: string; body: string; signed: boolean };
    res: { status: number; body: string; requestId: string } | { hang: true };
  };
  /**
   * The instance metadata service as the host sees it: the text at /latest/<path> (a leading `/latest/` is
   * accepted), null for a 404. Paths: meta-data/instance-id, meta-data/placement/region,
   * meta-data/placement/availability-zone, meta-data/mac, meta-data/local-ipv4, meta-data/network/interfaces/macs/
   * (one `<mac>/` a line), and under macs/<mac>/: interface-id, local-ipv4s (primary first, then the secondary IPs
   * visible now, a line each), vpc-ipv4-cidr-block, device-number, mac. MACs as IMDS writes them: 00:15:5d:00:01:01.
   */
  'cloud.imds': { req: { host: string; path: string }; res: string | null };
  'mirror.info': { req: { host: string; volume: string }; res: MirrorVolumeInfo };
  'mirror.switchover': { req: { host: string; volume: string; force: boolean }; res: null };
  /** Why the host's last switchover of the volume failed (e.g. the source could not lock it: 12035), if it did. */
  'mirror.switchoverFailure': { req: { host: string; volume: string }; res: DriverErrorData | null };
  'mirror.lock': { req: { host: string; volume: string }; res: null };
  'mirror.unlock': { req: { host: string; volume: string }; res: null };
  'mirror.pause': { req: { host: string; volume: string }; res: null };
  'mirror.continue': { req: { host: string; volume: string }; res: null };
  'mirror.break': { req: { host: string; volume: string }; res: null };
  'mirror.resync': { req: { host: string; volume: string }; res: null };
  'mirror.create': { req: { host: string; create: CreateMirrorRequest }; res: null };
  'mirror.delete': { req: { host: string; volume: string }; res: null };
  'mirror.prepareTarget': { req: { host: string; volume: string }; res: null };
  'probe.http': { req: { host: string; probe: HttpProbeRequest }; res: HttpProbeResult };
  'probe.ftp': { req: { host: string; probe: FtpProbeRequest }; res: FtpProbeResult };
  'probe.tcp': { req: { host: string; probe: TcpProbeRequest }; res: TcpProbeResult };
  'world.fault': { req: { fault: Fault }; res: FaultResult };
  'world.inspect': { req: Record<string, never>; res: WorldInspection };
}

export type WorldOp = keyof WorldOps;

/** The world requests a host.call may carry: one request that only reads the host. */
export const HOST_CALL_OPS = [
  'service.query',
  'site.list',
  'site.get',
  'host.observe',
  'net.interfaces',
  'net.addresses',
  'net.claimed',
  'net.probePorts',
  'mirror.info',
  'probe.http',
  'probe.ftp',
  'probe.tcp',
] as const satisfies readonly WorldOp[];
export type HostCallOp = (typeof HOST_CALL_OPS)[number];

export function isHostCallOp(op: unknown): op is HostCallOp {
  return isOneOf(HOST_CALL_OPS, op);
}

/** Every operation, at run time (a server refuses anything else before it reaches the world). */
export const WORLD_OPS = [
  'host.begin',
  'host.call',
  'host.status',
  'service.query',
  'service.start',
  'service.stop',
  'site.list',
  'site.get',
  'host.observe',
  'site.ensure',
  'site.start',
  'site.stop',
  'site.setAutoStart',
  'net.interfaces',
  'net.addresses',
  'net.add',
  'net.remove',
  'net.claimed',
  'net.probeListen',
  'net.probePorts',
  'cloud.ec2',
  'cloud.imds',
  'mirror.info',
  'mirror.switchover',
  'mirror.switchoverFailure',
  'mirror.lock',
  'mirror.unlock',
  'mirror.pause',
  'mirror.continue',
  'mirror.break',
  'mirror.resync',
  'mirror.create',
  'mirror.delete',
  'mirror.prepareTarget',
  'probe.http',
  'probe.ftp',
  'probe.tcp',
  'world.fault',
  'world.inspect',
] as const satisfies readonly WorldOp[];

// Compile-time proof that WORLD_OPS lists every operation.
type MissingOps = Exclude<WorldOp, (typeof WORLD_OPS)[number]>;
const allOpsListed: MissingOps extends never ? true : MissingOps = true;
void allOpsListed;

export function isWorldOp(op: unknown): op is WorldOp {
  return isOneOf(WORLD_OPS, op);
}

export type WorldRequest = { [K in WorldOp]: { op: K; args: WorldOps[K]['req'] } }[WorldOp];

export type WorldResponse = { ok: true; value: unknown } | { ok: false; error: DriverErrorData };

export interface WorldApi {
  call(request: WorldRequest): Promise<WorldResponse>;
}

/** Typed call: returns the value or throws the world's DriverError. */
export async function callWorld<K extends WorldOp>(api: WorldApi, op: K, args: WorldOps[K]['req']): Promise<WorldOps[K]['res']> {
  const res = await api.call({ op, args } as WorldRequest);
  if (!res.ok) throw DriverError.fromData(res.error);
  return res.value as WorldOps[K]['res'];
}

/** Something that answers world requests synchronously (the World). */
export interface WorldHandler {
  handle(request: WorldRequest): WorldResponse;
}

/**
 * In-process transport that behaves like a socket: every request and response
 * is serialized to JSON and parsed back, so no object is ever shared.
 */
export class LocalWorldApi implements WorldApi {
  constructor(private readonly handler: WorldHandler) {}
  async call(request: WorldRequest): Promise<WorldResponse> {
    const wireRequest = JSON.parse(JSON.stringify(request)) as WorldRequest;
    const response = this.handler.handle(wireRequest);
    return JSON.parse(JSON.stringify(response)) as WorldResponse;
  }
}
