/**
 * What a client connecting to an address finds (the agents' HTTP, FTP and TCP probes): the machine the network
 * delivers to — the first live ARP claimant on the segment, or for a cloud-routed address the host the cloud
 * network sends it to — and whether something listens there.
 */
import type {
  FtpProbeRequest,
  FtpProbeResult,
  HttpProbeRequest,
  HttpProbeResult,
  TcpProbeRequest,
  TcpProbeResult,
} from '../../drivers/types.js';
import type { IisHost } from './iis-host.js';
import type { Segment } from './segment.js';

/** Management ports a Windows host answers on its configured addresses (RPC, SMB, RDP, WinRM). */
export const DEFAULT_PORTS = [135, 445, 3389, 5985];

export interface ProbeHost {
  name: string;
  iis: IisHost;
  /** TCP ports answering on the host's configured addresses (default DEFAULT_PORTS). */
  listeningPorts?: number[];
  /** Ports of the agent's load-balancer probe listeners (they answer on every address of the host). */
  probePorts: ReadonlySet<number>;
}

export interface ProbeContext {
  segment: Segment;
  host(name: string): ProbeHost | undefined;
  /**
   * For a cloud-routed address, the host its traffic reaches from `from` (null: none); undefined when the address
   * is not cloud-routed (ARP decides).
   */
  cloudAnswerer?(address: string, from: string): string | null | undefined;
}

/** Who receives a connection to the address: the cloud's choice, else the first live ARP claimant (the one that defends it). */
export function answerer(ctx: ProbeContext, address: string, from: string): { host?: ProbeHost; address: string } | undefined {
  const routed = ctx.cloudAnswerer?.(address, from);
  if (routed !== undefined) {
    const rec = routed === null ? undefined : ctx.host(routed);
    return rec ? { host: rec, address } : undefined;
  }
  const h = ctx.segment.answering(address)[0];
  if (!h) return undefined;
  const rec = ctx.host(h.holder);
  return rec ? { host: rec, address } : { address };
}

export function probeHttp(ctx: ProbeContext, from: string, p: HttpProbeRequest): HttpProbeResult {
  const who = answerer(ctx, p.address, from);
  const protocol = p.tls ? 'https' : 'http';
  const listening =
    who?.host?.iis
      .answeringSites()
      .filter((s) =>
        s.bindings.some((b) => b.protocol === protocol && b.port === p.port && (b.address === p.address || b.address === '*')),
      ) ?? [];
  if (listening.length === 0) {
    return {
      alive: false,
      kitCode: 9757,
      detail: `connect to ${p.address}:${p.port} failed (${who ? 'connection refused' : 'no host answers'})`,
    };
  }
  const match = listening.some((s) =>
    s.bindings.some((b) => b.port === p.port && (b.hostHeader === '' || b.hostHeader.toLowerCase() === p.hostHeader.toLowerCase())),
  );
  // HTTP.sys answers 400 (Invalid Hostname) when no binding matches the Host header: still an HTTP answer.
  const statusCode = match ? 200 : 400;
  return { alive: true, statusCode, detail: `HTTP ${statusCode}` };
}

export function probeFtp(ctx: ProbeContext, from: string, p: FtpProbeRequest): FtpProbeResult {
  const who = answerer(ctx, p.address, from);
  const site = who?.host?.iis
    .startedSites()
    .find((s) => s.bindings.some((b) => b.protocol === 'ftp' && b.port === p.port && (b.address === p.address || b.address === '*')));
  if (!site) return { alive: false, kitCode: 9760, responseLines: [] };
  const user = p.user ?? 'anonymous';
  return {
    alive: true,
    responseLines: ['220 Microsoft FTP Service', `331 Password required for ${user}.`, '230 User logged in.'],
  };
}

export function probeTcp(ctx: ProbeContext, from: string, p: TcpProbeRequest): TcpProbeResult {
  const who = answerer(ctx, p.address, from);
  if (!who?.host) return { alive: false };
  // The agent's probe listener binds every address (what a load balancer and a takeover's safety check reach).
  if (who.host.probePorts.has(p.port)) return { alive: true };
  const holding = ctx.segment.find(who.host.name, p.address);
  if (holding && !holding.virtual && (who.host.listeningPorts ?? DEFAULT_PORTS).includes(p.port)) return { alive: true };
  const alive = who.host.iis
    .startedSites()
    .some((s) => s.bindings.some((b) => b.port === p.port && (b.address === p.address || b.address === '*')));
  return { alive };
}
