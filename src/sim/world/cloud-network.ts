/**
 * The cloud network under a simulated world whose VirtualIPs have a cloud provider: there ARP moves nothing, the
 * cloud decides which node gets an address's traffic. One EC2 VPC (./../cloud/ec2-state.ts, served through the same
 * EC2 Query API as the loopback endpoint), each host's instance metadata, and an Azure internal load balancer per
 * azureLoadBalancer address.
 *
 * Where traffic goes (cloudRoutes), only to hosts that are up:
 *   azureLoadBalancer  the backends its health probe marks healthy (./azure-load-balancer.ts);
 *   awsSecondaryIp     the host of the ENI the address is visible on (after the assignment delay);
 *   awsRouteTable      the hosts of the ENIs the /32 routes point at, in any of its tables, unless the ENI's
 *                      source/destination check is on (it drops traffic not addressed to it);
 *   awsElasticIp       the host of the ENI the Elastic IP is associated with (NATed to its private IP).
 */
import { normalizeMac } from '../../cloud/aws/identity.js';
import type { Clock } from '../../lib/clock.js';
import { DriverError } from '../../drivers/errors.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import { Ec2Fault, Ec2State } from '../cloud/ec2-state.js';
import { Ec2QueryApi, type Ec2Answer } from '../cloud/ec2-query-api.js';
import { AzureLoadBalancer, ProbeScheduler } from './azure-load-balancer.js';

export type CloudProvider = 'azureLoadBalancer' | 'awsSecondaryIp' | 'awsRouteTable' | 'awsElasticIp';

export interface CloudEniConfig {
  /** `eni-` and 17 hex digits. */
  id: string;
  interfaceAlias: string;
  /** The interface's MAC as Windows writes it (00-15-5D-…); IMDS shows it lower-case with colons. */
  mac: string;
  primaryIp: string;
  sourceDestCheck: boolean;
}

export interface CloudInstanceConfig {
  host: string;
  /** `i-` and 17 hex digits. */
  instanceId: string;
  /** The ENI of the host's first public interface (IMDS meta-data/mac). */
  primaryEni: string;
  enis: CloudEniConfig[];
}

export interface CloudAddressConfig {
  /** The address clients use (awsElasticIp: the public IP). */
  address: string;
  provider: CloudProvider;
  /** Per member host, the ENI of the interface the VirtualIP uses there. */
  enis: Record<string, string>;
  probePort?: number;
  routeTableIds?: string[];
  allocationId?: string;
}

export interface CloudConfig {
  region: string;
  /** Default 10.0.0.0/16. */
  vpcCidr?: string;
  instances: CloudInstanceConfig[];
  addresses: CloudAddressConfig[];
  /** Azure probe interval (default 5 s). */
  probeIntervalMs?: number;
}

export type CloudFault = Extract<Fault, { type: 'cloudApiFault' | 'cloudApiHeal' | 'cloudAssignDelay' | 'cloudDrift' }>;

export interface CloudHosts {
  isUp(host: string): boolean;
  /** Whether the host's agent listens on the probe port now. */
  probeOpen(host: string, port: number): boolean;
}

/** `00-15-5D-00-01-01` → `00:15:5d:00:01:01` (how IMDS writes a MAC), the agent's own normalization. */
function imdsMac(windowsMac: string): string {
  return normalizeMac(windowsMac) ?? windowsMac.toLowerCase();
}

const MACS = 'meta-data/network/interfaces/macs/';

export class CloudNetwork {
  readonly state: Ec2State;
  readonly api: Ec2QueryApi;
  readonly balancers: AzureLoadBalancer[];
  private readonly scheduler: ProbeScheduler;
  private readonly hostOfEni = new Map<string, string>();
  private readonly addresses = new Map<string, CloudAddressConfig>();
  private readonly vpcCidr: string;

  constructor(
    clock: Clock,
    readonly config: CloudConfig,
    private readonly hosts: CloudHosts,
  ) {
    this.vpcCidr = config.vpcCidr ?? '10.0.0.0/16';
    for (const i of config.instances) for (const e of i.enis) this.hostOfEni.set(e.id, i.host);
    for (const a of config.addresses) this.addresses.set(a.address, a);
    this.state = new Ec2State(clock, {
      vpcCidr: this.vpcCidr,
      enis: config.instances.flatMap((i) =>
        i.enis.map((e) => ({ id: e.id, primaryIp: e.primaryIp, sourceDestCheck: e.sourceDestCheck, subnetId: 'subnet-0sim' })),
      ),
      routeTables: [...new Set(config.addresses.flatMap((a) => a.routeTableIds ?? []))].map((id) => ({ id })),
      addresses: config.addresses.flatMap((a) => (a.allocationId ? [{ allocationId: a.allocationId, publicIp: a.address }] : [])),
    });
    this.api = new Ec2QueryApi(this.state);
    this.balancers = config.addresses
      .filter((a) => a.provider === 'azureLoadBalancer')
      .map(
        (a) =>
          new AzureLoadBalancer(
            { frontend: a.address, probePort: a.probePort ?? 0, backends: Object.keys(a.enis) },
            (h, port) => hosts.probeOpen(h, port),
            (h) => hosts.isUp(h),
          ),
      );
    this.scheduler = new ProbeScheduler(clock, this.balancers, config.probeIntervalMs);
  }

  /** Whether the address's traffic is routed by the cloud (not by ARP). */
  isCloudRouted(address: string): boolean {
    return this.addresses.has(address);
  }

  providerOf(address: string): CloudProvider | undefined {
    return this.addresses.get(address)?.provider;
  }

  /** One EC2 Query API request from a host's SDK. */
  ec2(host: string, body: string, signed: boolean): Ec2Answer | { hang: true } {
    return this.api.handle({ method: 'POST', signed, body, host });
  }

  /** The instance metadata service as `host` sees it: the text at /latest/<path>, null for a 404. */
  imds(host: string, path: string): string | null {
    const inst = this.config.instances.find((i) => i.host === host);
    if (!inst) return null;
    const p = path.replace(/^\/+/, '').replace(/^latest\//, '');
    const primary = inst.enis.find((e) => e.id === inst.primaryEni) ?? inst.enis[0];
    switch (p) {
      case 'meta-data/instance-id':
        return inst.instanceId;
      case 'meta-data/placement/region':
        return this.config.region;
      case 'meta-data/placement/availability-zone':
        return `${this.config.region}a`;
      case 'meta-data/mac':
        return primary ? imdsMac(primary.mac) : null;
      case 'meta-data/local-ipv4':
        return primary?.primaryIp ?? null;
      case MACS:
      case MACS.slice(0, -1):
        return inst.enis.map((e) => `${imdsMac(e.mac)}/`).join('\n');
    }
    if (!p.startsWith(MACS)) return null;
    const [mac, leaf, ...rest] = p.slice(MACS.length).split('/');
    const eni = inst.enis.find((e) => imdsMac(e.mac) === mac);
    if (!eni || rest.some((x) => x !== '')) return null;
    switch (leaf) {
      case 'interface-id':
        return eni.id;
      case 'local-ipv4s': {
        const [now] = this.state.describeEnis([eni.id]);
        return [eni.primaryIp, ...(now?.secondary ?? [])].join('\n');
      }
      case 'vpc-ipv4-cidr-block':
        return this.vpcCidr;
      case 'device-number':
        return String(inst.enis.indexOf(eni));
      case 'mac':
        return imdsMac(eni.mac);
      case '':
      case undefined:
        return ['device-number', 'interface-id', 'local-ipv4s', 'mac', 'vpc-ipv4-cidr-block'].join('\n');
      default:
        return null;
    }
  }

  /** The hosts the cloud sends the address's traffic to now (sorted); undefined when the address is not cloud-routed. */
  routedTo(address: string): string[] | undefined {
    const a = this.addresses.get(address);
    if (!a) return undefined;
    const out = new Set<string>();
    const addEni = (eni: string | undefined) => {
      const h = eni === undefined ? undefined : this.hostOfEni.get(eni);
      if (h !== undefined && this.hosts.isUp(h)) out.add(h);
    };
    switch (a.provider) {
      case 'azureLoadBalancer':
        for (const h of this.balancers.find((b) => b.config.frontend === address)?.routes() ?? []) out.add(h);
        break;
      case 'awsSecondaryIp':
        addEni(this.state.holderOf(address));
        break;
      case 'awsRouteTable': {
        const enis = new Map(this.state.describeEnis([]).map((e) => [e.id, e]));
        for (const t of this.state.describeRouteTables(a.routeTableIds ?? [])) {
          const eni = t.routes.find((r) => r.cidr === `${address}/32`)?.eni;
          if (eni !== undefined && enis.get(eni)?.sourceDestCheck === false) addEni(eni);
        }
        break;
      }
      case 'awsElasticIp':
        addEni(a.allocationId ? this.state.describeAddresses([a.allocationId])[0]?.eni : undefined);
        break;
    }
    return [...out].sort();
  }

  /**
   * Who receives a connection to a cloud-routed address from `from`: `from` itself when it holds the address (local
   * traffic), else the first host the cloud routes it to that accepts it (holds it; an Elastic IP is NATed to the
   * primary IP, so any); null for nobody; undefined when the address is not cloud-routed.
   */
  answerer(address: string, from: string, holds: (host: string) => boolean): string | null | undefined {
    const routed = this.routedTo(address);
    if (routed === undefined) return undefined;
    if (holds(from)) return from;
    const nat = this.providerOf(address) === 'awsElasticIp';
    return routed.find((h) => nat || holds(h)) ?? null;
  }

  /** WorldInspection.cloudRoutes: every cloud-routed address, with the hosts its traffic reaches. */
  routes(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const address of [...this.addresses.keys()].sort()) out[address] = this.routedTo(address) ?? [];
    return out;
  }

  inject(f: CloudFault): void {
    switch (f.type) {
      case 'cloudApiFault':
        if (f.mode === 'throttle') this.api.throttleNext(f.times);
        else if (f.mode === 'hang') this.api.hangNext(f.times);
        else {
          const code = f.code ?? 'InternalError';
          this.api.failNext(f.times, code, f.status ?? (code === 'InternalError' ? 500 : 400));
        }
        return;
      case 'cloudApiHeal':
        this.api.heal();
        return;
      case 'cloudAssignDelay':
        this.state.assignDelayMs = Math.max(0, f.ms);
        return;
      case 'cloudDrift':
        this.drift(f.address, f.node);
        return;
    }
  }

  /** Someone moves the address's routing to the node behind WinHA's back (the console, a script). */
  private drift(address: string, node: string): void {
    const a = this.addresses.get(address);
    const refuse = (message: string) => new DriverError({ code: 'InvalidArgument', message: `cloudDrift: ${message}` });
    if (!a) throw refuse(`${address} is not a cloud-routed address of this world (${[...this.addresses.keys()].join(', ') || 'none'})`);
    if (a.provider === 'azureLoadBalancer')
      throw refuse(
        `${address} is an Azure load balancer frontend: its health probe picks the node, nothing to move (stop a probe listener instead)`,
      );
    const inst = this.config.instances.find((i) => i.host === node);
    if (!inst) throw refuse(`no instance for node ${node}`);
    const eni = a.enis[node] ?? inst.primaryEni;
    try {
      if (a.provider === 'awsSecondaryIp') this.state.assign(eni, [address], true);
      else if (a.provider === 'awsElasticIp') this.state.associateAddress(a.allocationId ?? '', eni, undefined, true);
      else
        for (const table of a.routeTableIds ?? []) {
          try {
            this.state.replaceRoute(table, `${address}/32`, eni);
          } catch (e) {
            if (!(e instanceof Ec2Fault && e.code === 'InvalidRoute.NotFound')) throw e;
            this.state.createRoute(table, `${address}/32`, eni);
          }
        }
    } catch (e) {
      if (e instanceof Ec2Fault) throw refuse(`${e.code}: ${e.message}`);
      throw e;
    }
  }

  /** Stop probing (a world that is thrown away on real time). */
  stop(): void {
    this.scheduler.stop();
  }
}
