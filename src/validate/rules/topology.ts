/**
 * Rules about who runs what: clusters, their nodes, groups and priorities,
 * and election timing.
 */
import type { ClusterSpec, FailoverGroupSpec } from '../../api/types.js';
import { DEFAULT_TIMING } from '../../api/defaults.js';
import type { Entry, Rule, RuleContext } from '../model.js';

function specOf<T>(e: Entry): T {
  return e.obj['spec'] as T;
}

/** Two documents declaring the same kind/namespace/name: report every copy, naming the other place. */
export const duplicateObjects: Rule = (ctx) => {
  for (const list of ctx.duplicates()) {
    for (const e of list) {
      const other = list.find((o) => o !== e)!;
      ctx.report(
        e,
        ['metadata', 'name'],
        'duplicate-object',
        `${e.kind} ${e.namespace}/${e.name} is declared more than once (also at ${ctx.placeOf(other, ['metadata', 'name'])}); keep one`,
      );
    }
  }
};

/** The Cluster a group runs on, or undefined after reporting why there is none. */
export function clusterOfGroup(ctx: RuleContext, group: Entry, report: boolean): Entry | undefined {
  const spec = specOf<FailoverGroupSpec>(group);
  if (spec.cluster) {
    const c = ctx.declared('Cluster', group.namespace, spec.cluster);
    if (!c && report) {
      ctx.report(
        group,
        ['spec', 'cluster'],
        'dangling-reference',
        `FailoverGroup ${group.name} names Cluster "${spec.cluster}", which is not declared in namespace ${group.namespace}`,
      );
    }
    return c;
  }
  const clusters = ctx.inNamespace('Cluster', group.namespace);
  if (clusters.length === 1) return clusters[0];
  if (report) {
    if (clusters.length === 0) {
      ctx.report(
        group,
        ['spec'],
        'dangling-reference',
        `FailoverGroup ${group.name} has no Cluster: namespace ${group.namespace} declares none; declare a Cluster with its nodes`,
      );
    } else {
      ctx.report(
        group,
        ['spec'],
        'ambiguous-cluster',
        `FailoverGroup ${group.name} does not say which cluster it runs on, and namespace ${group.namespace} declares ${clusters.length} (${clusters
          .map((c) => c.name)
          .join(', ')}); set spec.cluster`,
      );
    }
  }
  return undefined;
}

/** Node names of a cluster, when its object is valid. */
const nodeSets = new WeakMap<Entry, Set<string>>();

export function clusterNodes(cluster: Entry | undefined): Set<string> | undefined {
  if (!cluster || !cluster.valid) return undefined;
  let set = nodeSets.get(cluster);
  if (!set) nodeSets.set(cluster, (set = new Set(specOf<ClusterSpec>(cluster).nodes.map((n) => n.name))));
  return set;
}

export const clusterRules: Rule = (ctx) => {
  for (const c of ctx.valid('Cluster')) {
    const spec = specOf<ClusterSpec>(c);
    const seen = new Map<string, number>();
    spec.nodes.forEach((n, i) => {
      const first = seen.get(n.name);
      if (first !== undefined) {
        ctx.report(
          c,
          ['spec', 'nodes', i, 'name'],
          'duplicate-node',
          `node ${n.name} is listed twice in Cluster ${c.name} (also spec.nodes[${first}])`,
        );
      } else seen.set(n.name, i);
    });
    // Design §4: a holder must fence itself (renewDeadline) before its lease can run out (leaseDuration),
    // and must get several renewal attempts (retryPeriod) within renewDeadline.
    const lease = spec.timing?.leaseDurationSeconds ?? DEFAULT_TIMING.leaseDurationSeconds;
    const renew = spec.timing?.renewDeadlineSeconds ?? DEFAULT_TIMING.renewDeadlineSeconds;
    const retry = spec.timing?.retryPeriodSeconds ?? DEFAULT_TIMING.retryPeriodSeconds;
    if (renew >= lease) {
      ctx.report(
        c,
        ['spec', 'timing', spec.timing?.renewDeadlineSeconds !== undefined ? 'renewDeadlineSeconds' : 'leaseDurationSeconds'],
        'timing-unsafe',
        `renewDeadlineSeconds (${renew}) must be less than leaseDurationSeconds (${lease}): a holder that cannot renew must stop serving before another node may take over`,
      );
    }
    if (retry >= renew) {
      ctx.report(
        c,
        ['spec', 'timing', spec.timing?.retryPeriodSeconds !== undefined ? 'retryPeriodSeconds' : 'renewDeadlineSeconds'],
        'timing-unsafe',
        `retryPeriodSeconds (${retry}) must be less than renewDeadlineSeconds (${renew}): the holder needs more than one renewal attempt before it fences itself`,
      );
    }
  }
};

export const groupRules: Rule = (ctx) => {
  const groupsWithResources = new Set<string>();
  const mirrorsOf = new Map<string, string[]>();
  for (const e of ctx.entries) {
    if (e.kind === 'VirtualIP' || e.kind === 'Mirror' || e.kind === 'IISSite') groupsWithResources.add(`${e.namespace}/${groupOf(e)}`);
    if (e.kind === 'Mirror') {
      const key = `${e.namespace}/${groupOf(e)}`;
      mirrorsOf.set(key, [...(mirrorsOf.get(key) ?? []), e.name]);
    }
  }
  for (const g of ctx.valid('FailoverGroup')) {
    const spec = specOf<FailoverGroupSpec>(g);
    const cluster = clusterOfGroup(ctx, g, true);
    const members = clusterNodes(cluster);
    const names = new Map<string, number>();
    const priorities = new Map<number, number>();
    spec.nodes.forEach((n, i) => {
      const dupName = names.get(n.name);
      if (dupName !== undefined) {
        ctx.report(
          g,
          ['spec', 'nodes', i, 'name'],
          'duplicate-node',
          `node ${n.name} is listed twice in FailoverGroup ${g.name} (also spec.nodes[${dupName}])`,
        );
      } else names.set(n.name, i);
      if (members && !members.has(n.name)) {
        ctx.report(
          g,
          ['spec', 'nodes', i, 'name'],
          'node-not-in-cluster',
          `node ${n.name} is not a node of Cluster ${cluster!.name} (nodes: ${[...members].join(', ')})`,
        );
      }
      const dupPrio = priorities.get(n.priority);
      if (dupPrio !== undefined) {
        const other = spec.nodes[dupPrio]!;
        for (const [idx, node, peer] of [
          [i, n, other],
          [dupPrio, other, n],
        ] as const) {
          ctx.report(
            g,
            ['spec', 'nodes', idx, 'priority'],
            'duplicate-priority',
            `nodes ${node.name} and ${peer.name} both have priority ${n.priority} in FailoverGroup ${g.name}; priorities must be unique (lower = preferred)`,
          );
        }
      } else priorities.set(n.priority, i);
    });
    if (spec.nodes.length === 1) {
      ctx.report(
        g,
        ['spec', 'nodes'],
        'single-node-group',
        `FailoverGroup ${g.name} can run on ${spec.nodes[0]!.name} only: nothing takes over when that node fails`,
        'warning',
      );
    }
    if (!groupsWithResources.has(`${g.namespace}/${g.name}`)) {
      ctx.report(
        g,
        ['metadata', 'name'],
        'group-without-resources',
        `FailoverGroup ${g.name} has no VirtualIP, Mirror or IISSite`,
        'warning',
      );
    }
    // docs/spec/seed003-core.md §9 (manual 6.2.4): "Replicated data does not support automatic switchback." (LifeKeeper forces
    // INTELLIGENT for hierarchies with DataKeeper volumes: moving back would promote a target that may be behind.)
    const mirrors = mirrorsOf.get(`${g.namespace}/${g.name}`);
    if (spec.switchback === 'Automatic' && mirrors) {
      ctx.report(
        g,
        ['spec', 'switchback'],
        'automatic-switchback-with-mirror',
        `FailoverGroup ${g.name} has switchback: Automatic but replicates data (Mirror ${mirrors.join(', ')}); LifeKeeper does not support automatic switchback with replicated data: use Intelligent and move the group back with winha switchover when the mirror is in sync`,
        'warning',
      );
    }
  }
};

/** spec.group of a VIP, mirror or site (undefined when malformed). */
export function groupOf(e: Entry): string | undefined {
  const spec = e.obj['spec'];
  if (typeof spec !== 'object' || spec === null) return undefined;
  const g = (spec as Record<string, unknown>)['group'];
  return typeof g === 'string' ? g : undefined;
}

/** The FailoverGroup a resource names, or undefined after reporting a dangling reference. */
export function resolveGroup(ctx: RuleContext, e: Entry): Entry | undefined {
  const name = groupOf(e);
  if (name === undefined) return undefined;
  const g = ctx.declared('FailoverGroup', e.namespace, name);
  if (!g) {
    ctx.report(
      e,
      ['spec', 'group'],
      'dangling-reference',
      `${e.kind} ${e.name} belongs to FailoverGroup "${name}", which is not declared in namespace ${e.namespace}`,
    );
  }
  return g;
}

/** Member nodes of a valid group. */
export function groupNodes(g: Entry | undefined): string[] | undefined {
  if (!g || !g.valid) return undefined;
  return specOf<FailoverGroupSpec>(g).nodes.map((n) => n.name);
}
