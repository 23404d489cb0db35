/**
 * Writes lost on asynchronous mirrors, accounted apart from noLostWrites' synchronous ones (issue 13 item 7).
 * An asynchronous mirror acknowledges a write once it is queued (docs/spec/seed003-datakeeper.md §2.5): when
 * the source fails, a promoted target lacks the queued tail. That is the mode's documented price, so under
 * `asyncFailover: Allow`, or after an operator's --force, the loss is reported (count in the run report),
 * not a violation. Under Refuse without force the agent broke the policy: noLostWrites fails.
 */
import type { HistoryEntry } from './history.js';
import type { Observation } from './target.js';
import { resolveRef, type Topology } from '../world/topology.js';

/** The writes one promotion of an asynchronous target lost. */
export interface AsyncLossEntry {
  volume: string;
  /** The source that lacks them (the promoted target). */
  host: string;
  /** Virtual ms since the run's start when the loss was first seen. */
  at: number;
  writes: number;
  policy: 'Allow' | 'Refuse';
  /** An operator's --force licensed the promotion. */
  forced: boolean;
}

export interface AsyncLossViolation {
  invariant: 'noLostWrites';
  at: number;
  node: string;
  volume: string;
  message: string;
}

export class AsyncLossAccount {
  private readonly entries: AsyncLossEntry[] = [];
  private readonly reported = new Set<string>();
  /** Operator licences (--force) not yet used, by volume letter. */
  private readonly licences = new Map<string, Set<string>>();
  /** How each host last became source of each volume, by `letter|host`. */
  private readonly promotions = new Map<string, { forced: boolean }>();
  private readonly roles = new Map<string, string>();

  constructor(
    private readonly topology: Topology,
    private readonly origin: number,
  ) {}

  /** The losses so far, oldest first. */
  report(): AsyncLossEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  onOperator(e: Extract<HistoryEntry, { kind: 'operator' }>): void {
    const a = e.action;
    if (a.action !== 'switchover' || !a.force || !e.accepted) return;
    const g = resolveRef(this.topology.groups, a.group);
    for (const v of g?.volumes ?? []) this.licence(v).add(a.to);
  }

  onManual(e: Extract<HistoryEntry, { kind: 'manual' }>): void {
    const a = e.action;
    if (e.accepted && a.action === 'switchoverMirror' && a.force) this.licence(a.volume).add(a.node);
  }

  observe(o: Observation): AsyncLossViolation[] {
    for (const v of o.world.volumes) {
      const k = `${v.volume}|${v.host}`;
      const before = this.roles.get(k);
      if (v.role === 'source' && before !== undefined && before !== 'source') {
        const lic = this.licence(v.volume);
        this.promotions.set(k, { forced: lic.delete(v.host) });
      }
      this.roles.set(k, v.role);
    }
    const out: AsyncLossViolation[] = [];
    for (const l of o.world.lostAsyncWrites ?? []) {
      const fresh = l.writeIds.filter((id) => !this.reported.has(`${l.volume}|${l.host}|${id}`));
      if (fresh.length === 0) continue;
      for (const id of fresh) this.reported.add(`${l.volume}|${l.host}|${id}`);
      const policy = this.topology.mirrors.find((m) => m.volume === l.volume)?.asyncFailover ?? 'Allow';
      const forced = this.promotions.get(`${l.volume}|${l.host}`)?.forced ?? false;
      const at = o.at - this.origin;
      const last = this.entries.find((e) => e.volume === l.volume && e.host === l.host && e.forced === forced && e.policy === policy);
      if (last) last.writes += fresh.length;
      else this.entries.push({ volume: l.volume, host: l.host, at, writes: fresh.length, policy, forced });
      if (policy === 'Refuse' && !forced) {
        out.push({
          invariant: 'noLostWrites',
          at: o.at,
          node: l.host,
          volume: l.volume,
          message: `source ${l.host} of ${l.volume}: lacks ${fresh.length} write${fresh.length === 1 ? '' : 's'} its asynchronous mirror had queued, although the Mirror has asyncFailover: Refuse and no operator forced the promotion (ids ${fresh.slice(0, 8).join(', ')}${fresh.length > 8 ? ', …' : ''})`,
        });
      }
    }
    return out;
  }

  private licence(letter: string): Set<string> {
    let s = this.licences.get(letter);
    if (!s) {
      s = new Set();
      this.licences.set(letter, s);
    }
    return s;
  }
}

/** One line per loss for the text report. */
export function asyncLossLines(entries: readonly AsyncLossEntry[]): string[] {
  return entries.map(
    (e) =>
      `  ${e.volume}: on ${e.host}: ${e.writes} queued write${e.writes === 1 ? '' : 's'} lost (asyncFailover: ${e.policy}${e.forced ? ', forced by the operator' : ''})`,
  );
}
