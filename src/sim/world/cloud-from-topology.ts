/**
 * The cloud network a manifest set implies: present when any VirtualIP has a cloud provider (spec.provider.type
 * other than local). Choices where the manifests are silent:
 *  - one VPC (10.0.0.0/16) in the region of the first provider naming one, else us-east-1; one instance per
 *    node (`i-` + 17 hex digits: the node's index), one ENI per node interface (`eni-0` + 8 hex digits of the
 *    node's index + 8 of the interface's, both from 1: eni-00000000100000002 is node 1's second interface);
 *  - an ENI's primary IP is the first IPv4 address the node has on that interface; an interface without one gets
 *    10.0.(250 - interface index).(node index + 11), configured on the host as DHCP would;
 *  - source/destination check is on, except on every ENI of a node in a group with an awsRouteTable VirtualIP
 *    (the operator turns it off, as the docs say; a test can turn it back on in Ec2State);
 *  - route tables are the routeTableIds, empty but for the local route (the agent creates the /32 route);
 *    Elastic IPs are the allocationIds with spec.address as public IP, unassociated;
 *  - an azureLoadBalancer VirtualIP is a load balancer whose backends are its group's nodes.
 */
import type { SimHostConfig } from './world.js';
import { cloudVipsOf, isCloudRouted, vipInterface, type Topology } from './topology.js';
import type { CloudAddressConfig, CloudConfig, CloudEniConfig, CloudInstanceConfig } from './cloud-network.js';

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** The ENI of a node's interface (indexes from 0). */
export function simEniId(nodeIndex: number, interfaceIndex: number): string {
  return `eni-0${hex(nodeIndex + 1, 8)}${hex(interfaceIndex + 1, 8)}`;
}

/** The instance of a node (index from 0). */
export function simInstanceId(nodeIndex: number): string {
  return `i-${hex(nodeIndex + 1, 17)}`;
}

/** The cloud under the hosts (adds a primary IP to interfaces without an IPv4 address); undefined on premises. */
export function cloudConfigOf(topology: Topology, hosts: SimHostConfig[]): CloudConfig | undefined {
  const vips = topology.vips.filter(isCloudRouted);
  if (vips.length === 0) return undefined;
  const routed = new Set<string>();
  for (const g of topology.groups)
    if (cloudVipsOf(topology, g).some((v) => v.provider?.type === 'awsRouteTable')) for (const n of g.nodes) routed.add(n.name);
  const instances: CloudInstanceConfig[] = hosts.map((h, nodeIndex) => {
    const enis: CloudEniConfig[] = h.interfaces.map((nic, ifIndex) => {
      let primaryIp = nic.addresses.find((a) => IPV4.test(a.address))?.address;
      if (primaryIp === undefined) {
        primaryIp = `10.0.${250 - ifIndex}.${nodeIndex + 11}`;
        nic.addresses.push({ address: primaryIp, prefixLength: 24 });
      }
      return { id: simEniId(nodeIndex, ifIndex), interfaceAlias: nic.alias, mac: nic.mac, primaryIp, sourceDestCheck: !routed.has(h.name) };
    });
    const node = topology.nodes.find((n) => n.name === h.name);
    const publicAlias = node?.interfaces.find((i) => i.role === 'public')?.name?.toLowerCase();
    const primary = enis.find((e) => e.interfaceAlias.toLowerCase() === publicAlias) ?? enis[0]!;
    return { host: h.name, instanceId: simInstanceId(nodeIndex), primaryEni: primary.id, enis };
  });
  const addresses: CloudAddressConfig[] = vips.map((v) => {
    const g = topology.groups.find((x) => x.namespace === v.namespace && x.name === v.group);
    const enis: Record<string, string> = {};
    for (const n of g?.nodes ?? []) {
      const inst = instances.find((i) => i.host === n.name);
      const alias = vipInterface(v, n.name).toLowerCase();
      const eni = inst?.enis.find((e) => e.interfaceAlias.toLowerCase() === alias)?.id ?? inst?.primaryEni;
      if (eni) enis[n.name] = eni;
    }
    const p = v.provider!;
    const a: CloudAddressConfig = { address: v.address, provider: p.type as CloudAddressConfig['provider'], enis };
    if (p.probePort !== undefined) a.probePort = p.probePort;
    if (p.routeTableIds) a.routeTableIds = [...p.routeTableIds];
    if (p.allocationId) a.allocationId = p.allocationId;
    return a;
  });
  const region = vips.find((v) => v.provider?.region)?.provider?.region ?? 'us-east-1';
  return { region, vpcCidr: '10.0.0.0/16', instances, addresses };
}
