/**
 * Pure: what one node knows about one group at one instant → decide()'s input. The cache snapshot (spec and
 * status), the group lease and node liveness as this node observed them, its own host, and the facts its agent
 * remembers between cycles (failures not yet acted on, the last safety probe, its own history just written).
 * Golden cases: test/controller/decision-input/.
 */
import { DEFAULT_ASYNC_FAILOVER, DEFAULT_FAILURE_POLICY, DEFAULT_MIRROR_MODE, DEFAULT_SWITCHBACK } from '../api/defaults.js';
import type { Cluster, FailoverGroup, IISSite, Mirror, VirtualIP } from '../api/types.js';
import type { LeaseRecord } from '../store/types.js';
import { canonicalIp } from '../lib/ip.js';
import type { MirrorLocal } from '../reconcilers/mirror.js';
import { volumeLetter } from '../reconcilers/mirror.js';
import type { DecisionInput, LocalView, MirrorView, NodeHistory, SafetyCheckResult } from './decision-types.js';
import { inMaintenance, nodesInMaintenance, parseSwitchoverRequest } from './requests.js';
import { parseHistories } from './status/node-history.js';
import type { Timing } from './timing.js';

/** One group and what belongs to it, from the informer cache. */
export interface GroupSnapshot {
  group: FailoverGroup;
  cluster: Cluster | undefined;
  sites: IISSite[];
  vips: VirtualIP[];
  mirrors: Mirror[];
}

/** The group lease as this node saw it this cycle. */
export interface LeaseFacts {
  /** null: never held, or the store did not answer. */
  lease: LeaseRecord | null;
  /** What is left of it by the store's clock (0: expired). */
  remainingMs: number;
  /** This node holds it but could not renew it within renewDeadline. */
  lostBySelf: boolean;
}

/** This node's host, as the group's reconcilers observed it. */
export interface HostFacts {
  sites: LocalView['sites'];
  vips: LocalView['vips'];
  mirrors: Map<string, MirrorLocal>;
}

/** What the agent remembers about the group between cycles (lost on restart, by design). */
export interface RememberedFacts {
  failure?: LocalView['failure'];
  activationFailed?: LocalView['activationFailed'];
  recoveryFailed?: LocalView['recoveryFailed'];
  deactivationFailed?: LocalView['deactivationFailed'];
  safetyCheck?: SafetyCheckResult;
  /** Its own history as last written, until the cache shows that write (a self-ban must hold at once). */
  ownHistory?: NodeHistory;
}

export interface InputFacts {
  node: string;
  /** Epoch ms. */
  now: number;
  timing: Timing;
  snapshot: GroupSnapshot;
  lease: LeaseFacts;
  alive: Record<string, boolean>;
  /** How long each live member has been up without a break, by this node's observation (for switchback damping). */
  aliveForMs?: Record<string, number>;
  host: HostFacts;
  remembered: RememberedFacts;
}

/** Maintenance as the Cluster, the group and the node's own entry declare it (spec or `winha maintenance`). */
export function maintenanceOf(
  s: Pick<GroupSnapshot, 'group' | 'cluster'>,
  node: string,
): { cluster: boolean; group: boolean; node: boolean } {
  return {
    cluster: inMaintenance(s.cluster),
    group: inMaintenance(s.group),
    node: nodesInMaintenance(s.cluster).has(node),
  };
}

export function buildDecisionInput(f: InputFacts): DecisionInput {
  const { group, cluster, mirrors } = f.snapshot;
  const maintNodes = nodesInMaintenance(cluster);
  const nodes: DecisionInput['nodes'] = {};
  for (const n of group.spec.nodes.map((x) => x.name)) {
    const aliveFor = f.aliveForMs?.[n];
    nodes[n] = { alive: f.alive[n] ?? false, maintenance: maintNodes.has(n), ...(aliveFor !== undefined ? { aliveForMs: aliveFor } : {}) };
  }
  const { lease } = f.lease;
  const expired = !lease || lease.holder === '' || f.lease.remainingMs === 0;
  const leaseView: DecisionInput['lease'] = lease
    ? {
        holder: f.lease.lostBySelf ? f.node : lease.holder,
        epoch: lease.epoch,
        expired,
        ...(expired && lease.holder ? { expiredAt: f.now } : {}),
      }
    : { holder: '', epoch: 0, expired: true };
  const history = parseHistories(group.status);
  if (f.remembered.ownHistory) history[f.node] = f.remembered.ownHistory;
  const r = f.remembered;
  const local: LocalView = {
    observed: true,
    sites: f.host.sites,
    vips: f.host.vips,
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.activationFailed ? { activationFailed: r.activationFailed } : {}),
    ...(r.recoveryFailed ? { recoveryFailed: r.recoveryFailed } : {}),
    ...(r.deactivationFailed ? { deactivationFailed: r.deactivationFailed } : {}),
  };
  const m = maintenanceOf(f.snapshot, f.node);
  const fp = group.spec.failurePolicy ?? {};
  const sw = parseSwitchoverRequest(group);
  const status = group.status ?? {};
  return {
    now: f.now,
    self: f.node,
    clusterMaintenance: m.cluster,
    safetyCheckEnabled: cluster?.spec?.safetyCheck?.enabled ?? true,
    safetyCheckMaxAgeMs: f.timing.retryMs,
    group: {
      name: group.metadata.name,
      nodes: group.spec.nodes.map((n) => ({ name: n.name, priority: n.priority })),
      switchback: group.spec.switchback ?? DEFAULT_SWITCHBACK,
      autoFailover: group.spec.autoFailover ?? true,
      desiredState: group.spec.desiredState ?? 'InService',
      maintenance: m.group,
      restartLimit: fp.restartLimit ?? DEFAULT_FAILURE_POLICY.restartLimit,
      restartWindowSeconds: fp.restartWindowSeconds ?? DEFAULT_FAILURE_POLICY.restartWindowSeconds,
      failureExpirySeconds: fp.failureExpirySeconds ?? DEFAULT_FAILURE_POLICY.failureExpirySeconds,
      ...(fp.transientRetryLimit !== undefined ? { transientRetryLimit: fp.transientRetryLimit } : {}),
      ...(fp.transientRetryDelaySeconds !== undefined ? { transientRetryDelaySeconds: fp.transientRetryDelaySeconds } : {}),
      ...(group.spec.switchbackDelaySeconds !== undefined ? { switchbackDelaySeconds: group.spec.switchbackDelaySeconds } : {}),
    },
    nodes,
    history,
    lease: leaseView,
    ...(f.lease.lostBySelf ? { leaseLostBySelf: true } : {}),
    ...(status.activeNode ? { activeNode: status.activeNode } : {}),
    mirrors: mirrorViews(f.node, mirrors, f.host.mirrors, (n) => nodes[n]?.alive ?? false),
    local,
    ...(r.safetyCheck ? { safetyCheck: r.safetyCheck } : {}),
    ...(sw ? { switchover: sw } : {}),
  };
}

/**
 * The mirrors as this node sees them. Other nodes' role reports count only while those nodes are alive: a crashed
 * source's last report is history, not a second source (its DataKeeper turns it into a target when it boots and
 * can reach the new source, docs/spec/seed003-dk-guide-troubleshooting.md §4.2; if it cannot, its agent reports Source again, alive).
 */
export function mirrorViews(
  node: string,
  mirrors: Mirror[],
  local: Map<string, MirrorLocal>,
  alive: (node: string) => boolean,
): MirrorView[] {
  return mirrors.map((m) => {
    const st: NonNullable<Mirror['status']> = m.status ?? {};
    const reports = (st.nodes ?? []).filter((n) => n.name !== node && alive(n.name));
    const claimed = new Set(reports.filter((n) => n.role === 'Source').map((n) => n.name));
    const prepared =
      st.source !== undefined
        ? reports
            .filter((n) => n.role === 'None')
            .map((n) => n.name)
            .sort()
        : [];
    const mine = local.get(m.metadata.name);
    if (mine?.role === 'source') claimed.add(node);
    const v: MirrorView = {
      name: m.metadata.name,
      volume: volumeLetter(m.spec.volume),
      targets: Object.fromEntries((st.targets ?? []).map((x) => [x.name, x.state])),
      claimedSources: [...claimed].sort(),
    };
    if (st.source) v.source = st.source;
    if (st.sourceEpoch !== undefined) v.sourceEpoch = st.sourceEpoch;
    if (st.recordedBy) v.recordedBy = st.recordedBy;
    if (st.unsupervisedBy) v.unsupervisedBy = st.unsupervisedBy;
    if (mine) v.local = { role: mine.role, state: mine.state };
    if (prepared.length > 0) v.preparedTargets = prepared;
    if (mine?.role === 'source') {
      // Multi-target: a live endpoint that says it has no mirror role gets one from this source.
      const mirrored = new Set(
        mine.targets.map((t) => m.spec.endpoints.find((e) => canonicalIp(e.address) === canonicalIp(t.address))?.node),
      );
      const none = new Set(reports.filter((n) => n.role === 'None').map((n) => n.name));
      const unmirrored = m.spec.endpoints.map((e) => e.node).filter((n) => n !== node && none.has(n) && !mirrored.has(n));
      if (unmirrored.length > 0) v.unmirrored = unmirrored;
    }
    if ((mine?.mode ?? m.spec.mode ?? DEFAULT_MIRROR_MODE) === 'Asynchronous') {
      v.mode = 'Asynchronous';
      v.asyncFailover = m.spec.asyncFailover ?? DEFAULT_ASYNC_FAILOVER;
      const queued = (st.targets ?? []).filter((x) => x.queuedWrites !== undefined).map((x) => [x.name, x.queuedWrites!]);
      if (queued.length > 0) v.queuedWrites = Object.fromEntries(queued) as Record<string, number>;
    }
    return v;
  });
}
