/**
 * The history of a run: what happened (faults, operator and manual actions)
 * and what was seen (observations), in order, on virtual time. The invariant
 * checker reads it; the trace is its text form, one line per fact, written so
 * that the same history always gives the same bytes (no wall-clock time, no
 * map iteration order left to chance).
 */
import { describeFault } from '../world/fault-spec.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import { MIRROR_STATE_NAMES, type ManualAction, type OperatorAction } from './model.js';
import type { EventObservation, GroupObservation, Observation } from './target.js';

export type HistoryEntry =
  | { kind: 'observation'; at: number; observation: Observation }
  | { kind: 'fault'; at: number; fault: Fault }
  | { kind: 'operator'; at: number; action: OperatorAction; accepted: boolean; message: string }
  | { kind: 'manual'; at: number; action: ManualAction; accepted: boolean; message: string }
  | { kind: 'event'; at: number; event: EventObservation };

/** `[  12.500s]` relative to the run's start. */
export function stamp(at: number, origin: number): string {
  return `[${((at - origin) / 1000).toFixed(3).padStart(9)}s]`;
}

export function mirrorStateName(code: number): string {
  return MIRROR_STATE_NAMES[code] ?? String(code);
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

function describeOperator(a: OperatorAction): string {
  switch (a.action) {
    case 'switchover':
      return `winha switchover ${a.group} --to ${a.to}${a.force ? ' --force' : ''}`;
    case 'clear':
      return `winha clear ${a.group}${a.node ? ` --node ${a.node}` : ''}`;
    case 'maintenance':
      return `winha maintenance ${a.enabled ? 'on' : 'off'}${a.group ? ` --group ${a.group}` : ''}${a.node ? ` --node ${a.node}` : ''}`;
    case 'setDesiredState':
      return `set ${a.group} desiredState ${a.state}`;
  }
}

function describeManual(a: ManualAction): string {
  const { action, node, ...rest } = a;
  const args = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `by hand on ${node}: ${action}${args ? ` ${args}` : ''}`;
}

function groupLine(g: GroupObservation): string {
  const blocked = g.conditions.find((c) => c.type === 'PromotionBlocked' && c.status === 'True');
  return (
    `group ${g.namespace}/${g.name}: active=${g.activeNode ?? '-'} epoch=${g.epoch ?? '-'} ready=${g.ready} phase=${g.phase ?? '-'}` +
    (blocked ? ` PromotionBlocked(${blocked.reason ?? ''})` : '') +
    (g.maintenance ? ' maintenance' : '') +
    (g.nodes.length ? ` nodes=${g.nodes.map((n) => `${n.name}:${n.state}`).join(',')}` : '')
  );
}

/** The facts of an observation, one line each, in a fixed order. */
export function observationFacts(o: Observation): string[] {
  const w = o.world;
  const lines: string[] = [];
  for (const h of sorted(Object.keys(w.hosts ?? {}))) {
    const f = w.hosts[h]!;
    const flags = [
      f.up ? 'up' : 'DOWN',
      f.agentRunning ? '' : 'agent-stopped',
      f.storeReachable ? '' : 'store-cut',
      f.clockSkewMs ? `skew=${f.clockSkewMs}ms` : '',
    ].filter(Boolean);
    lines.push(`host ${h}: ${flags.join(' ')}`);
  }
  for (const a of sorted(Object.keys(w.addressHolders))) lines.push(`address ${a}: ${[...w.addressHolders[a]!].sort().join(',')}`);
  // Where the cloud network sends each cloud-routed address ('-': nowhere).
  for (const a of sorted(Object.keys(w.cloudRoutes ?? {}))) lines.push(`cloud ${a}: ${[...w.cloudRoutes![a]!].sort().join(',') || '-'}`);
  for (const h of sorted(Object.keys(w.startedSites)))
    if (w.startedSites[h]!.length) lines.push(`sites started on ${h}: ${[...w.startedSites[h]!].sort().join(',')}`);
  const byVolume = new Map<string, string[]>();
  for (const v of [...w.volumes].sort((a, b) => (a.volume + a.host < b.volume + b.host ? -1 : 1))) {
    if (v.role === 'none') continue;
    const list = byVolume.get(v.volume) ?? [];
    list.push(`${v.host} ${v.role} ${mirrorStateName(v.state)}${v.locked ? ' locked' : ''}`);
    byVolume.set(v.volume, list);
  }
  for (const [vol, list] of byVolume) lines.push(`mirror ${vol}: ${list.join('; ')}`);
  for (const c of w.addressConflicts) lines.push(`address conflict ${c.address}: ${[...c.holders].sort().join(',')}`);
  for (const s of w.splitBrains) lines.push(`split brain ${s.volume}: ${[...s.sources].sort().join(',')}`);
  for (const l of w.lostAcknowledgedWrites) lines.push(`lost acknowledged writes on ${l.host} ${l.volume}: ${l.writeIds.length}`);
  for (const g of [...o.groups].sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1))) lines.push(groupLine(g));
  return lines;
}

/**
 * One trace entry: what `-o json` prints (objects), and, through traceLine, the text trace.
 * `at` is virtual ms since the run's start.
 */
export type TraceEntry = { at: number; text: string } & (
  | { kind: 'run' }
  | { kind: 'step'; step: number; name?: string; status?: 'started' | 'passed' | 'failed' }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'operator'; action: OperatorAction; accepted: boolean; message: string }
  | { kind: 'manual'; action: ManualAction; accepted: boolean; message: string }
  | {
      kind: 'event';
      type: 'Normal' | 'Warning';
      reason: string;
      code?: number;
      object: string;
      node?: string;
      message: string;
    }
  /** A fact of the observation that changed (`subject: value`), or a subject gone (`gone: true`). */
  | { kind: 'fact'; subject: string; gone?: true }
  | { kind: 'violation'; invariant: string; message: string }
);

/** `[  12.500s] text`: one line of the text trace. */
export function traceLine(e: TraceEntry): string {
  return `${stamp(e.at, 0)} ${e.text}`;
}

/**
 * Trace entries of one history entry. Observations give only what changed since the
 * previous observation (`prevFacts`), so a quiet cluster gives nothing.
 */
export function entryTrace(e: HistoryEntry, origin: number, prevFacts: readonly string[]): { entries: TraceEntry[]; facts?: string[] } {
  const at = e.at - origin;
  switch (e.kind) {
    case 'fault':
      return { entries: [{ at, kind: 'fault', text: `fault ${describeFault(e.fault)}`, fault: e.fault }] };
    case 'operator':
      return {
        entries: [
          {
            at,
            kind: 'operator',
            text: `operator: ${describeOperator(e.action)} → ${e.accepted ? 'accepted' : 'refused'}: ${e.message}`,
            action: e.action,
            accepted: e.accepted,
            message: e.message,
          },
        ],
      };
    case 'manual':
      return {
        entries: [
          {
            at,
            kind: 'manual',
            text: `${describeManual(e.action)} → ${e.accepted ? 'done' : 'failed'}: ${e.message}`,
            action: e.action,
            accepted: e.accepted,
            message: e.message,
          },
        ],
      };
    case 'event': {
      const ev = e.event;
      const object = `${ev.involvedObject.kind}/${ev.involvedObject.name}`;
      const entry: TraceEntry = {
        at,
        kind: 'event',
        text: `event ${ev.type} ${ev.reason}${ev.code ? ` (${ev.code})` : ''} ${object}${ev.node ? ` on ${ev.node}` : ''}: ${ev.message}`,
        type: ev.type,
        reason: ev.reason,
        object,
        message: ev.message,
      };
      if (ev.code !== undefined) entry.code = ev.code;
      if (ev.node !== undefined) entry.node = ev.node;
      return { entries: [entry] };
    }
    case 'observation': {
      const facts = observationFacts(e.observation);
      const before = new Set(prevFacts);
      const now = new Set(facts);
      const entries: TraceEntry[] = [];
      // A fact that disappeared with no replacement of the same subject is printed as gone.
      const subject = (f: string) => f.slice(0, f.indexOf(':'));
      const subjectsNow = new Set(facts.map(subject));
      for (const f of prevFacts)
        if (!now.has(f) && !subjectsNow.has(subject(f)))
          entries.push({ at, kind: 'fact', subject: subject(f), gone: true, text: `${subject(f)}: (gone)` });
      for (const f of facts) if (!before.has(f)) entries.push({ at, kind: 'fact', subject: subject(f), text: f });
      return { entries, facts };
    }
  }
}

/** Text trace lines of one entry (see entryTrace). */
export function entryLines(e: HistoryEntry, origin: number, prevFacts: readonly string[]): { lines: string[]; facts?: string[] } {
  const { entries, facts } = entryTrace(e, origin, prevFacts);
  return facts ? { lines: entries.map(traceLine), facts } : { lines: entries.map(traceLine) };
}

export { describeOperator, describeManual };
