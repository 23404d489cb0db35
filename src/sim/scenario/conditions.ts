/**
 * Whether a scenario condition holds in an observation, and, when it does
 * not, what was seen instead (the report says why a waitFor timed out).
 */
import { mirrorStateName } from './history.js';
import { MIRROR_STATE_CODE, type Condition, type EventMatch } from './model.js';
import type { EventObservation, GroupObservation, Observation } from './target.js';
import { resolveRef, type Topology } from '../world/topology.js';

export interface Verdict {
  holds: boolean;
  /** What was seen, in a few words. */
  seen: string;
}

export function describeCondition(c: Condition): string {
  switch (c.kind) {
    case 'group': {
      const parts = [
        c.activeNode !== undefined ? `activeNode=${c.activeNode}` : '',
        c.ready !== undefined ? `ready=${c.ready}` : '',
        c.phase !== undefined ? `phase=${c.phase}` : '',
        c.condition
          ? `condition ${c.condition.type}=${c.condition.status ?? 'True'}${c.condition.reason ? `/${c.condition.reason}` : ''}${c.condition.code ? `/${c.condition.code}` : ''}` +
            (c.condition.messageContains !== undefined ? ` message~${JSON.stringify(c.condition.messageContains)}` : '') +
            (c.condition.messageMatches !== undefined ? ` message=~/${c.condition.messageMatches}/` : '')
          : '',
        c.lease
          ? `lease${c.lease.holder !== undefined ? ` holder=${c.lease.holder || '(released)'}` : ''}${c.lease.epoch !== undefined ? ` epoch=${c.lease.epoch}` : ''}${c.lease.maxEpoch !== undefined ? ` epoch<=${c.lease.maxEpoch}` : ''}`
          : '',
        c.nodeStates
          ? `nodeStates ${Object.entries(c.nodeStates)
              .map(([n, s]) => `${n}:${s}`)
              .join(',')}`
          : '',
      ].filter(Boolean);
      return `group ${c.group} ${parts.join(' ')}`;
    }
    case 'mirror':
      return `mirror ${c.mirror}${c.state ? ` state=${c.state}` : ''}${c.source ? ` source=${c.source}` : ''}${Object.entries(
        c.targets ?? {},
      )
        .map(([n, s]) => ` ${n}=${s}`)
        .join('')}`;
    case 'event':
      return (
        `${c.absent ? 'no event' : 'event'} ${Object.entries(c.match)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ')}` +
        (c.min !== undefined ? ` min=${c.min}` : '') +
        (c.max !== undefined ? ` max=${c.max}` : '') +
        (c.since !== undefined ? ` since step ${c.since}` : '')
      );
    case 'site':
      return `site ${c.site} ${c.state} on ${c.node}`;
    case 'address':
      return `address ${c.address} held by [${c.holders.join(',')}]`;
    case 'cloudRoute':
      return `cloud routes ${c.address} to [${c.nodes.join(',')}]`;
  }
}

function findGroup(t: Topology, o: Observation, ref: string): GroupObservation | undefined {
  const g = resolveRef(t.groups, ref);
  return g ? o.groups.find((x) => x.namespace === g.namespace && x.name === g.name) : undefined;
}

export function eventMatches(t: Topology, e: EventObservation, m: EventMatch): boolean {
  if (m.reason !== undefined && e.reason !== m.reason) return false;
  if (m.node !== undefined && e.node !== m.node) return false;
  if (m.code !== undefined && e.code !== m.code) return false;
  if (m.type !== undefined && e.type !== m.type) return false;
  if (m.messageContains !== undefined && !e.message.toLowerCase().includes(m.messageContains.toLowerCase())) return false;
  if (m.group !== undefined) {
    const g = resolveRef(t.groups, m.group);
    if (!g || e.group === undefined) return false;
    const ns = e.involvedObject.namespace ?? 'default';
    if (!(e.group === g.name && ns === g.namespace) && e.group !== `${g.namespace}/${g.name}`) return false;
  }
  return true;
}

/** When a named step started (virtual ms, the target's clock), for `since`; undefined before it started. */
export type StepStart = (name: string) => number | undefined;

export function evaluate(t: Topology, c: Condition, o: Observation, events: readonly EventObservation[], stepStart?: StepStart): Verdict {
  switch (c.kind) {
    case 'group': {
      const g = findGroup(t, o, c.group);
      if (!g) return { holds: false, seen: `group ${c.group} has no status yet` };
      const seen =
        `active=${g.activeNode ?? 'none'} ready=${g.ready} phase=${g.phase ?? '-'}` +
        (g.conditions.length
          ? ` conditions=${g.conditions
              .filter((x) => x.status === 'True')
              .map((x) => `${x.type}${x.reason ? `/${x.reason}` : ''}`)
              .join(',')}`
          : '');
      let holds = true;
      if (c.activeNode !== undefined && g.activeNode !== c.activeNode) holds = false;
      if (c.ready !== undefined && g.ready !== c.ready) holds = false;
      if (c.phase !== undefined && g.phase !== c.phase) holds = false;
      if (c.condition) {
        const want = c.condition;
        const have = g.conditions.find((x) => x.type === want.type);
        if (
          !have ||
          have.status !== (want.status ?? 'True') ||
          (want.reason !== undefined && have.reason !== want.reason) ||
          (want.code !== undefined && have.code !== want.code) ||
          (want.messageContains !== undefined && !(have.message ?? '').toLowerCase().includes(want.messageContains.toLowerCase())) ||
          (want.messageMatches !== undefined && !new RegExp(want.messageMatches).test(have.message ?? ''))
        )
          holds = false;
      }
      let leaseSeen = '';
      if (c.lease) {
        const l = g.lease;
        leaseSeen = ` lease=${l ? `${l.holder || '(released)'}/epoch ${l.epoch}` : 'none'}`;
        if (c.lease.holder !== undefined && (l?.holder ?? '') !== c.lease.holder) holds = false;
        if (c.lease.epoch !== undefined && l?.epoch !== c.lease.epoch) holds = false;
        if (c.lease.maxEpoch !== undefined && (l?.epoch ?? 0) > c.lease.maxEpoch) holds = false;
      }
      let conditionSeen = '';
      const wantC = c.condition;
      if (wantC && (wantC.messageContains !== undefined || wantC.messageMatches !== undefined || wantC.code !== undefined)) {
        const have = g.conditions.find((x) => x.type === wantC.type);
        conditionSeen = have
          ? ` ${have.type}: code=${have.code ?? '-'} message=${JSON.stringify(have.message ?? '')}`
          : ` no ${wantC.type} condition`;
      }
      if (c.nodeStates) {
        for (const [n, s] of Object.entries(c.nodeStates)) if (g.nodes.find((x) => x.name === n)?.state !== s) holds = false;
      }
      return {
        holds,
        seen: `${seen}${c.nodeStates ? ` nodes=${g.nodes.map((n) => `${n.name}:${n.state}`).join(',')}` : ''}${leaseSeen}${conditionSeen}`,
      };
    }
    case 'mirror': {
      const m = resolveRef(t.mirrors, c.mirror);
      if (!m) return { holds: false, seen: `no mirror ${c.mirror}` };
      const endpoints = new Set(m.endpoints.map((e) => e.node));
      const views = o.world.volumes.filter((v) => v.volume === m.volume && endpoints.has(v.host));
      const sources = views.filter((v) => v.role === 'source' && o.world.hosts?.[v.host]?.up !== false);
      const pairs = sources.length === 1 ? (sources[0]!.targets ?? []) : [];
      const seen =
        views.length === 0
          ? 'no volume'
          : views.map((v) => `${v.host}:${v.role}/${mirrorStateName(v.state)}`).join(' ') +
            (pairs.length > 1 ? ` (${pairs.map((p) => `→${p.host} ${mirrorStateName(p.state)}`).join(', ')})` : '');
      const state = sources.length === 1 ? sources[0]!.state : MIRROR_STATE_CODE.None;
      let holds = true;
      if (c.state !== undefined && state !== MIRROR_STATE_CODE[c.state]) holds = false;
      for (const [n, want] of Object.entries(c.targets ?? {})) {
        if (pairs.find((p) => p.host === n)?.state !== MIRROR_STATE_CODE[want]) holds = false;
      }
      if (c.source !== undefined && !(sources.length === 1 && sources[0]!.host === c.source)) holds = false;
      return { holds, seen };
    }
    case 'event': {
      let pool = events;
      if (c.since !== undefined) {
        const from = stepStart?.(c.since);
        pool = from === undefined ? [] : events.filter((e) => e.at >= from);
      }
      const matching = pool.filter((e) => eventMatches(t, e, c.match));
      const min = c.absent ? 0 : (c.min ?? (c.max === undefined ? 1 : 0));
      const max = c.absent ? 0 : c.max;
      const holds = matching.length >= min && (max === undefined || matching.length <= max);
      const last = pool[pool.length - 1];
      const scope = c.since !== undefined ? ` since step ${c.since}` : '';
      return {
        holds,
        seen: matching.length
          ? `${matching.length} matching${scope}, e.g. ${matching[0]!.reason}: ${matching[0]!.message}`
          : `${pool.length} events${scope}, none matching${last ? `; last ${last.reason}` : ''}`,
      };
    }
    case 'site': {
      const started = (o.world.startedSites[c.node] ?? []).some((s) => s.toLowerCase() === c.site.toLowerCase());
      return { holds: (c.state === 'Started') === started, seen: `${c.site} ${started ? 'Started' : 'not started'} on ${c.node}` };
    }
    case 'address': {
      const holders = [...(o.world.addressHolders[c.address] ?? [])].sort();
      const want = [...c.holders].sort();
      return { holds: holders.join(',') === want.join(','), seen: `held by [${holders.join(',')}]` };
    }
    case 'cloudRoute': {
      const routes = o.world.cloudRoutes;
      if (!routes) return { holds: false, seen: 'the world has no cloud network' };
      const nodes = [...(routes[c.address] ?? [])].sort();
      return { holds: nodes.join(',') === [...c.nodes].sort().join(','), seen: `routed to [${nodes.join(',')}]` };
    }
  }
}
