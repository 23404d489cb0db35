/** What `winha doctor` expects of one node, read from the cluster's manifests (as the store holds them). */
import { driveLetter, topologyOf, vipInterface } from '../../sim/world/topology.js';
import type { CloudProviderType, CloudVipExpectation, DoctorExpectations, PortRule } from './types.js';

/** Management addresses are probed on SMB (DataKeeper needs it too); replication ones on DataKeeper's dispatch port. */
export const MANAGEMENT_PROBE_PORT = 445;
export const REPLICATION_PROBE_PORT = 9999;

/** docs/spec/seed003-datakeeper.md §6.1: TCP 139, 445, 9999 and 10000 + (letter − A) per volume; UDP 137, 138. */
export function dataKeeperPorts(volumes: readonly string[]): PortRule[] {
  const tcp = [139, 445, 9999, ...volumes.map((v) => 10000 + (v.toUpperCase().charCodeAt(0) - 65))];
  return [
    ...[...new Set(tcp)].map((port) => ({ protocol: 'TCP' as const, port })),
    { protocol: 'UDP', port: 137 },
    { protocol: 'UDP', port: 138 },
  ];
}

type Obj = Record<string, unknown>;

const CLOUD_PROVIDERS = new Set<string>(['azureLoadBalancer', 'awsSecondaryIp', 'awsRouteTable', 'awsElasticIp']);

export function expectationsFromManifests(
  objects: readonly Obj[],
  node: string,
  opts: { agentPort?: number; maxClockOffsetMs?: number } = {},
): DoctorExpectations {
  const t = topologyOf(objects);
  const me = t.nodes.find((n) => n.name === node);
  const myGroups = t.groups.filter((g) => g.nodes.some((n) => n.name === node));
  const inMyGroup = (x: { namespace: string; group: string }) => myGroups.some((g) => g.namespace === x.namespace && g.name === x.group);

  const interfaces = new Set<string>(me?.interfaces.map((i) => i.name) ?? []);
  for (const v of t.vips.filter(inMyGroup)) interfaces.add(vipInterface(v, node));

  // The topology has no IISSite.spec.service: read it from the objects (FTP also follows from an ftp binding).
  const services = new Set<string>();
  for (const o of objects) {
    if (o['kind'] !== 'IISSite') continue;
    const spec = (o['spec'] ?? {}) as Obj;
    const meta = (o['metadata'] ?? {}) as Obj;
    const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default';
    if (!inMyGroup({ namespace: ns, group: typeof spec['group'] === 'string' ? spec['group'] : '' })) continue;
    if (typeof spec['service'] === 'string') services.add(spec['service']);
    const bindings = Array.isArray(spec['bindings']) ? (spec['bindings'] as Obj[]) : [];
    if (bindings.some((b) => b['protocol'] === 'ftp')) services.add('FTP');
  }

  const myMirrors = t.mirrors.filter((m) => m.endpoints.some((e) => e.node === node));
  const mirrorVolumes = [...new Set(myMirrors.map((m) => driveLetter(m.volume)).filter((v) => v !== ''))].sort();

  const peers: DoctorExpectations['peers'] = [];
  const peerNodes = new Set(myGroups.flatMap((g) => g.nodes.map((n) => n.name)).filter((n) => n !== node));
  for (const n of t.nodes.filter((x) => peerNodes.has(x.name) && x.address !== '')) {
    peers.push({ node: n.name, role: 'management', address: n.address, port: MANAGEMENT_PROBE_PORT });
  }
  const seen = new Set<string>();
  for (const m of myMirrors) {
    for (const e of m.endpoints) {
      if (e.node === node || seen.has(`${e.node}/${e.address}`)) continue;
      seen.add(`${e.node}/${e.address}`);
      peers.push({ node: e.node, role: 'replication', address: e.address, port: REPLICATION_PROBE_PORT });
    }
  }

  const cloudVips: CloudVipExpectation[] = [];
  for (const o of objects) {
    if (o['kind'] !== 'VirtualIP') continue;
    const meta = (o['metadata'] ?? {}) as Obj;
    const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default';
    const vip = t.vips.find((v) => v.namespace === ns && v.name === meta['name']);
    const p = ((o['spec'] ?? {}) as Obj)['provider'] as Obj | undefined;
    const type = p?.['type'];
    if (!vip || !inMyGroup(vip) || typeof type !== 'string' || !CLOUD_PROVIDERS.has(type)) continue;
    cloudVips.push({
      name: `${ns}/${vip.name}`,
      address: vip.address,
      interface: vipInterface(vip, node),
      provider: type as CloudProviderType,
      ...(typeof p?.['probePort'] === 'number' ? { probePort: p['probePort'] } : {}),
      ...(Array.isArray(p?.['routeTableIds']) ? { routeTableIds: (p['routeTableIds'] as unknown[]).map(String) } : {}),
      ...(typeof p?.['allocationId'] === 'string' ? { allocationId: p['allocationId'] } : {}),
      ...(typeof p?.['region'] === 'string' ? { region: p['region'] } : {}),
    });
  }

  return {
    node,
    nodeDeclared: me !== undefined,
    interfaces: [...interfaces].sort(),
    needsFtp: services.has('FTP'),
    needsSmtp: services.has('SMTP'),
    mirrorVolumes,
    peers,
    ...(opts.agentPort !== undefined ? { agentPort: opts.agentPort } : {}),
    dataKeeperPorts: dataKeeperPorts(mirrorVolumes),
    maxClockOffsetMs: opts.maxClockOffsetMs ?? 1_000,
    ...(cloudVips.length > 0 ? { cloudVips } : {}),
  };
}
