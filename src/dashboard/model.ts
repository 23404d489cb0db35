/**
 * The dashboard's page model: a pure function of what the store holds (objects, node leases) and the time, built on
 * the same status view `winha status` prints, so the page and the CLI never disagree. JSON, golden-testable.
 */
import type { StatusSync } from '../view/sync-view.js';
import type { LeaseRecord, StoredObject } from '../store/types.js';
import { buildStatusView, nodeLeaseKey, type StatusCondition, type StatusGroup, type StatusInput } from '../view/status-view.js';
import { historyRows, type HistoryRow } from '../view/history-rows.js';

/** How many history rows and Warning events the overview carries (the newest). */
export const TIMELINE_LIMIT = 100;
export const WARNING_LIMIT = 50;

export interface DashboardInput extends StatusInput {
  vips: StoredObject[];
  sites: StoredObject[];
  /** Group leases by `namespace/name`, read only for groups whose active node is dead (the takeover countdown). */
  groupLeases?: Map<string, LeaseRecord>;
}

/** A grid column. */
export interface ModelNode {
  name: string;
  cluster: string;
  state: 'Alive' | 'Dead' | 'Unknown';
  maintenance: boolean;
  /** Epoch ms when the node lease runs out if not renewed (null: no lease). */
  leaseExpiresAt: number | null;
}

/** One grid cell: LifeKeeper's state of the group on a node. */
export interface ModelCell {
  node: string;
  state: string;
  /** ok (ISP), warn (ISU), standby (OSU), bad (OSF, or anything on a dead node), unknown. */
  tone: 'ok' | 'warn' | 'standby' | 'bad' | 'unknown';
  active: boolean;
  bannedUntil: string | null;
}

/** The status view's group, with its nodes as grid cells. */
export interface ModelGroup extends Omit<StatusGroup, 'nodes' | 'lastFailover'> {
  /** By node name; a node the group does not list has no cell (blank in the grid). */
  cells: Record<string, ModelCell>;
  /** Its active node is dead: epoch ms when the group lease runs out and another node may take over (null: not read). */
  takeoverAt: number | null;
  /** Its active node is dead and another node already holds the group lease: that node, bringing the group up. */
  takeoverBy: string | null;
}

export interface ModelWarning {
  time: string;
  namespace: string;
  object: string;
  reason: string;
  message: string;
  node: string | null;
  code: number | null;
  count: number;
}

export interface DashboardModel {
  kind: 'DashboardModel';
  /** Epoch ms the model was built at: the page counts lease time down from it. */
  now: number;
  healthy: boolean;
  problems: string[];
  nodes: ModelNode[];
  groups: ModelGroup[];
  /** Newest last, as `winha history`. */
  timeline: HistoryRow[];
  /** Newest first. */
  warnings: ModelWarning[];
  /** Whether this server accepts actions (a token is still needed for each). */
  actions: boolean;
  /** `winha sync`s, when there are any. */
  syncs?: StatusSync[];
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function leaseExpiry(l: LeaseRecord | undefined, node: string): number | null {
  if (!l || l.holder !== node) return null;
  const t = Date.parse(l.renewTime);
  return Number.isNaN(t) ? null : t + l.leaseDurationSeconds * 1000;
}

function takeover(g: StatusGroup, l: LeaseRecord | undefined): Pick<ModelGroup, 'takeoverAt' | 'takeoverBy'> {
  if (g.ready.reason !== 'ActiveNodeDead' || !g.activeNode) return { takeoverAt: null, takeoverBy: null };
  const by = l && l.holder !== '' && l.holder !== g.activeNode ? l.holder : null;
  return { takeoverAt: by ? null : leaseExpiry(l, g.activeNode), takeoverBy: by };
}

function toneOf(state: string, nodeState: ModelNode['state'] | undefined): ModelCell['tone'] {
  // A dead node serves nothing, whatever it last wrote: its cell is red until another node writes it.
  if (nodeState === 'Dead') return 'bad';
  if (state === 'ISP') return 'ok';
  if (state === 'ISU') return 'warn';
  if (state === 'OSU') return 'standby';
  if (state === 'OSF') return 'bad';
  return 'unknown';
}

function warningsOf(events: StoredObject[]): ModelWarning[] {
  return events
    .filter((e) => e['type'] === 'Warning')
    .map((e): ModelWarning => {
      const inv = rec(e['involvedObject']);
      return {
        time: str(e['lastTimestamp']) ?? e.metadata.creationTimestamp,
        namespace: e.metadata.namespace,
        object: `${str(inv['kind']) ?? '?'}/${str(inv['name']) ?? '?'}`,
        reason: str(e['reason']) ?? '?',
        message: str(e['message']) ?? '',
        node: str(e['node']),
        code: num(e['code']),
        count: num(e['count']) ?? 1,
      };
    })
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.object.localeCompare(b.object)))
    .slice(0, WARNING_LIMIT);
}

export function buildDashboardModel(input: DashboardInput, actions = false): DashboardModel {
  const view = buildStatusView(input);
  const nodes: ModelNode[] = [];
  const seen = new Set<string>();
  for (const c of view.clusters)
    for (const n of c.nodes) {
      if (seen.has(n.name)) continue;
      seen.add(n.name);
      nodes.push({
        name: n.name,
        cluster: c.name,
        state: n.state,
        maintenance: n.maintenance || c.maintenance,
        leaseExpiresAt: leaseExpiry(input.leases.get(nodeLeaseKey(c.namespace, c.name, n.name)), n.name),
      });
    }
  const nodeState = new Map(nodes.map((n) => [n.name, n.state]));
  const groups = view.groups.map((g): ModelGroup => {
    const cells: Record<string, ModelCell> = {};
    for (const n of g.nodes) {
      // A node no Cluster declares still gets its column: the group names it.
      if (!seen.has(n.name)) {
        seen.add(n.name);
        nodes.push({ name: n.name, cluster: '', state: 'Unknown', maintenance: false, leaseExpiresAt: null });
      }
      cells[n.name] = {
        node: n.name,
        state: n.state,
        tone: toneOf(n.state, nodeState.get(n.name)),
        active: g.activeNode === n.name,
        bannedUntil: n.bannedUntil,
      };
    }
    return {
      namespace: g.namespace,
      name: g.name,
      cluster: g.cluster,
      desiredState: g.desiredState,
      phase: g.phase,
      activeNode: g.activeNode,
      epoch: g.epoch,
      ready: g.ready,
      degraded: g.degraded,
      warnings: g.warnings,
      cells,
      mirrors: g.mirrors,
      ...takeover(g, input.groupLeases?.get(`${g.namespace}/${g.name}`)),
    };
  });
  const timeline = historyRows(input.groups);
  return {
    kind: 'DashboardModel',
    now: input.now,
    healthy: view.healthy,
    problems: view.problems,
    nodes,
    groups,
    timeline: timeline.slice(Math.max(0, timeline.length - TIMELINE_LIMIT)),
    warnings: warningsOf(input.events),
    actions,
    ...(view.syncs ? { syncs: view.syncs } : {}),
  };
}

/** The model without what moves by itself (the time, lease expiries): equal when nothing a person sees changed. */
export function modelSignature(m: DashboardModel): string {
  return JSON.stringify({ ...m, now: 0, nodes: m.nodes.map((n) => ({ ...n, leaseExpiresAt: 0 })) });
}

/** The lease expiries alone, sent between models so the countdown follows renewals. */
export function leaseTimes(m: DashboardModel): Record<string, number | null> {
  return Object.fromEntries(m.nodes.map((n) => [n.name, n.leaseExpiresAt]));
}

export interface ModelResource {
  kind: 'Mirror' | 'VirtualIP' | 'IISSite';
  name: string;
  /** One line: the volume and direction, the address, the site name and bindings. */
  summary: string;
  /** Per node what the agents observed (present, Started, source, …). */
  nodes: { name: string; text: string }[];
  conditions: StatusCondition[];
  /** The last quick or deep check (sites): result and kit code. */
  lastCheck: { result: string; code: number | null; time: string } | null;
}

export interface GroupPage {
  kind: 'GroupPage';
  now: number;
  group: ModelGroup;
  /** Start order: mirrors, then virtual IPs, then sites (a site needs its address and its volume). */
  resources: ModelResource[];
  conditions: StatusCondition[];
  history: HistoryRow[];
}

const RANK = { Mirror: 0, VirtualIP: 1, IISSite: 2 } as const;

function conditionsOf(o: StoredObject): StatusCondition[] {
  const list = rec(o.status)['conditions'];
  if (!Array.isArray(list)) return [];
  return list.map(rec).map((c) => {
    const out: StatusCondition = { type: String(c['type']), status: str(c['status']) ?? 'Unknown' };
    if (str(c['reason'])) out.reason = str(c['reason'])!;
    if (str(c['message'])) out.message = str(c['message'])!;
    if (num(c['code']) !== null) out.code = num(c['code'])!;
    return out;
  });
}

function resourceOf(o: StoredObject, kind: ModelResource['kind']): ModelResource {
  const spec = rec(o.spec);
  const st = rec(o.status);
  const nodes = (Array.isArray(st['nodes']) ? st['nodes'] : []).map(rec);
  let summary: string;
  let perNode: ModelResource['nodes'];
  let lastCheck: ModelResource['lastCheck'] = null;
  if (kind === 'Mirror') {
    summary = `${str(spec['volume']) ?? '?'} ${str(spec['mode']) ?? ''}`.trim();
    perNode = nodes.map((n) => ({
      name: String(n['name']),
      text: [str(n['role']), num(n['resyncPercent']) !== null ? `${num(n['resyncPercent'])}%` : null].filter(Boolean).join(' '),
    }));
  } else if (kind === 'VirtualIP') {
    summary = `${str(spec['address']) ?? '?'}/${num(spec['prefixLength']) ?? '?'} on ${str(spec['interface']) ?? '?'}`;
    perNode = nodes.map((n) => ({
      name: String(n['name']),
      text: n['present'] === true ? `present${str(n['addressState']) ? ` (${str(n['addressState'])})` : ''}` : 'absent',
    }));
  } else {
    const bindings = (Array.isArray(spec['bindings']) ? spec['bindings'] : []).map(rec);
    summary = `${str(spec['siteName']) ?? o.metadata.name} ${bindings.map((b) => `${String(b['protocol'])}://${String(b['address'])}:${String(b['port'])}`).join(' ')}`;
    perNode = nodes.map((n) => ({ name: String(n['name']), text: n['exists'] === false ? 'missing' : (str(n['state']) ?? 'Unknown') }));
    const checks = [rec(st['lastQuickCheck']), rec(st['lastDeepCheck'])].filter((c) => str(c['time']));
    const last = checks.sort((a, b) => String(a['time']).localeCompare(String(b['time']))).pop();
    if (last) lastCheck = { result: str(last['result']) ?? '?', code: num(last['code']), time: String(last['time']) };
  }
  return { kind, name: o.metadata.name, summary, nodes: perNode, conditions: conditionsOf(o), lastCheck };
}

/** The group page, or null when the group is not in the store. */
export function buildGroupPage(input: DashboardInput, namespace: string, name: string): GroupPage | null {
  const g = input.groups.find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
  if (!g) return null;
  const model = buildDashboardModel({ ...input, groups: [g] });
  const mine = (o: StoredObject) => o.metadata.namespace === namespace && rec(o.spec)['group'] === name;
  const resources = [
    ...input.mirrors.filter(mine).map((o) => resourceOf(o, 'Mirror')),
    ...input.vips.filter(mine).map((o) => resourceOf(o, 'VirtualIP')),
    ...input.sites.filter(mine).map((o) => resourceOf(o, 'IISSite')),
  ].sort((a, b) => RANK[a.kind] - RANK[b.kind] || a.name.localeCompare(b.name));
  return {
    kind: 'GroupPage',
    now: input.now,
    group: model.groups[0]!,
    resources,
    conditions: conditionsOf(g),
    history: historyRows([g]),
  };
}
