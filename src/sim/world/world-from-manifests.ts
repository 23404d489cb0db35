/**
 * The simulated world a manifest set describes: one host per Cluster node,
 * on one L2 segment, with the interfaces the manifests name, the management
 * address and the Mirror endpoint (replication) addresses configured, and one
 * mirrorable volume per Mirror the node is an endpoint of. Shared by
 * `winha sim world` (real time, served to other processes) and the in-process
 * simulation (`winha sim run`, virtual time), so both build the same world.
 *
 * Choices where the manifests are silent (write them down, design §intro):
 *  - every address gets prefix /24;
 *  - a node with no declared interface gets one named "Ethernet";
 *  - the management address sits on the first `public` interface, a
 *    replication address on the first `replication` interface (else public);
 *  - an interface named by a VirtualIP for a node is added to that node if
 *    the Cluster did not declare it (the VIP must be placeable);
 *  - `Adopted` sites (created by people, not WinHA) exist, stopped, on every
 *    node of their group; `Managed` sites are created by the agents;
 *  - MAC addresses are 00-15-5D-NN-II (Hyper-V's prefix), stable per node and
 *    interface order;
 *  - a VirtualIP with a cloud provider puts the hosts in a cloud network
 *    (./cloud-from-topology.ts says how it is laid out).
 */
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import type { SiteBinding } from '../../drivers/types.js';
import { topologyOf, vipInterface, type Topology } from './topology.js';
import { cloudConfigOf } from './cloud-from-topology.js';
import { World, type SimHostConfig, type SimTiming, type WorldConfig } from './world.js';

export interface WorldBuildOptions {
  timing?: Partial<SimTiming>;
  /** Size of each mirrorable volume in 64 KB blocks (default 8192 = 512 MB). */
  volumeBlocks?: number;
  /** Blocks in use (what a full resync sends; default 2048). */
  usedBlocks?: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function hex2(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** The world configuration of a topology. */
export function worldConfigOf(topology: Topology, opts: WorldBuildOptions = {}): WorldConfig {
  const hosts: SimHostConfig[] = topology.nodes.map((node, nodeIndex) => {
    const interfaces: SimHostConfig['interfaces'] = [];
    const nic = (alias: string) => {
      let n = interfaces.find((i) => i.alias.toLowerCase() === alias.toLowerCase());
      if (!n) {
        n = { alias, mac: `00-15-5D-00-${hex2(nodeIndex + 1)}-${hex2(interfaces.length + 1)}`, addresses: [] };
        interfaces.push(n);
      }
      return n;
    };
    for (const i of node.interfaces) nic(i.name);
    for (const v of topology.vips) {
      const g = topology.groups.find((x) => x.namespace === v.namespace && x.name === v.group);
      if (g?.nodes.some((n) => n.name === node.name)) nic(vipInterface(v, node.name));
    }
    if (interfaces.length === 0) nic('Ethernet');
    const publicNic = nic(node.interfaces.find((i) => i.role === 'public')?.name ?? interfaces[0]!.alias);
    const replicationNic = nic(node.interfaces.find((i) => i.role === 'replication')?.name ?? publicNic.alias);
    const placed = new Set<string>();
    const place = (target: typeof publicNic, address: string) => {
      if (!IPV4.test(address) || placed.has(address)) return;
      placed.add(address);
      target.addresses.push({ address, prefixLength: 24 });
    };
    place(publicNic, node.address);
    const volumes: NonNullable<SimHostConfig['volumes']> = [];
    for (const m of topology.mirrors) {
      const ep = m.endpoints.find((e) => e.node === node.name);
      if (!ep) continue;
      place(replicationNic, ep.address);
      if (m.volume && !volumes.some((v) => v.letter === m.volume)) {
        volumes.push({ letter: m.volume, totalBlocks: opts.volumeBlocks ?? 8192, usedBlocks: opts.usedBlocks ?? 2048 });
      }
    }
    const sites = topology.sites
      .filter((s) => s.management === 'Adopted')
      .filter((s) =>
        topology.groups.some((g) => g.namespace === s.namespace && g.name === s.group && g.nodes.some((n) => n.name === node.name)),
      )
      .map((s) => ({
        name: s.siteName,
        bindings: s.bindings.map((b): SiteBinding => ({
          protocol: b.protocol === 'https' || b.protocol === 'ftp' ? b.protocol : 'http',
          address: b.address,
          port: b.port,
          hostHeader: b.hostHeader,
        })),
        physicalPath: s.physicalPath,
        applicationPool: s.applicationPool,
        serverAutoStart: false,
      }));
    return { name: node.name, interfaces, volumes, sites };
  });
  const config: WorldConfig = { hosts };
  if (opts.timing) config.timing = opts.timing;
  const cloud = cloudConfigOf(topology, hosts);
  if (cloud) config.cloud = cloud;
  return config;
}

/** A world built from manifest objects. */
export function worldFromManifests(
  objects: readonly Record<string, unknown>[],
  clock: Clock,
  random: Random,
  opts: WorldBuildOptions = {},
): World {
  return new World(clock, random, worldConfigOf(topologyOf(objects), opts));
}
