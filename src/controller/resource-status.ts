/**
 * Per-resource status (design §2) as pure mutations: each node writes its own
 * entry in `nodes[]` of a VirtualIP, IISSite and Cluster; the group's holder
 * writes `activeNode` and the Ready condition (with no holder, the group's
 * reporting node clears them). Only observed facts go in — no timestamps that
 * move by themselves — so a steady cluster writes nothing (C7).
 */
import type { IpAddressInfo, SiteInfo } from '../drivers/types.js';
import { mergeConditions, upsertByName } from './status-writer.js';

type Status = Record<string, unknown>;

/** Who this node is for the group right now, as far as resource status goes. */
export type Ownership = { kind: 'holder' } | { kind: 'reporterWithoutHolder' } | { kind: 'other' };

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

function withOwnership(st: Status, node: string, own: Ownership, ready: Condition, nowIso: string): Status {
  const next = { ...st };
  if (own.kind === 'holder') next['activeNode'] = node;
  else if (own.kind === 'reporterWithoutHolder') delete next['activeNode'];
  else return next;
  const others = ((st['conditions'] as Condition[] | undefined) ?? []).filter((c) => c.type !== 'Ready');
  next['conditions'] = [...mergeConditions(st['conditions'] as Condition[] | undefined, [ready], nowIso), ...others];
  return next;
}

export function virtualIpStatus(st: Status, node: string, address: string, observed: IpAddressInfo | undefined, own: Ownership, nowIso: string): Status {
  const entry: Record<string, unknown> = { name: node, present: !!observed };
  if (observed) {
    entry['addressState'] = observed.addressState;
    entry['interface'] = observed.interfaceAlias;
  }
  const next = { ...st, nodes: upsertByName(st['nodes'] as { name: string }[] | undefined, entry as { name: string }) };
  const up = observed?.addressState === 'Preferred';
  const ready: Condition =
    own.kind === 'holder'
      ? up
        ? { type: 'Ready', status: 'True', reason: 'Configured', message: `${address} is up on ${node}` }
        : { type: 'Ready', status: 'False', reason: observed ? `Address${observed.addressState}` : 'NotConfigured', message: `${address} is ${observed ? observed.addressState : 'not configured'} on ${node}` }
      : { type: 'Ready', status: 'False', reason: 'NoActiveNode', message: `${address} is not served by any node` };
  return withOwnership(next, node, own, ready, nowIso);
}

export function siteStatus(st: Status, node: string, siteName: string, observed: SiteInfo | undefined, own: Ownership, nowIso: string): Status {
  const entry: Record<string, unknown> = { name: node, exists: !!observed };
  if (observed) {
    entry['state'] = observed.state;
    entry['serverAutoStart'] = observed.serverAutoStart;
  }
  const next = { ...st, nodes: upsertByName(st['nodes'] as { name: string }[] | undefined, entry as { name: string }) };
  const started = observed?.state === 'Started';
  const ready: Condition =
    own.kind === 'holder'
      ? started
        ? { type: 'Ready', status: 'True', reason: 'Started', message: `${siteName} runs on ${node}` }
        : { type: 'Ready', status: 'False', reason: observed ? 'NotStarted' : 'NotFound', message: `${siteName} is ${observed ? observed.state : 'missing from IIS'} on ${node}` }
      : { type: 'Ready', status: 'False', reason: 'NoActiveNode', message: `${siteName} is not served by any node` };
  return withOwnership(next, node, own, ready, nowIso);
}

/** Cluster `nodes[]`: Alive/Dead from node leases, as one observer sees them. */
export function clusterNodesStatus(st: Status, states: Record<string, 'Alive' | 'Dead'>): Status {
  let nodes = st['nodes'] as { name: string; state?: string }[] | undefined;
  for (const [name, state] of Object.entries(states)) {
    const cur = nodes?.find((n) => n.name === name);
    nodes = upsertByName(nodes, { ...(cur ?? {}), name, state });
  }
  return { ...st, nodes };
}
