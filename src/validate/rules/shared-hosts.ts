/**
 * Clusters that would fight (issue 18 item 4). The other rules compare objects of one namespace; two
 * Clusters of one repository (other namespaces, or other names) are independent until they list the same
 * host. A host is a node's management address: the examples reuse node names (node1, web1) for
 * different machines, which `winha agent --cluster` tells apart, but one address is one machine.
 *  - node-in-several-clusters: one host in two Clusters. One agent serves one cluster, so the other
 *    cluster's groups would never run there; two agents would drive one host's IIS, disks and addresses.
 *  - shared-host-conflict: what the two clusters' groups would contend for on that host, once they may
 *    both be active there: a virtual IP address, a DataKeeper volume letter, an IIS site name (unique per
 *    server), an Azure probe port (the agent listens on it on every address of the node).
 */
import type { ClusterSpec, FailoverGroupSpec, IISSiteSpec, MirrorSpec, VirtualIPSpec } from '../../api/types.js';
import { canonicalIp } from '../../lib/ip.js';
import type { Entry, Rule, RuleContext } from '../model.js';
import type { Path } from '../parse.js';
import { driveLetter } from './resources.js';
import { clusterOfGroup, groupOf } from './topology.js';

interface HostNode {
  cluster: Entry;
  index: number;
  name: string;
}

type ClaimKind = 'ip' | 'volume' | 'site' | 'probe' | 'port';

/** What a group would hold on a host: an address, a volume letter, a site name, a probe port or a site's port. */
interface Claim {
  e: Entry;
  path: Path;
  kind: ClaimKind;
  value: string;
  what: string;
}

const WHY: Record<Exclude<ClaimKind, 'port'>, string> = {
  ip: 'one address on one host cannot follow two groups',
  volume: 'one drive letter is one volume, and DataKeeper mirrors it once',
  site: 'IIS site names are unique per server',
  probe: 'the agent listens on a probe port on every address of the node',
};

/** Why two claims contend, or undefined: the same resource; ports only through a probe (sites share ports by address). */
function contention(a: Claim, b: Claim): string | undefined {
  if (a.value !== b.value) return undefined;
  const ports = (k: ClaimKind) => k === 'probe' || k === 'port';
  if (a.kind === 'probe' || b.kind === 'probe') return ports(a.kind) && ports(b.kind) ? WHY.probe : undefined;
  return a.kind === b.kind && a.kind !== 'port' ? WHY[a.kind] : undefined;
}

const clusterId = (c: Entry): string => `${c.namespace}/${c.name}`;

/** The nodes of valid Clusters by canonical management address. */
function hosts(ctx: RuleContext): Map<string, HostNode[]> {
  const out = new Map<string, HostNode[]>();
  for (const c of ctx.valid('Cluster')) {
    (c.obj['spec'] as ClusterSpec).nodes.forEach((n, index) => {
      const addr = canonicalIp(n.address.trim().toLowerCase());
      const list = out.get(addr);
      const h = { cluster: c, index, name: n.name };
      if (list) list.push(h);
      else out.set(addr, [h]);
    });
  }
  return out;
}

/** Everything the groups of `cluster` that may run on `node` would claim on that host. */
function claimsOn(ctx: RuleContext, cluster: Entry, node: string): Claim[] {
  const groups = new Set(
    ctx
      .valid('FailoverGroup')
      .filter((g) => g.namespace === cluster.namespace && (g.obj['spec'] as FailoverGroupSpec).nodes.some((n) => n.name === node))
      .filter((g) => clusterOfGroup(ctx, g, false) === cluster)
      .map((g) => g.name),
  );
  const mine = (e: Entry): boolean => e.namespace === cluster.namespace && groups.has(groupOf(e) ?? '');
  const out: Claim[] = [];
  for (const v of ctx.valid('VirtualIP').filter(mine)) {
    const spec = v.obj['spec'] as VirtualIPSpec;
    out.push({ e: v, path: ['spec', 'address'], kind: 'ip', value: canonicalIp(spec.address), what: `address ${spec.address}` });
    const probe = spec.provider?.type === 'azureLoadBalancer' ? spec.provider.probePort : undefined;
    if (probe !== undefined)
      out.push({ e: v, path: ['spec', 'provider', 'probePort'], kind: 'probe', value: String(probe), what: `probe port ${probe}` });
  }
  for (const m of ctx.valid('Mirror').filter(mine)) {
    const spec = m.obj['spec'] as MirrorSpec;
    const letter = driveLetter(spec.volume) ?? spec.volume.toUpperCase();
    out.push({ e: m, path: ['spec', 'volume'], kind: 'volume', value: letter, what: `volume ${letter}:` });
  }
  for (const s of ctx.valid('IISSite').filter(mine)) {
    const spec = s.obj['spec'] as IISSiteSpec;
    out.push({
      e: s,
      path: ['spec', 'siteName'],
      kind: 'site',
      value: spec.siteName.toLowerCase(),
      what: `IIS site name "${spec.siteName}"`,
    });
    spec.bindings.forEach((b, i) =>
      out.push({ e: s, path: ['spec', 'bindings', i, 'port'], kind: 'port', value: String(b.port), what: `${b.protocol} port ${b.port}` }),
    );
  }
  return out;
}

export const sharedHostRules: Rule = (ctx) => {
  const reported = new Set<string>(); // one problem per contended field, at the first host shared
  for (const [addr, nodes] of hosts(ctx)) {
    for (const a of nodes) {
      const b = nodes.find((o) => clusterId(o.cluster) !== clusterId(a.cluster));
      if (!b) continue;
      const at = ['spec', 'nodes', b.index, 'address'];
      ctx.report(
        a.cluster,
        ['spec', 'nodes', a.index, 'address'],
        'node-in-several-clusters',
        `node ${a.name} (${addr}) of Cluster ${clusterId(a.cluster)} is also node ${b.name} of Cluster ${clusterId(b.cluster)} (${ctx.placeOf(b.cluster, at)}): one host in two clusters — an agent serves one cluster, so the other's groups never run there, and two agents would drive one host; give each cluster its own hosts`,
      );
      const theirs = claimsOn(ctx, b.cluster, b.name);
      for (const mine of claimsOn(ctx, a.cluster, a.name)) {
        const other = theirs.find((t) => contention(mine, t) !== undefined);
        const id = `${mine.e.kind}/${mine.e.namespace}/${mine.e.name}/${mine.path.join('.')}`;
        if (!other || reported.has(id)) continue;
        reported.add(id);
        ctx.report(
          mine.e,
          mine.path,
          'shared-host-conflict',
          `${mine.what} of ${mine.e.kind} ${mine.e.name} is also ${other.what} of ${other.e.kind} ${other.e.namespace}/${other.e.name} (${ctx.placeOf(other.e, other.path)}), of Cluster ${clusterId(b.cluster)}, on host ${addr} (node ${a.name} here, ${b.name} there): ${contention(mine, other)!}`,
        );
      }
    }
  }
};
