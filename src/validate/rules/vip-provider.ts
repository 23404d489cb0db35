/**
 * Rules about how a VirtualIP reaches clients (spec.provider, issue 17): the fields each provider needs, the
 * Azure probe port the agent listens on, and what AWS requires of the address for each way of moving it.
 * The VPC and its subnets are not in the manifests, so the AWS address checks compare with the nodes'
 * management addresses and are warnings that say what to check.
 */
import { BlockList, isIP } from 'node:net';
import type { ClusterSpec, IISSiteSpec, VirtualIPSpec } from '../../api/types.js';
import type { Entry, Rule, RuleContext } from '../model.js';
import type { Path } from '../parse.js';
import { coRunMemo } from './endpoints.js';
import { clusterOfGroup, groupNodes, groupOf } from './topology.js';

type Provider = NonNullable<VirtualIPSpec['provider']>;
type ProviderType = NonNullable<Provider['type']>;
type ProviderField = 'probePort' | 'routeTableIds' | 'allocationId' | 'region';

const AWS: readonly ProviderType[] = ['awsSecondaryIp', 'awsRouteTable', 'awsElasticIp'];

/** Which provider types each field belongs to; the first type it is required for, if any. */
const FIELDS: Record<ProviderField, { for: readonly ProviderType[]; required?: ProviderType; what: string }> = {
  probePort: { for: ['azureLoadBalancer'], required: 'azureLoadBalancer', what: 'the port the load balancer probes on the active node' },
  routeTableIds: { for: ['awsRouteTable'], required: 'awsRouteTable', what: 'the route tables whose /32 route follows the active node' },
  allocationId: { for: ['awsElasticIp'], required: 'awsElasticIp', what: 'the Elastic IP allocation (eipalloc-...) to associate' },
  region: { for: AWS, what: 'the AWS region of the VPC' },
};

/** The largest CIDR block a VPC may have is a /16: an address outside every node's /16 is outside the VPC's block holding that node. */
const VPC_MAX_PREFIX = 16;

interface Vip {
  e: Entry;
  spec: VirtualIPSpec;
  type: ProviderType;
}

function vipsOf(ctx: RuleContext): Vip[] {
  return ctx.valid('VirtualIP').map((e) => {
    const spec = e.obj['spec'] as VirtualIPSpec;
    return { e, spec, type: spec.provider?.type ?? 'local' };
  });
}

function typePath(v: Vip): Path {
  return v.spec.provider?.type !== undefined ? ['spec', 'provider', 'type'] : v.spec.provider ? ['spec', 'provider'] : ['spec', 'address'];
}

export const vipProviderRules: Rule = (ctx) => {
  const vips = vipsOf(ctx);
  for (const v of vips) {
    providerFields(ctx, v);
    routeTables(ctx, v);
    awsAddress(ctx, v);
  }
  probePorts(ctx, vips);
  mixedProviders(ctx, vips);
};

/** Rule 1: each provider's required field is there, and no field of another provider is. */
function providerFields(ctx: RuleContext, v: Vip): void {
  const p = v.spec.provider ?? {};
  for (const [field, info] of Object.entries(FIELDS) as [ProviderField, (typeof FIELDS)[ProviderField]][]) {
    const given = p[field] !== undefined;
    if (!given && info.required === v.type) {
      ctx.report(v.e, typePath(v), 'provider-field-missing', `provider ${v.type} needs ${field}: ${info.what}`);
    } else if (given && !info.for.includes(v.type)) {
      const typeText = v.spec.provider?.type === undefined ? 'local (the default)' : v.type;
      ctx.report(
        v.e,
        ['spec', 'provider', field],
        'provider-field-misplaced',
        `${field} is only for provider ${info.for.join(', ')}; this VirtualIP's provider is ${typeText}: remove ${field}, or set provider.type`,
      );
    }
  }
}

/** Rule 6: each route table once. */
function routeTables(ctx: RuleContext, v: Vip): void {
  const seen = new Map<string, number>();
  (v.spec.provider?.routeTableIds ?? []).forEach((id, i) => {
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else
      ctx.report(
        v.e,
        ['spec', 'provider', 'routeTableIds', i],
        'duplicate-route-table',
        `route table ${id} is listed twice (also at ${ctx.placeOf(v.e, ['spec', 'provider', 'routeTableIds', first])}); list each route table once`,
      );
  });
}

/** The management addresses (IP literals) of the nodes the VIP's group may run on. */
function nodeAddresses(ctx: RuleContext, v: Vip): { node: string; address: string }[] {
  const group = ctx.declared('FailoverGroup', v.e.namespace, v.spec.group);
  if (!group?.valid) return [];
  const cluster = clusterOfGroup(ctx, group, false);
  if (!cluster?.valid) return [];
  const members = new Set(groupNodes(group));
  return (cluster.obj['spec'] as ClusterSpec).nodes
    .filter((n) => members.has(n.name) && isIP(n.address) !== 0)
    .map((n) => ({ node: n.name, address: n.address }));
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

function inSubnet(address: string, network: string, prefix: number): boolean {
  if (isIP(address) !== isIP(network)) return false;
  const b = new BlockList();
  b.addSubnet(network, prefix, family(network));
  return b.check(address, family(address));
}

/** Addresses an Elastic IP can never be: private (RFC 1918), shared (RFC 6598), loopback, link-local. */
const NOT_PUBLIC = (() => {
  const b = new BlockList();
  for (const [net, prefix] of [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
  ] as const)
    b.addSubnet(net, prefix, 'ipv4');
  return b;
})();

/** Rules 3 and 4: what AWS requires of the address for the provider that moves it. */
function awsAddress(ctx: RuleContext, v: Vip): void {
  const addr = v.spec.address;
  if (v.type === 'awsElasticIp') {
    if (isIP(addr) === 6 || NOT_PUBLIC.check(addr, 'ipv4')) {
      ctx.report(
        v.e,
        ['spec', 'address'],
        'elastic-ip-not-public',
        `an Elastic IP is public: ${addr} is ${isIP(addr) === 6 ? 'an IPv6 address (Elastic IPs are IPv4)' : 'a private or reserved address'}; spec.address must be the Elastic IP's public address (aws ec2 describe-addresses --allocation-ids ${v.spec.provider?.allocationId ?? 'eipalloc-...'}), clients reach it through the Internet gateway`,
      );
    }
    return;
  }
  if (v.type === 'awsRouteTable') {
    if (isIP(addr) !== 4) return;
    const near = nodeAddresses(ctx, v).find((n) => inSubnet(addr, n.address, VPC_MAX_PREFIX));
    if (near) {
      ctx.report(
        v.e,
        ['spec', 'address'],
        'route-address-in-vpc',
        `address ${addr} is in the /16 of node ${near.node}'s address ${near.address}, so it may lie inside the VPC's CIDR; AWS refuses a route inside the VPC's CIDR unless it matches a whole subnet, so a /32 route table entry needs an address outside every CIDR block of the VPC (check aws ec2 describe-vpcs); choose one outside them, e.g. from another private range`,
        'warning',
      );
    }
    return;
  }
  if (v.type === 'awsSecondaryIp') {
    const nodes = nodeAddresses(ctx, v).filter((n) => isIP(n.address) === isIP(addr));
    if (nodes.length === 0) return;
    const outside = nodes.filter((n) => !inSubnet(addr, n.address, v.spec.prefixLength));
    if (outside.length === 0) return;
    const list = outside.map((n) => `${n.node} (${n.address})`).join(', ');
    const why =
      outside.length === nodes.length
        ? `no node of the group has an address in ${addr}/${v.spec.prefixLength}: ${list}`
        : `node${outside.length > 1 ? 's' : ''} ${list} ${outside.length > 1 ? 'have' : 'has'} no address in ${addr}/${v.spec.prefixLength}`;
    ctx.report(
      v.e,
      ['spec', 'address'],
      'secondary-ip-outside-subnet',
      `${why}; a secondary private IP can only be assigned to a network interface in its own subnet (one Availability Zone), so such a node could not take it over: check the subnet of each node's interface (aws ec2 describe-network-interfaces), or use provider awsRouteTable, which works across Availability Zones`,
      'warning',
    );
  }
}

/** Rule 2: the agent's probe listener must own its port on every node it may be active on. */
function probePorts(ctx: RuleContext, vips: Vip[]): void {
  const coRun = coRunMemo(ctx);
  const probes = vips.filter((v) => v.type === 'azureLoadBalancer' && v.spec.provider?.probePort !== undefined);
  const probePath: Path = ['spec', 'provider', 'probePort'];
  for (const v of probes) {
    const port = v.spec.provider!.probePort!;
    const other = probes.find(
      (o) =>
        o !== v &&
        o.e.namespace === v.e.namespace &&
        o.spec.provider!.probePort === port &&
        groupOf(o.e) !== groupOf(v.e) &&
        coRun(v.e, o.e),
    );
    if (other) {
      ctx.report(
        v.e,
        probePath,
        'probe-port-conflict',
        `probePort ${port} is also the probe port of VirtualIP ${other.e.name} of group ${groupOf(other.e)} (${ctx.placeOf(other.e, probePath)}), and the two groups may be active on one node: one listener per port per node cannot tell the load balancer which group is there; give each group its own probe port`,
      );
    }
  }
  for (const s of ctx.valid('IISSite')) {
    (s.obj['spec'] as IISSiteSpec).bindings.forEach((b, i) => {
      const v = probes.find((p) => p.e.namespace === s.namespace && p.spec.provider!.probePort === b.port && coRun(p.e, s));
      if (!v) return;
      const at = ctx.placeOf(s, ['spec', 'bindings', i]);
      ctx.report(
        v.e,
        probePath,
        'probe-port-conflict',
        `probePort ${b.port} is also the port of ${b.protocol} binding ${b.address}:${b.port} of IISSite ${s.name} (${at}): the agent's probe listener (on every address of the node) and the site cannot both own it; choose a probe port no site uses`,
      );
      ctx.report(
        s,
        ['spec', 'bindings', i, 'port'],
        'probe-port-conflict',
        `port ${b.port} is the probe port of VirtualIP ${v.e.name} (${ctx.placeOf(v.e, probePath)}): the agent listens on it on every address of the node while the group is active, so the site cannot bind it; change the VirtualIP's probePort`,
      );
    });
  }
}

/** Rule 5: a local address next to a cloud one in a group is probably a forgotten provider. */
function mixedProviders(ctx: RuleContext, vips: Vip[]): void {
  const byGroup = new Map<string, Vip[]>();
  for (const v of vips) {
    const k = `${v.e.namespace}/${v.spec.group}`;
    const list = byGroup.get(k);
    if (list) list.push(v);
    else byGroup.set(k, [v]);
  }
  for (const list of byGroup.values()) {
    const cloud = list.find((v) => v.type !== 'local');
    if (!cloud) continue;
    for (const v of list.filter((x) => x.type === 'local')) {
      ctx.report(
        v.e,
        typePath(v),
        'local-vip-with-cloud-provider',
        `VirtualIP ${v.e.name} is local (added to the interface and announced by ARP), but VirtualIP ${cloud.e.name} of group ${v.spec.group} uses provider ${cloud.type}: a local address is not reachable in a cloud network that ignores ARP; set its provider too, unless it serves the nodes' own segment only`,
        'warning',
      );
    }
  }
}
