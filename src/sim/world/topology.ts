/**
 * What a simulation needs to know about a manifest set: which nodes exist,
 * which groups run where, and which addresses, sites and volumes belong to
 * each group. Read from plain manifest objects (no defaults module needed);
 * shared by the world builder, the scenario parser (reference checks), the
 * invariant checker and the fault-schedule generator.
 */
import { isMapping } from '../../validate/parse.js';

export interface TopologyNode {
  name: string;
  /** Management address (may be a DNS name). */
  address: string;
  interfaces: { name: string; role: 'public' | 'replication' | 'heartbeat' }[];
}

export interface TopologyGroup {
  namespace: string;
  name: string;
  /** Member nodes, best priority first (lower number = preferred, design §2). */
  nodes: { name: string; priority: number }[];
  desiredState: 'InService' | 'OutOfService';
  switchback: 'Intelligent' | 'Automatic';
  maintenance: boolean;
  /** VirtualIP addresses of the group. */
  addresses: string[];
  /** IIS site names of the group. */
  sites: string[];
  /** Drive letters (no colon) of the group's Mirrors. */
  volumes: string[];
}

export interface TopologyMirror {
  namespace: string;
  name: string;
  group: string;
  volume: string;
  mode: 'Synchronous' | 'Asynchronous';
  /** Asynchronous mirrors: may a target be promoted automatically over a lost source (default Allow). */
  asyncFailover: 'Allow' | 'Refuse';
  endpoints: { node: string; address: string }[];
}

export type VipProviderType = 'local' | 'azureLoadBalancer' | 'awsSecondaryIp' | 'awsRouteTable' | 'awsElasticIp';

/** VirtualIP spec.provider: how the address reaches clients (a cloud network routes it, ARP does not). */
export interface TopologyVipProvider {
  type: VipProviderType;
  probePort?: number;
  routeTableIds?: string[];
  allocationId?: string;
  region?: string;
}

export interface TopologyVip {
  namespace: string;
  name: string;
  group: string;
  address: string;
  prefixLength: number;
  /** Interface alias per node (default + overrides). */
  interfaceOf: Record<string, string>;
  /** Absent or type local: on the segment, moved by ARP. */
  provider?: TopologyVipProvider;
}

export interface TopologySite {
  namespace: string;
  name: string;
  group: string;
  siteName: string;
  management: 'Managed' | 'Adopted';
  bindings: { protocol: string; address: string; port: number; hostHeader: string }[];
  physicalPath: string;
  applicationPool: string;
}

export interface Topology {
  nodes: TopologyNode[];
  groups: TopologyGroup[];
  mirrors: TopologyMirror[];
  vips: TopologyVip[];
  sites: TopologySite[];
  /** Lease timing of the (first) cluster, seconds. */
  timing: { leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
}

/** design §2 defaults: 15 / 10 / 2. */
export const DEFAULT_LEASE_TIMING = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

type Obj = Record<string, unknown>;

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isMapping) : []);
const spec = (o: Obj): Obj => (isMapping(o['spec']) ? o['spec'] : {});
const meta = (o: Obj): { name: string; namespace: string } => {
  const m = isMapping(o['metadata']) ? o['metadata'] : {};
  return { name: str(m['name']), namespace: str(m['namespace'], 'default') };
};

/** Drive letter without colon, upper case ("e:" → "E"); '' when the text names none. */
export function driveLetter(path: string): string {
  const m = /^([A-Za-z]):/.exec(path);
  return m ? m[1]!.toUpperCase() : /^[A-Za-z]$/.test(path) ? path.toUpperCase() : '';
}

/**
 * Build the topology of a manifest set. Objects are expected to be valid
 * (the scenario parser validates them first); missing fields fall back to
 * harmless values rather than throwing. Nodes declared by several Clusters
 * (the examples use node1/node2 in several namespaces) are merged by name.
 */
export function topologyOf(objects: readonly Obj[]): Topology {
  const nodes = new Map<string, TopologyNode>();
  const groups: TopologyGroup[] = [];
  const mirrors: TopologyMirror[] = [];
  const vips: TopologyVip[] = [];
  const sites: TopologySite[] = [];
  let timing: Topology['timing'] | undefined;
  for (const o of objects) {
    const s = spec(o);
    const { name, namespace } = meta(o);
    switch (o['kind']) {
      case 'Cluster': {
        const t = isMapping(s['timing']) ? s['timing'] : {};
        timing ??= {
          leaseDurationSeconds: num(t['leaseDurationSeconds'], DEFAULT_LEASE_TIMING.leaseDurationSeconds),
          renewDeadlineSeconds: num(t['renewDeadlineSeconds'], DEFAULT_LEASE_TIMING.renewDeadlineSeconds),
          retryPeriodSeconds: num(t['retryPeriodSeconds'], DEFAULT_LEASE_TIMING.retryPeriodSeconds),
        };
        for (const n of list(s['nodes'])) {
          const nodeName = str(n['name']);
          if (!nodeName) continue;
          const existing = nodes.get(nodeName) ?? { name: nodeName, address: str(n['address']), interfaces: [] };
          for (const i of list(n['interfaces'])) {
            const alias = str(i['name']);
            if (alias && !existing.interfaces.some((x) => x.name === alias)) {
              const role = str(i['role'], 'public');
              existing.interfaces.push({ name: alias, role: role === 'replication' || role === 'heartbeat' ? role : 'public' });
            }
          }
          nodes.set(nodeName, existing);
        }
        break;
      }
      case 'FailoverGroup':
        groups.push({
          namespace,
          name,
          nodes: list(s['nodes'])
            .map((n) => ({ name: str(n['name']), priority: num(n['priority'], 999) }))
            .sort((a, b) => a.priority - b.priority),
          desiredState: s['desiredState'] === 'OutOfService' ? 'OutOfService' : 'InService',
          switchback: s['switchback'] === 'Automatic' ? 'Automatic' : 'Intelligent',
          maintenance: s['maintenance'] === true,
          addresses: [],
          sites: [],
          volumes: [],
        });
        break;
      case 'Mirror':
        mirrors.push({
          namespace,
          name,
          group: str(s['group']),
          volume: driveLetter(str(s['volume'])),
          mode: s['mode'] === 'Asynchronous' ? 'Asynchronous' : 'Synchronous',
          asyncFailover: s['asyncFailover'] === 'Refuse' ? 'Refuse' : 'Allow',
          endpoints: list(s['endpoints']).map((e) => ({ node: str(e['node']), address: str(e['address']) })),
        });
        break;
      case 'VirtualIP': {
        const dflt = str(s['interface'], 'Ethernet');
        const interfaceOf: Record<string, string> = {};
        for (const ov of list(s['nodeInterfaces'])) interfaceOf[str(ov['node'])] = str(ov['interface'], dflt);
        vips.push({
          namespace,
          name,
          group: str(s['group']),
          address: str(s['address']),
          prefixLength: num(s['prefixLength'], 24),
          interfaceOf: { '*': dflt, ...interfaceOf },
          provider: providerOf(s['provider']),
        });
        break;
      }
      case 'IISSite':
        sites.push({
          namespace,
          name,
          group: str(s['group']),
          siteName: str(s['siteName'], name),
          management: s['management'] === 'Adopted' ? 'Adopted' : 'Managed',
          bindings: list(s['bindings']).map((b) => ({
            protocol: str(b['protocol'], 'http'),
            address: str(b['address'], '*'),
            port: num(b['port'], 80),
            hostHeader: str(b['hostHeader']),
          })),
          physicalPath: str(s['physicalPath'], `C:\\inetpub\\${name}`),
          applicationPool: str(s['applicationPool'], str(s['siteName'], name)),
        });
        break;
      default:
        break;
    }
  }
  for (const g of groups) {
    const mine = <T extends { namespace: string; group: string }>(xs: T[]) =>
      xs.filter((x) => x.namespace === g.namespace && x.group === g.name);
    g.addresses = mine(vips).map((v) => v.address);
    g.sites = mine(sites).map((s) => s.siteName);
    g.volumes = mine(mirrors)
      .map((m) => m.volume)
      .filter((v) => v !== '');
  }
  return { nodes: [...nodes.values()], groups, mirrors, vips, sites, timing: timing ?? { ...DEFAULT_LEASE_TIMING } };
}

const PROVIDER_TYPES: readonly VipProviderType[] = ['local', 'azureLoadBalancer', 'awsSecondaryIp', 'awsRouteTable', 'awsElasticIp'];

function providerOf(v: unknown): TopologyVipProvider {
  const p = isMapping(v) ? v : {};
  const type = PROVIDER_TYPES.find((x) => x === p['type']) ?? 'local';
  const out: TopologyVipProvider = { type };
  if (typeof p['probePort'] === 'number') out.probePort = p['probePort'];
  if (Array.isArray(p['routeTableIds'])) out.routeTableIds = p['routeTableIds'].filter((x): x is string => typeof x === 'string');
  if (typeof p['allocationId'] === 'string') out.allocationId = p['allocationId'];
  if (typeof p['region'] === 'string') out.region = p['region'];
  return out;
}

/** Whether the VIP's traffic is routed by a cloud network (any provider but local). */
export function isCloudRouted(v: TopologyVip): boolean {
  return v.provider !== undefined && v.provider.type !== 'local';
}

/** The cloud-routed VIPs of a group (none on premises). */
export function cloudVipsOf(t: Topology, g: { namespace: string; name: string }): TopologyVip[] {
  return t.vips.filter((v) => v.namespace === g.namespace && v.group === g.name && isCloudRouted(v));
}

/** Interface alias of a VIP on a node. */
export function vipInterface(vip: TopologyVip, node: string): string {
  return vip.interfaceOf[node] ?? vip.interfaceOf['*'] ?? 'Ethernet';
}

/**
 * Find an object by a scenario reference: `name` or `namespace/name`.
 * Returns undefined when absent or ambiguous (several namespaces).
 */
export function resolveRef<T extends { namespace: string; name: string }>(items: readonly T[], ref: string): T | undefined {
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const ns = ref.slice(0, slash);
    const n = ref.slice(slash + 1);
    return items.find((i) => i.namespace === ns && i.name === n);
  }
  const found = items.filter((i) => i.name === ref);
  return found.length === 1 ? found[0] : undefined;
}
