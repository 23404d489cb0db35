/**
 * `winha status`: the one-screen view of clusters and groups, as a pure function of what the store holds
 * (objects, node leases) and the time. Its JSON form (kind: Status) is the documented shape for tools:
 * fields are only ever added.
 */
import { syncProblems, syncView, type StatusSync } from './sync-view.js';
import { mirrorStateOf, worstMirrorState } from '../api/mirror-states.js';
import { clusterOfGroup } from '../api/cluster-membership.js';
import type { Cluster } from '../api/types.js';
import { inMaintenance, nodesInMaintenance } from '../controller/requests.js';
import type { LeaseRecord, StoredObject } from '../store/types.js';

export interface StatusNode {
  name: string;
  /** Alive: its agent renews the node lease; Dead: the lease ran out; Unknown: no lease and no report. */
  state: 'Alive' | 'Dead' | 'Unknown';
  /** Node maintenance (spec.nodes[].maintenance) or the whole cluster's. */
  maintenance: boolean;
  /** Groups this node is banned from now. */
  bannedFrom: string[];
  /** Seconds since the node lease was last renewed (null: no lease). */
  leaseAgeSeconds: number | null;
  /**
   * What the agents wrote in the Cluster's status.nodes (null: nothing). They judge on their own monotonic clocks;
   * `state` compares renewTime with this machine's wall clock, so a skewed clock here shows up as a disagreement.
   */
  reported: string | null;
}

export interface StatusCluster {
  namespace: string;
  name: string;
  maintenance: boolean;
  nodes: StatusNode[];
}

export interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  code?: number;
}

export interface StatusMirror {
  name: string;
  volume: string;
  source: string | null;
  targets: string[];
  /** DataKeeper state by name (Mirroring, Resyncing, …; Unknown before any report). */
  state: string;
  /** Resync progress of the least advanced target, while one resyncs. */
  resyncPercent: number | null;
}

export interface StatusGroup {
  namespace: string;
  name: string;
  cluster: string | null;
  desiredState: string;
  phase: string | null;
  activeNode: string | null;
  epoch: number | null;
  /** The Ready condition (status Unknown when no agent reported it yet). */
  ready: StatusCondition;
  /** The Degraded condition when it holds, else null. */
  degraded: StatusCondition | null;
  /** Each node of the group: ISP, ISU, OSU, OSF or Unknown; banned until a time. */
  nodes: { name: string; state: string; bannedUntil: string | null; banReason: string | null }[];
  mirrors: StatusMirror[];
  lastFailover: { from: string | null; to: string; reason: string; time: string; message: string | null } | null;
  /** Conditions other than Ready and Degraded that are not in their healthy state. */
  warnings: StatusCondition[];
}

export interface StatusView {
  apiVersion: 'winha.io/v1alpha1';
  kind: 'Status';
  time: string;
  /** True when every InService group is Ready and not Degraded or Failed, and every node out of maintenance is alive. */
  healthy: boolean;
  /** Why healthy is false, one sentence each. */
  problems: string[];
  clusters: StatusCluster[];
  groups: StatusGroup[];
  /** `winha sync`s and what they last did (only when there are any). */
  syncs?: StatusSync[];
}

export interface StatusInput {
  clusters: StoredObject[];
  groups: StoredObject[];
  mirrors: StoredObject[];
  events: StoredObject[];
  syncs?: StoredObject[];
  /** Node leases by nodeLeaseKey(Cluster namespace, Cluster name, node): each Cluster's node has its own. */
  leases: Map<string, LeaseRecord>;
  now: number;
}

/** StatusInput.leases' key: two Clusters may each name a node `node1` (different machines, different leases). */
export function nodeLeaseKey(namespace: string, cluster: string, node: string): string {
  return `${namespace}/${cluster}/${node}`;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const list = (v: unknown): Rec[] => (Array.isArray(v) ? v.map(rec) : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Conditions whose healthy status is True; every other type is healthy when False. */
const POSITIVE = new Set(['Ready', 'MirrorInSync']);

function condition(c: Rec): StatusCondition {
  const out: StatusCondition = { type: String(c['type']), status: str(c['status']) ?? 'Unknown' };
  const reason = str(c['reason']);
  const message = str(c['message']);
  const code = num(c['code']);
  if (reason) out.reason = reason;
  if (message) out.message = message;
  if (code !== null) out.code = code;
  return out;
}

function byName<T extends { namespace?: string; name: string }>(a: T, b: T): number {
  return (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
}

/** A node is alive while its lease, renewed by itself, is younger than its duration. */
function nodeState(name: string, lease: LeaseRecord | undefined, reported: string | null, now: number): StatusNode['state'] {
  if (lease && lease.holder === name) {
    const renewed = Date.parse(lease.renewTime);
    if (!Number.isNaN(renewed)) return now - renewed < lease.leaseDurationSeconds * 1000 ? 'Alive' : 'Dead';
  }
  if (lease) return 'Dead';
  return reported === 'Alive' || reported === 'Dead' ? reported : 'Unknown';
}

function mirrorView(m: StoredObject): StatusMirror {
  const spec = rec(m.spec);
  const st = rec(m.status);
  const source = str(st['source']);
  const endpoints = list(spec['endpoints']).map((e) => String(e['node']));
  let recorded = list(st['targets']);
  const onNodes = list(st['nodes']);
  let state = str(st['state']);
  // A new source recorded itself (a takeover) before it recorded its targets: the rest is the old source's word.
  const stale = source !== null && recorded.some((t) => String(t['name']) === source);
  if (stale) [recorded, state] = [[], 'Unknown'];
  const targets = recorded.length ? recorded.map((t) => String(t['name'])) : source ? endpoints.filter((n) => n !== source) : [];
  if (!state) {
    const codes = recorded.length
      ? recorded.map((t) => num(t['state']) ?? -1)
      : onNodes.filter((n) => n['role'] === 'Target').map((n) => num(n['state']) ?? -1);
    state = codes.length ? (mirrorStateOf(worstMirrorState(codes)) ?? 'Unknown') : 'Unknown';
  }
  const percents = onNodes.map((n) => num(n['resyncPercent'])).filter((p): p is number => p !== null);
  const resyncing = state === 'Resyncing' || state === 'ResyncPending';
  return {
    name: m.metadata.name,
    volume: str(spec['volume']) ?? '?',
    source,
    targets,
    state,
    resyncPercent: resyncing && percents.length ? Math.min(...percents) : null,
  };
}

function lastFailoverOf(st: Rec, events: StoredObject[], group: StoredObject): StatusGroup['lastFailover'] {
  const lf = rec(st['lastFailover']);
  if (str(lf['to'])) {
    return {
      from: str(lf['from']),
      to: String(lf['to']),
      reason: str(lf['reason']) ?? 'Failover',
      time: str(lf['time']) ?? '',
      message: str(lf['message']),
    };
  }
  // No status record (an older agent, or the status was reset): the newest Failover event about the group.
  const ev = events
    .filter((e) => {
      const inv = rec(e['involvedObject']);
      return e['reason'] === 'Failover' && inv['kind'] === 'FailoverGroup' && inv['name'] === group.metadata.name;
    })
    .filter((e) => e.metadata.namespace === group.metadata.namespace)
    .map((e) => ({ e, t: str(e['lastTimestamp']) ?? e.metadata.creationTimestamp }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0))
    .pop();
  if (!ev) return null;
  return { from: null, to: str(ev.e['node']) ?? '?', reason: 'Failover', time: ev.t, message: str(ev.e['message']) };
}

function groupView(
  g: StoredObject,
  mirrors: StoredObject[],
  events: StoredObject[],
  clusterOf: (g: StoredObject) => string | null,
  now: number,
): StatusGroup {
  const spec = rec(g.spec);
  const st = rec(g.status);
  const conditions = list(st['conditions']).map(condition);
  const ready = conditions.find((c) => c.type === 'Ready') ?? { type: 'Ready', status: 'Unknown', reason: 'NotReported' };
  const degraded = conditions.find((c) => c.type === 'Degraded' && c.status === 'True') ?? null;
  const reported = new Map(list(st['nodes']).map((n) => [String(n['name']), n]));
  const nodes = list(spec['nodes'])
    .sort((a, b) => (num(a['priority']) ?? 0) - (num(b['priority']) ?? 0))
    .map((n) => {
      const name = String(n['name']);
      const r = reported.get(name) ?? {};
      const until = str(r['bannedUntil']);
      const banned = until !== null && Date.parse(until) > now;
      return {
        name,
        state: str(r['state']) === 'UNKNOWN' ? 'Unknown' : (str(r['state']) ?? 'Unknown'),
        bannedUntil: banned ? until : null,
        banReason: banned ? str(r['banReason']) : null,
      };
    });
  return {
    namespace: g.metadata.namespace,
    name: g.metadata.name,
    cluster: clusterOf(g),
    desiredState: str(spec['desiredState']) ?? 'InService',
    phase: str(st['phase']),
    activeNode: str(st['activeNode']),
    epoch: num(st['epoch']),
    ready,
    degraded,
    nodes,
    mirrors: mirrors
      .filter((m) => m.metadata.namespace === g.metadata.namespace && rec(m.spec)['group'] === g.metadata.name)
      .map(mirrorView)
      .sort(byName),
    lastFailover: lastFailoverOf(st, events, g),
    warnings: conditions.filter(
      (c) => c.type !== 'Ready' && c.type !== 'Degraded' && (POSITIVE.has(c.type) ? c.status !== 'True' : c.status === 'True'),
    ),
  };
}

/**
 * What a dead node's agent last wrote is no longer true: its states read Unknown, and a group it was serving is not
 * known to be Ready until another node takes over (the failover waits for the group lease to run out).
 */
function distrustDeadNodes(g: StatusGroup, clusters: StatusCluster[]): void {
  const cluster = clusters.find((c) => c.namespace === g.namespace && c.name === g.cluster);
  const dead = new Set(cluster?.nodes.filter((n) => n.state === 'Dead').map((n) => n.name) ?? []);
  for (const n of g.nodes) if (dead.has(n.name)) n.state = 'Unknown';
  if (g.activeNode && dead.has(g.activeNode) && g.ready.status === 'True')
    g.ready = {
      type: 'Ready',
      status: 'Unknown',
      reason: 'ActiveNodeDead',
      message: `the active node ${g.activeNode} stopped renewing its node lease: its last report cannot be trusted; a takeover follows when the group lease runs out`,
    };
}

function problemsOf(clusters: StatusCluster[], groups: StatusGroup[]): string[] {
  const out: string[] = [];
  for (const c of clusters)
    for (const n of c.nodes)
      if (n.state !== 'Alive' && !n.maintenance && !c.maintenance)
        out.push(`node ${n.name} of cluster ${c.name} is ${n.state.toLowerCase()}`);
  for (const g of groups) {
    if (g.desiredState !== 'InService') continue;
    if (g.ready.status !== 'True') out.push(`group ${g.name} is not ready${g.ready.reason ? ` (${g.ready.reason})` : ''}`);
    if (g.degraded) out.push(`group ${g.name} is degraded${g.degraded.reason ? ` (${g.degraded.reason})` : ''}`);
    const failed = g.warnings.find((w) => w.type === 'Failed');
    if (failed) out.push(`group ${g.name} failed${failed.reason ? ` (${failed.reason})` : ''}`);
  }
  return out;
}

export function buildStatusView(input: StatusInput): StatusView {
  const { now } = input;
  const bans = new Map<string, string[]>();
  // A group naming a Cluster that is not there still shows the name it gives.
  const clusterOf = (g: StoredObject): string | null => clusterOfGroup(g, input.clusters)?.metadata.name ?? str(rec(g.spec)['cluster']);
  const groups = input.groups.map((g) => groupView(g, input.mirrors, input.events, clusterOf, now)).sort(byName);
  for (const g of groups)
    for (const n of g.nodes)
      if (n.bannedUntil) bans.set(`${g.namespace}/${n.name}`, [...(bans.get(`${g.namespace}/${n.name}`) ?? []), g.name]);
  const clusters = input.clusters
    .map((c): StatusCluster => {
      const spec = rec(c.spec);
      const reported = new Map(list(rec(c.status)['nodes']).map((n) => [String(n['name']), str(n['state'])]));
      // Both the manifest's flags and what `winha maintenance on` wrote (annotations), as the agents read them.
      const nodesIn = nodesInMaintenance(c as unknown as Cluster);
      return {
        namespace: c.metadata.namespace,
        name: c.metadata.name,
        maintenance: inMaintenance(c),
        nodes: list(spec['nodes']).map((n) => {
          const name = String(n['name']);
          const lease = input.leases.get(nodeLeaseKey(c.metadata.namespace, c.metadata.name, name));
          const renewed = lease ? Date.parse(lease.renewTime) : NaN;
          return {
            name,
            state: nodeState(name, lease, reported.get(name) ?? null, now),
            maintenance: nodesIn.has(name),
            bannedFrom: bans.get(`${c.metadata.namespace}/${name}`) ?? [],
            leaseAgeSeconds: Number.isNaN(renewed) ? null : Math.max(0, Math.floor((now - renewed) / 1000)),
            reported: reported.get(name) ?? null,
          };
        }),
      };
    })
    .sort(byName);
  for (const g of groups) distrustDeadNodes(g, clusters);
  const syncs = (input.syncs ?? []).map(syncView).sort(byName);
  const problems = [...problemsOf(clusters, groups), ...syncProblems(syncs)];
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Status',
    time: new Date(now).toISOString(),
    healthy: problems.length === 0,
    problems,
    clusters,
    groups,
    ...(syncs.length ? { syncs } : {}),
  };
}

/** The view without what changes by itself as time passes (lease ages, the time): equal when nothing in the store changed. */
export function statusSignature(v: StatusView): string {
  return JSON.stringify({
    ...v,
    time: undefined,
    clusters: v.clusters.map((c) => ({ ...c, nodes: c.nodes.map((n) => ({ ...n, leaseAgeSeconds: undefined })) })),
  });
}

/** `get groups -o wide`: NODES, e.g. node1:ISP,node2:OSU. */
export function groupNodesCell(g: StoredObject): string {
  const reported = new Map(list(rec(g.status)['nodes']).map((n) => [String(n['name']), str(n['state'])]));
  return list(rec(g.spec)['nodes'])
    .sort((a, b) => (num(a['priority']) ?? 0) - (num(b['priority']) ?? 0))
    .map((n) => `${String(n['name'])}:${reported.get(String(n['name'])) ?? 'Unknown'}`)
    .join(',');
}

/** One mirror in a line: `E: node1→node2 Resyncing 42%`. */
export function mirrorText(m: StatusMirror): string {
  const dir = m.source ? `${m.source}→${m.targets.join(',') || '?'}` : 'no source';
  return `${m.volume} ${dir} ${m.state}${m.resyncPercent !== null ? ` ${Math.round(m.resyncPercent)}%` : ''}`;
}

/** `get groups -o wide`: MIRROR, each mirror of the group as mirrorText writes it. */
export function groupMirrorCell(g: StoredObject, mirrors: StoredObject[]): string {
  return mirrors
    .filter((m) => m.metadata.namespace === g.metadata.namespace && rec(m.spec)['group'] === g.metadata.name)
    .map(mirrorView)
    .sort(byName)
    .map(mirrorText)
    .join(', ');
}
