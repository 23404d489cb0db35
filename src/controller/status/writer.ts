/**
 * Every store write of a group's reconcile besides events: the group's status, its resources' status, this
 * node's own history, check results and the switchover request's end. Each reads the latest object and writes
 * only a change (store/status-update.ts); the pure mutations live beside this file and in src/reconcilers.
 */
import type { FailoverGroup, IISSite } from '../../api/types.js';
import type { IpAddressInfo, SiteInfo } from '../../drivers/types.js';
import type { Clock } from '../../lib/clock.js';
import { canonicalIp } from '../../lib/ip.js';
import { isStoreError } from '../../store/errors.js';
import { updateStatusWith, upsertByName } from '../../store/status-update.js';
import type { Store, StoredObject } from '../../store/types.js';
import { mirrorStatus, type MirrorLocal } from '../../reconcilers/mirror.js';
import { withUnknownNode, type Ownership } from '../../reconcilers/resource-status.js';
import { siteStatus } from '../../reconcilers/iis-site.js';
import { virtualIpStatus } from '../../reconcilers/virtual-ip.js';
import type { GroupSnapshot } from '../decision-input.js';
import type { Decision, DecisionInput, NodeHistory } from '../decision-types.js';
import type { AgentLogger } from '../logger.js';
import { ANNOTATIONS, parseSwitchoverRequest } from '../requests.js';
import { groupStatus, silentMembers, type Takeover } from './group-status.js';
import { nodeHistoryEntry, parseNodeHistory } from './node-history.js';
import { iso } from './time.js';
import { appendHistory, parseHistory, type HistoryEntry } from './group-history.js';

type GroupStatus = NonNullable<FailoverGroup['status']>;

/** What this node saw on its host this cycle, for the status it reports. */
export interface HostReport {
  sites: ReadonlyMap<string, SiteInfo>;
  addrs: readonly IpAddressInfo[];
  mirrors: Map<string, MirrorLocal>;
}

export class StatusWriter {
  /** The resourceVersion of each object as this writer last wrote or read it (updateStatusWith's `confirmed`). */
  private readonly confirmed = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: AgentLogger,
  ) {}

  /** An informer-cached object for updateStatusWith: trusted when it is the version this writer last saw. */
  private cache(
    o: { metadata: { resourceVersion?: string } },
    wrote?: () => void,
  ): { object: StoredObject; confirmed: Map<string, string>; wrote?: () => void } {
    return { object: o as unknown as StoredObject, confirmed: this.confirmed, ...(wrote ? { wrote } : {}) };
  }

  /** Write this node's history through `f` (and its state, if given); what was written (undefined when the store refused it). */
  async ownHistory(
    group: FailoverGroup,
    f: (h: NodeHistory) => NodeHistory,
    state?: 'UNKNOWN',
    groupEntry?: HistoryEntry,
    also?: (st: GroupStatus) => GroupStatus,
  ): Promise<{ rv: string; history: NodeHistory } | undefined> {
    let written: NodeHistory | undefined;
    try {
      await this.updateGroup(group, (st) => {
        const cur = st.nodes?.find((n) => n.name === this.node);
        written = f(parseNodeHistory(cur));
        const entry = nodeHistoryEntry(this.node, state ?? cur?.state ?? 'UNKNOWN', written);
        const nodes = upsertByName(st.nodes as { name: string }[] | undefined, entry) as GroupStatus['nodes'];
        // A ban goes into the group's history in the same write (issue 18 item 2).
        const history = groupEntry ? { history: appendHistory(parseHistory(st.history), [groupEntry]) as GroupStatus['history'] } : {};
        const next = { ...st, nodes, ...history };
        return also ? also(next) : next;
      });
      return written ? { rv: group.metadata.resourceVersion ?? '', history: written } : undefined;
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot record node history');
      return undefined;
    }
  }

  /** One read-modify-write of the group's status. */
  private updateGroup(group: FailoverGroup, fn: (st: GroupStatus) => GroupStatus): Promise<unknown> {
    return updateStatusWith<GroupStatus>(
      this.store.objects,
      'FailoverGroup',
      group.metadata.namespace ?? 'default',
      group.metadata.name,
      fn,
    );
  }

  /** Add `entries` to the group's history: one write (a self-fence reported once the store answers again). */
  async appendHistory(group: FailoverGroup, entries: readonly HistoryEntry[]): Promise<void> {
    try {
      await this.updateGroup(group, (st) => ({ ...st, history: appendHistory(parseHistory(st.history), entries) }));
    } catch (err) {
      this.log.warn({ err: String(err) }, 'cannot record group history');
    }
  }

  /** End the switchover request `id` (only that one: the operator may have asked again meanwhile). */
  async clearSwitchover(group: FailoverGroup, id: string): Promise<void> {
    for (let i = 0; i < 5; i++) {
      try {
        const cur = await this.store.objects.get('FailoverGroup', group.metadata.namespace ?? 'default', group.metadata.name);
        const req = parseSwitchoverRequest(cur);
        if (!req || req.id !== id) return;
        const ann = { ...(cur.metadata.annotations ?? {}) };
        delete ann[ANNOTATIONS.switchover];
        await this.store.objects.update({ ...cur, metadata: { ...cur.metadata, annotations: ann } });
        return;
      } catch (err) {
        if (!isStoreError(err, 'Conflict')) return;
      }
    }
  }

  /** Only the result is kept, not the time, so a passing check every 10 s writes nothing (no churn, C7). */
  async siteCheck(s: IISSite, field: 'lastQuickCheck' | 'lastDeepCheck', result: string, code?: number): Promise<void> {
    try {
      await updateStatusWith<Record<string, unknown>>(
        this.store.objects,
        'IISSite',
        s.metadata.namespace ?? 'default',
        s.metadata.name,
        (st) => {
          const prev = st[field] as { result?: string; code?: number } | undefined;
          if (prev && prev.result === result && prev.code === code) return st;
          return { ...st, [field]: { time: iso(this.clock.now()), result, ...(code !== undefined ? { code } : {}) } };
        },
        this.cache(s),
      );
    } catch {
      // best effort: the next check writes again
    }
  }

  /** The group's status and this node's report on each mirror; `tookOver` once lastFailover is written. */
  async group(
    snap: GroupSnapshot,
    decision: Decision,
    input: DecisionInput,
    heldEpoch: number | undefined,
    takeover: Takeover | undefined,
    host: HostReport,
    tookOver: () => void,
  ): Promise<boolean> {
    let wrote = false;
    const mark = () => (wrote = true);
    const { group, mirrors } = snap;
    const ns = group.metadata.namespace ?? 'default';
    let took = false;
    try {
      const facts = { node: this.node, decision, input, heldEpoch, takeover, now: this.clock.now(), nowIso: iso(this.clock.now()) };
      await updateStatusWith<GroupStatus>(
        this.store.objects,
        'FailoverGroup',
        ns,
        group.metadata.name,
        (st, obj) => {
          const r = groupStatus(st, obj, facts);
          took = r.tookOver;
          return r.status;
        },
        this.cache(group, mark),
      );
      if (took) tookOver();
      for (const m of mirrors) {
        const l = host.mirrors.get(m.metadata.name);
        if (!l) continue;
        await updateStatusWith<Record<string, unknown>>(
          this.store.objects,
          'Mirror',
          ns,
          m.metadata.name,
          (st) => mirrorStatus(st, m, this.node, l, heldEpoch),
          this.cache(m, mark),
        );
      }
    } catch (err) {
      this.log.warn({ group: `${ns}/${group.metadata.name}`, err: String(err) }, 'cannot write status');
    }
    return wrote;
  }

  /** IISSite and VirtualIP status: this node's observation, and activeNode/Ready from the holder. */
  async resources(snap: GroupSnapshot, decision: Decision, input: DecisionInput, holds: boolean, host: HostReport): Promise<boolean> {
    let wrote = false;
    const mark = () => (wrote = true);
    const own: Ownership = holds
      ? { kind: 'holder' }
      : decision.reportsStatus && decision.role !== 'paused' && (input.lease.holder === '' || input.lease.expired)
        ? { kind: 'reporterWithoutHolder' }
        : { kind: 'other' };
    const nowIso = iso(this.clock.now());
    // The reporting node also marks the members that cannot speak (their own entries would say what they last saw).
    const silent = own.kind === 'other' ? [] : silentMembers(input, this.node);
    try {
      for (const s of snap.sites) {
        const observed = host.sites.get(s.spec.siteName.toLowerCase());
        const ns = s.metadata.namespace ?? 'default';
        await updateStatusWith<Record<string, unknown>>(
          this.store.objects,
          'IISSite',
          ns,
          s.metadata.name,
          (st) =>
            silent.reduce((acc, n) => withUnknownNode(acc, n, 'state'), siteStatus(st, this.node, s.spec.siteName, observed, own, nowIso)),
          this.cache(s, mark),
        );
      }
      for (const v of snap.vips) {
        const observed = host.addrs.find((a) => a.address === canonicalIp(v.spec.address));
        const ns = v.metadata.namespace ?? 'default';
        await updateStatusWith<Record<string, unknown>>(
          this.store.objects,
          'VirtualIP',
          ns,
          v.metadata.name,
          (st) =>
            silent.reduce(
              (acc, n) => withUnknownNode(acc, n, 'addressState'),
              virtualIpStatus(
                st,
                this.node,
                v.spec.address,
                observed,
                own,
                nowIso,
                input.local.vips.find((x) => x.name === v.metadata.name),
              ),
            ),
          this.cache(v, mark),
        );
      }
    } catch (err) {
      this.log.warn({ group: snap.group.metadata.name, err: String(err) }, 'cannot write site or address status');
    }
    return wrote;
  }
}
