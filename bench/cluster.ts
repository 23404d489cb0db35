/**
 * Shared by the failover and scale benchmarks: a two-node cluster with N
 * groups, each a VirtualIP and `sitesPerGroup` Managed IIS sites (no Mirror:
 * a volume has one drive letter, so hundreds of groups cannot each have a
 * mirror; DataKeeper's own switchover time is reported by the E5 scenarios),
 * run by the real agents on simulated hosts (src/sim/harness/agent-target.ts).
 */
import type { Clock } from '../src/lib/clock.js';
import { AgentTarget, type AgentTargetOptions } from '../src/sim/harness/agent-target.js';
import type { GroupObservation } from '../src/sim/scenario/target.js';
import type { WorldRequest } from '../src/drivers/sim/world-protocol.js';
import { realAgents } from '../src/cli/agent-factory.js';

export const LEASE_15 = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

export function manifests(groups: number, sitesPerGroup: number, timing = LEASE_15): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'prod', namespace: 'default' },
      spec: {
        nodes: [
          { name: 'node1', address: '192.168.10.11', interfaces: [{ name: 'Public', role: 'public' }] },
          { name: 'node2', address: '192.168.10.12', interfaces: [{ name: 'Public', role: 'public' }] },
        ],
        timing,
      },
    },
  ];
  for (let g = 0; g < groups; g++) {
    const vip = `10.${1 + (g >> 8)}.${g & 255}.50`;
    out.push(
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'FailoverGroup',
        metadata: { name: `g${g}`, namespace: 'default' },
        spec: {
          nodes: [
            { name: 'node1', priority: 1 },
            { name: 'node2', priority: 10 },
          ],
        },
      },
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'VirtualIP',
        metadata: { name: `g${g}-vip`, namespace: 'default' },
        spec: { group: `g${g}`, address: vip, prefixLength: 24, interface: 'Public' },
      },
    );
    for (let s = 0; s < sitesPerGroup; s++) {
      out.push({
        apiVersion: 'winha.io/v1alpha1',
        kind: 'IISSite',
        metadata: { name: `g${g}-site${s}`, namespace: 'default' },
        spec: {
          group: `g${g}`,
          siteName: `g${g}-site${s}`,
          bindings: [{ protocol: 'http', address: vip, port: 80, hostHeader: `site${s}.g${g}.example.com` }],
          physicalPath: `C:\\inetpub\\g${g}\\site${s}`,
        },
      });
    }
  }
  return out;
}

export interface ClusterOptions {
  clock?: Clock;
  seed?: number;
  timing?: typeof LEASE_15;
  logger?: AgentTargetOptions['logger'];
  onWorldCall?: AgentTargetOptions['onWorldCall'];
  workers?: number;
  wrapDriver?: AgentTargetOptions['wrapDriver'];
}

export async function startCluster(groups: number, sitesPerGroup: number, opts: ClusterOptions = {}): Promise<AgentTarget> {
  const silent = () => ({ info: () => undefined, warn: () => undefined, error: () => undefined });
  const t = new AgentTarget({
    agentFactory: realAgents,
    ...(opts.clock ? { clock: opts.clock } : {}),
    logger: opts.logger ?? silent,
    ...(opts.onWorldCall ? { onWorldCall: opts.onWorldCall } : {}),
    ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.wrapDriver ? { wrapDriver: opts.wrapDriver } : {}),
  });
  await t.start({ objects: manifests(groups, sitesPerGroup, opts.timing), seed: opts.seed ?? 1 });
  return t;
}

/** Advance (or wait) in steps until every group is Ready on `node`; returns the observation times (clock ms) each became Ready. */
export async function untilReady(t: AgentTarget, node: string, stepMs: number, maxMs: number): Promise<Map<string, number>> {
  const readyAt = new Map<string, number>();
  const begin = t.now();
  for (;;) {
    const groups: GroupObservation[] = (await t.observe()).groups;
    for (const g of groups) if (!readyAt.has(g.name) && g.ready && g.activeNode === node) readyAt.set(g.name, t.now());
    if (groups.length > 0 && readyAt.size === groups.length) return readyAt;
    if (t.now() - begin > maxMs) throw new Error(`only ${readyAt.size} of ${groups.length} groups Ready on ${node} after ${maxMs} ms`);
    await t.advance(stepMs);
  }
}

export function stats(xs: number[]): { min: number; median: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { min: s[0]!, median: at(0.5), p99: at(0.99), max: s[s.length - 1]! };
}

/**
 * Decision → first host action of a takeover: from `node`'s decision to take a group (its decision log line with
 * actions) to its first host action for that group (adding the group's VIP), counted while `on()` says so.
 */
export class TakeoverLatency {
  private readonly decided = new Map<string, number>();
  private readonly acted = new Map<string, number>();
  private readonly groupOfVip = new Map<string, string>();

  constructor(
    groups: number,
    private readonly node: string,
    private readonly on: () => boolean,
    private readonly now: () => number,
  ) {
    for (let g = 0; g < groups; g++) this.groupOfVip.set(`10.${1 + (g >> 8)}.${g & 255}.50`, `default/g${g}`);
  }

  /** An agent's info log line. */
  decision(node: string, o: Record<string, unknown>): void {
    if (!this.on() || node !== this.node || typeof o['group'] !== 'string' || !Array.isArray(o['actions'])) return;
    if (o['actions'].length > 0 && !this.decided.has(o['group'])) this.decided.set(o['group'], this.now());
  }

  /** A host call that reached the simulated world. */
  worldCall(node: string, r: WorldRequest): void {
    if (!this.on() || node !== this.node || r.op !== 'net.add') return;
    const g = this.groupOfVip.get((r.args as { vip: { address: string } }).vip.address);
    if (g && !this.acted.has(g)) this.acted.set(g, this.now());
  }

  /** One figure per group that was both decided and acted on, ms. */
  latencies(): number[] {
    return [...this.acted].filter(([g]) => this.decided.has(g)).map(([g, at]) => at - this.decided.get(g)!);
  }
}
