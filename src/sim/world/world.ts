/**
 * The simulated world: Windows hosts on one shared L2 segment, DataKeeper
 * mirrors between them, injectable faults, all on an injected Clock and Random
 * (deterministic: same seed, same trace).
 *
 * Drivers reach the world only through `handle(request)` (the WorldApi
 * protocol, src/drivers/sim/world-protocol.ts): plain JSON in, plain JSON out.
 */
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { DriverError } from '../../drivers/errors.js';
import {
  normalizeVolume,
  type AddressClaim,
  type HostDriverOperation,
  type IpAddressInfo,
  type ServiceName,
  type ServiceStartMode,
  type SiteDefinition,
} from '../../drivers/types.js';
import { DataKeeper } from './datakeeper.js';
import type { MirrorTiming } from './mirror-engine.js';
import type { Fault, FaultResult } from '../../drivers/sim/world-faults.js';
import { IisHost, type ServiceTiming } from './iis-host.js';
import { Segment } from './segment.js';
import { CloudNetwork, type CloudConfig } from './cloud-network.js';
import { isMirrorRequest, mirrorOp } from './mirror-ops.js';
import { probeFtp, probeHttp, probeTcp, type ProbeContext } from './probes.js';
import {
  isHostCallOp,
  type WorldHandler,
  type WorldInspection,
  type WorldOps,
  type WorldRequest,
  type WorldResponse,
} from '../../drivers/sim/world-protocol.js';

export interface SimTiming extends ServiceTiming, MirrorTiming {
  /** Duplicate address detection: how long a new address stays Tentative. */
  dadMs: number;
}

export const DEFAULT_SIM_TIMING: SimTiming = {
  serviceStartMs: 1500,
  serviceStopMs: 800,
  jitterMs: 400,
  dadMs: 1000,
  tickMs: 500,
  resyncBlocksPerSecond: 2048,
  asyncWritesPerSecond: 200,
  switchoverMs: 1000,
  switchoverUnreachableMs: 35_000,
};

export interface SimHostConfig {
  name: string;
  interfaces: { alias: string; mac: string; addresses: { address: string; prefixLength: number }[] }[];
  /** Volumes that can be mirrored; sizes in 64 KB blocks. */
  volumes?: { letter: string; totalBlocks?: number; usedBlocks?: number }[];
  serviceStartModes?: Partial<Record<ServiceName, ServiceStartMode>>;
  /** Sites configured before the scenario starts. */
  sites?: SiteDefinition[];
  /** TCP ports answering on the host's configured addresses (management: RPC, SMB, RDP, WinRM). */
  listeningPorts?: number[];
  /** Default true. */
  poweredOn?: boolean;
}

export interface WorldConfig {
  hosts: SimHostConfig[];
  timing?: Partial<SimTiming>;
  /** The cloud network under the hosts (VirtualIPs with a cloud provider); absent: one L2 segment, on premises. */
  cloud?: CloudConfig;
}

interface HostRecord {
  config: SimHostConfig;
  iis: IisHost;
  up: boolean;
  agentRunning: boolean;
  storeReachable: boolean;
  clockSkewMs: number;
  failures: { operation?: HostDriverOperation; remaining: number; hang?: true }[];
  /** Ports of the agent's load-balancer probe listeners: they die with the agent's process. */
  probePorts: Set<number>;
}

export interface TraceEntry {
  at: number;
  host: string;
  operation: HostDriverOperation;
  epoch: number;
  outcome: 'ok' | 'injectedFailure' | 'injectedHang' | 'hostDown';
}

/** siteStuck without `checks`: as many as the IIS kit makes before it gives up with 9556 (docs/spec/seed-iis.md). */
export const SITE_STUCK_DEFAULT_CHECKS = 10;

export class World implements WorldHandler {
  readonly timing: SimTiming;
  private hosts = new Map<string, HostRecord>();
  private partitions = new Set<string>();
  readonly segment: Segment;
  readonly dk: DataKeeper;
  /** Every driver operation with the caller's epoch, in order. */
  readonly trace: TraceEntry[] = [];
  private stealCount = 0;
  /** The cloud network, when the world has one (WorldConfig.cloud). */
  readonly cloud: CloudNetwork | undefined;
  private readonly probes: ProbeContext;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    config: WorldConfig,
  ) {
    this.timing = { ...DEFAULT_SIM_TIMING, ...config.timing };
    this.cloud = config.cloud
      ? new CloudNetwork(clock, config.cloud, {
          isUp: (h) => this.isUp(h),
          probeOpen: (h, port) => this.hosts.get(h)?.probePorts.has(port) ?? false,
        })
      : undefined;
    this.segment = new Segment(
      clock,
      this.timing.dadMs,
      (h) => this.isUp(h),
      (a) => this.cloud?.isCloudRouted(a) ?? false,
    );
    this.probes = {
      segment: this.segment,
      host: (name) => {
        const h = this.hosts.get(name);
        return h
          ? { name, iis: h.iis, probePorts: h.probePorts, ...(h.config.listeningPorts ? { listeningPorts: h.config.listeningPorts } : {}) }
          : undefined;
      },
      cloudAnswerer: (address, from) =>
        this.cloud?.answerer(address, from, (h) => this.segment.answering(address).some((x) => x.holder === h)),
    };
    this.dk = new DataKeeper({
      clock,
      random,
      timing: this.timing,
      isUp: (h) => this.isUp(h),
      canReplicate: (a, b) => !this.partitioned(a, b),
      hostOfAddress: (a) => this.segment.ownerOfConfigured(a),
      volumeInUse: (h, letter) => this.volumeInUse(h, letter),
    });
    for (const hc of config.hosts) this.addHost(hc);
    for (const h of this.hosts.values()) if (h.up) h.iis.boot();
  }

  private addHost(hc: SimHostConfig): void {
    if (this.hosts.has(hc.name)) throw new Error(`duplicate host ${hc.name}`);
    const iis = new IisHost(hc.name, this.clock, this.random, this.timing, (ip) => this.addressUsable(hc.name, ip), hc.serviceStartModes);
    for (const def of hc.sites ?? []) iis.ensureSite(def);
    this.hosts.set(hc.name, {
      config: hc,
      iis,
      up: hc.poweredOn ?? true,
      agentRunning: true,
      storeReachable: true,
      clockSkewMs: 0,
      failures: [],
      probePorts: new Set(),
    });
    for (const nic of hc.interfaces) {
      for (const a of nic.addresses) {
        this.segment.addConfigured({
          holder: hc.name,
          mac: nic.mac,
          address: a.address,
          prefixLength: a.prefixLength,
          interfaceAlias: nic.alias,
          skipAsSource: false,
        });
      }
    }
    for (const v of hc.volumes ?? []) this.dk.addVolume(hc.name, normalizeVolume(v.letter), v.totalBlocks ?? 16_384, v.usedBlocks ?? 4_096);
  }

  // ───────────── the protocol ─────────────

  handle(request: WorldRequest): WorldResponse {
    try {
      return { ok: true, value: this.dispatch(request) ?? null };
    } catch (e) {
      if (e instanceof DriverError) return { ok: false, error: e.toData() };
      return { ok: false, error: { code: 'CommandFailed', message: `simulator error: ${(e as Error).message}` } };
    }
  }

  private dispatch(r: WorldRequest): unknown {
    if (isMirrorRequest(r)) {
      this.live(r.args.host);
      return mirrorOp(this.dk, r);
    }
    switch (r.op) {
      case 'host.begin':
        return this.begin(r.args);
      case 'host.call': {
        const { call } = r.args;
        if (!isHostCallOp(call?.op) || typeof call.args !== 'object' || call.args === null)
          throw new DriverError({
            code: 'CommandFailed',
            message: `host.call carries one read of the host, not ${JSON.stringify(call?.op)}`,
          });
        const hang = this.begin(r.args);
        if (hang) return hang;
        return { value: this.dispatch({ op: call.op, args: { ...call.args, host: r.args.host } } as WorldRequest) ?? null };
      }
      case 'host.status': {
        const h = this.host(r.args.host);
        return {
          up: h.up,
          agentRunning: h.agentRunning,
          storeReachable: h.storeReachable,
          clockSkewMs: h.clockSkewMs,
          wallClockMs: this.clock.now() + h.clockSkewMs,
        };
      }
      case 'service.query':
        return this.live(r.args.host).iis.serviceStatus(r.args.name);
      case 'service.start':
        return this.live(r.args.host).iis.startService(r.args.name);
      case 'service.stop':
        return this.live(r.args.host).iis.stopService(r.args.name);
      case 'site.list':
        return this.live(r.args.host).iis.listSites();
      case 'site.get':
        return this.live(r.args.host).iis.readSite(r.args.name) ?? null;
      case 'host.observe':
        return { sites: this.live(r.args.host).iis.listSites(), addresses: this.addresses(r.args.host) };
      case 'site.ensure':
        return this.live(r.args.host).iis.ensureSite(r.args.def);
      case 'site.start':
        return this.live(r.args.host).iis.startSite(r.args.name);
      case 'site.stop':
        return this.live(r.args.host).iis.requestStop(r.args.name) ?? null;
      case 'site.setAutoStart':
        return this.live(r.args.host).iis.setServerAutoStart(r.args.name, r.args.value);
      case 'net.interfaces':
        return this.live(r.args.host).config.interfaces.map((n, i) => ({ alias: n.alias, index: i + 1, status: 'Up', macAddress: n.mac }));
      case 'net.addresses':
        this.live(r.args.host);
        return this.addresses(r.args.host);
      case 'net.add':
        return this.addVip(r.args.host, r.args.vip);
      case 'net.remove':
        this.live(r.args.host);
        this.segment.remove(r.args.host, r.args.address);
        return null;
      case 'net.claimed':
        return this.claimed(r.args.host, r.args.address);
      case 'probe.http':
        this.live(r.args.host);
        return probeHttp(this.probes, r.args.host, r.args.probe);
      case 'probe.ftp':
        this.live(r.args.host);
        return probeFtp(this.probes, r.args.host, r.args.probe);
      case 'probe.tcp':
        this.live(r.args.host);
        return probeTcp(this.probes, r.args.host, r.args.probe);
      case 'net.probeListen': {
        const ports = this.live(r.args.host).probePorts;
        if (r.args.open) ports.add(r.args.port);
        else ports.delete(r.args.port);
        return [...ports].sort((a, b) => a - b);
      }
      case 'net.probePorts':
        return [...this.live(r.args.host).probePorts].sort((a, b) => a - b);
      case 'cloud.ec2':
        this.live(r.args.host);
        return this.mustCloud(r.op).ec2(r.args.host, r.args.body, r.args.signed);
      case 'cloud.imds':
        this.live(r.args.host);
        return this.mustCloud(r.op).imds(r.args.host, r.args.path);
      case 'world.fault':
        return this.inject(r.args.fault);
      case 'world.inspect':
        return this.inspect();
    }
  }

  /** Every driver operation starts here: host up? injected failure? Records the caller's epoch. */
  private begin(a: WorldOps['host.begin']['req']): { hang: true } | null {
    const h = this.host(a.host);
    const entry: TraceEntry = { at: this.clock.now(), host: a.host, operation: a.operation, epoch: a.epoch, outcome: 'ok' };
    this.trace.push(entry);
    if (!h.up) {
      entry.outcome = 'hostDown';
      throw new DriverError({ code: 'HostUnreachable', transient: true, message: `host ${a.host} is down` });
    }
    const f = h.failures.find((x) => x.remaining > 0 && (x.operation === undefined || x.operation === a.operation));
    if (f) {
      f.remaining--;
      h.failures = h.failures.filter((x) => x.remaining > 0);
      if (f.hang) {
        entry.outcome = 'injectedHang';
        return { hang: true };
      }
      entry.outcome = 'injectedFailure';
      throw new DriverError({ code: 'CommandFailed', transient: true, message: `injected failure of ${a.operation} on ${a.host}` });
    }
    return null;
  }

  // ───────────── faults ─────────────

  inject(f: Fault): FaultResult {
    switch (f.type) {
      case 'nodeCrash': {
        const h = this.host(f.node);
        if (!h.up) return {};
        h.up = false;
        h.probePorts.clear();
        h.iis.crash();
        this.segment.dropVirtual(f.node);
        this.dk.hostCrashed(f.node);
        return {};
      }
      case 'nodeRestore': {
        const h = this.host(f.node);
        if (h.up) return {};
        h.up = true;
        h.iis.boot();
        this.dk.hostBooted(f.node);
        return {};
      }
      case 'agentStop': {
        const h = this.host(f.node);
        h.agentRunning = false;
        h.probePorts.clear();
        return {};
      }
      case 'agentStart':
        this.host(f.node).agentRunning = true;
        return {};
      case 'storePartition':
        this.host(f.node).storeReachable = false;
        return {};
      case 'storeHeal':
        this.host(f.node).storeReachable = true;
        return {};
      case 'replicationPartition':
        this.partitions.add(pairKey(f.node, f.peer));
        this.dk.evaluateLinks();
        return {};
      case 'replicationHeal':
        if (f.peer === undefined)
          for (const p of [...this.partitions]) {
            if (p.split('|').includes(f.node)) this.partitions.delete(p);
          }
        else this.partitions.delete(pairKey(f.node, f.peer));
        this.dk.evaluateLinks();
        return {};
      case 'serviceStop':
        this.host(f.node).iis.killService(f.service);
        return {};
      case 'siteStop':
        this.host(f.node).iis.stopSite(f.site);
        return {};
      case 'siteDelete':
        this.host(f.node).iis.deleteSite(f.site);
        return {};
      case 'siteHang':
        this.host(f.node).iis.hangSite(f.site, f.persistent ?? false);
        return {};
      case 'siteStuck':
        this.host(f.node).iis.stickSite(f.site, f.checks ?? SITE_STUCK_DEFAULT_CHECKS);
        return {};
      case 'bindingSteal':
        this.stealBinding(f.node, f.site);
        return {};
      case 'ipConflict':
        this.segment.claimForeign(f.address, f.claimantMac ?? '02-00-5E-10-00-01');
        return {};
      case 'ipConflictClear':
        for (const h of this.segment.othersHolding(f.address, ''))
          if (h.holder.startsWith('foreign:')) this.segment.remove(h.holder, f.address);
        return {};
      case 'commandFail': {
        const entry: HostRecord['failures'][number] = { remaining: f.times };
        if (f.operation) entry.operation = f.operation;
        if (f.hang) entry.hang = true;
        this.host(f.node).failures.push(entry);
        return {};
      }
      case 'commandHeal': {
        const h = this.host(f.node);
        h.failures = f.operation === undefined ? [] : h.failures.filter((x) => x.operation !== f.operation);
        return {};
      }
      case 'clockSkew':
        this.host(f.node).clockSkewMs = f.offsetMs;
        return {};
      case 'write':
        return { writes: this.dk.write(f.node, normalizeVolume(f.volume), f.count ?? 1, f.block) };
      case 'cloudApiFault':
      case 'cloudApiHeal':
      case 'cloudAssignDelay':
      case 'cloudDrift':
        this.mustCloud(f.type).inject(f);
        return {};
    }
  }

  private stealBinding(node: string, siteName: string): void {
    const iis = this.host(node).iis;
    const victim = iis.getSite(siteName);
    const binding = victim?.bindings[0];
    if (!victim || !binding) return;
    const thief = iis.addForeignSite({
      name: `squatter-${++this.stealCount}`,
      bindings: [{ ...binding }],
      physicalPath: 'C:\\inetpub\\squatter',
      applicationPool: 'DefaultAppPool',
      serverAutoStart: true,
    });
    iis.stopSite(victim.name);
    try {
      iis.startSite(thief.name);
    } catch {
      // Its service or address is not up yet: it takes the binding at the next service start (serverAutoStart).
    }
  }

  // ───────────── invariant data ─────────────

  inspect(): WorldInspection {
    const holders: Record<string, string[]> = {};
    for (const a of this.segment.allAddresses()) {
      const hs = this.segment.answering(a).map((h) => h.holder);
      if (hs.length > 0) holders[a] = hs;
    }
    const startedSites: Record<string, string[]> = {};
    for (const [name, h] of this.hosts) startedSites[name] = h.up ? h.iis.startedSites().map((s) => s.name) : [];
    const views = this.dk.allViews();
    const lost: WorldInspection['lostAcknowledgedWrites'] = [];
    const lostAsync: WorldInspection['lostAsyncWrites'] = [];
    for (const v of views) {
      // A crashed source's frozen view is no current source: it is judged again if it comes back as one.
      if (v.role !== 'source' || !this.hosts.get(v.host)?.up) continue;
      const ids = this.dk.lostAcknowledgedWrites(v.host, v.letter);
      if (ids.length > 0) lost.push({ volume: v.letter, host: v.host, writeIds: ids });
      const queued = this.dk.lostQueuedWrites(v.host, v.letter);
      if (queued.length > 0) lostAsync.push({ volume: v.letter, host: v.host, writeIds: queued });
    }
    return {
      now: this.clock.now(),
      addressConflicts: this.segment.conflicts.map((c) => ({ ...c, holders: [...c.holders] })),
      splitBrains: this.dk.splitBrains.map((s) => ({ ...s, sources: [...s.sources] })),
      lostAcknowledgedWrites: lost,
      lostAsyncWrites: lostAsync,
      addressHolders: holders,
      startedSites,
      volumes: views.map((v) => ({
        host: v.host,
        volume: v.letter,
        role: v.role,
        state: v.state,
        locked: v.locked,
        dirtyBlocks: new Set([...v.pairs.values()].flatMap((p) => [...p.dirty])).size,
        ...(v.role === 'source' ? { targets: [...v.pairs.values()].map((p) => ({ host: p.target, state: p.state })) } : {}),
      })),
      switchoverRequests: this.dk.switchoverRequests.map((r) => ({ ...r })),
      ...(this.cloud ? { cloudRoutes: this.cloud.routes() } : {}),
      hosts: Object.fromEntries(
        [...this.hosts].map(([name, h]) => [
          name,
          { up: h.up, agentRunning: h.agentRunning, storeReachable: h.storeReachable, clockSkewMs: h.clockSkewMs },
        ]),
      ),
    };
  }

  // ───────────── network and probes ─────────────

  private addresses(host: string): IpAddressInfo[] {
    return this.segment.of(host).map((h) => this.segment.toInfo(h));
  }

  private addVip(host: string, vip: WorldOps['net.add']['req']['vip']): IpAddressInfo {
    const h = this.live(host);
    const nic = h.config.interfaces.find((n) => n.alias.toLowerCase() === vip.interfaceAlias.toLowerCase());
    if (!nic) throw new DriverError({ code: 'InterfaceNotFound', message: `no interface "${vip.interfaceAlias}" on ${host}` });
    const existing = this.segment.find(host, vip.address);
    if (existing) {
      if (existing.prefixLength !== vip.prefixLength || existing.interfaceAlias !== nic.alias) {
        throw new DriverError({
          code: 'AddressInUse',
          message: `${vip.address} is already on ${host} (${existing.interfaceAlias}/${existing.prefixLength})`,
        });
      }
      return this.segment.toInfo(existing);
    }
    const holding = this.segment.addVirtual({
      holder: host,
      mac: nic.mac,
      address: vip.address,
      prefixLength: vip.prefixLength,
      interfaceAlias: nic.alias,
      skipAsSource: true,
    });
    return this.segment.toInfo(holding);
  }

  private claimed(host: string, address: string): AddressClaim {
    this.live(host);
    // The cloud network carries no ARP between hosts for a cloud-routed address: nobody is seen claiming it.
    if (this.cloud?.isCloudRouted(address)) return { claimed: false };
    const other = this.segment.answering(address).find((h) => h.holder !== host);
    return other ? { claimed: true, byMac: other.mac } : { claimed: false };
  }

  // ───────────── helpers ─────────────

  private host(name: string): HostRecord {
    const h = this.hosts.get(name);
    if (!h) throw new DriverError({ code: 'InvalidArgument', message: `no host named ${name} in the world` });
    return h;
  }

  private mustCloud(what: string): CloudNetwork {
    if (this.cloud) return this.cloud;
    throw new DriverError({
      code: 'CommandFailed',
      message: `${what}: this world has no cloud network (no VirtualIP with a cloud provider)`,
    });
  }

  private live(name: string): HostRecord {
    const h = this.host(name);
    if (!h.up) throw new DriverError({ code: 'HostUnreachable', transient: true, message: `host ${name} is down` });
    return h;
  }

  isUp(name: string): boolean {
    if (name.startsWith('foreign:')) return true;
    return this.hosts.get(name)?.up ?? false;
  }

  private partitioned(a: string, b: string): boolean {
    return this.partitions.has(pairKey(a, b)) || this.partitions.has(pairKey(a, undefined)) || this.partitions.has(pairKey(b, undefined));
  }

  private addressUsable(host: string, address: string): boolean {
    const h = this.segment.find(host, address);
    return h !== undefined && (h.state === 'Preferred' || h.state === 'Deprecated');
  }

  private volumeInUse(host: string, letter: string): boolean {
    const h = this.hosts.get(host);
    if (!h || !h.up) return false;
    return h.iis.startedSites().some((s) => s.physicalPath.toUpperCase().startsWith(`${letter}:`));
  }

  /** Stop the world's own periodic work (the cloud's load-balancer probes), so a real-time process can end. */
  stop(): void {
    this.cloud?.stop();
  }

  /** IIS event log lines of a host (what an operator would read in Event Viewer). */
  eventLog(host: string): readonly string[] {
    return this.host(host).iis.eventLog;
  }
}

function pairKey(a: string, b: string | undefined): string {
  if (b === undefined) return `${a}|*`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
