/**
 * The human summary of a golden case (test/scheduler/<case>/summary.txt), like
 * the *.summary next to each of Pacemaker's scheduler regression tests: the
 * state one node sees, then its decision, readable without the JSON. A pure
 * function of the input and the decision; scheduler.test.ts checks every
 * summary.txt equals it, so a summary cannot go stale.
 *
 * Times are shown relative to the input's `now` (e.g. "2s ago", "in 55m").
 */
import type { Action, Decision, DecisionInput, MirrorView } from '../../src/controller/decision-types.js';
import { mirrorStateName } from '../../src/controller/mirror-gate.js';
import { isDefaultCondition } from './golden.js';

export interface CaseFile {
  description: string;
  rows: string[];
  input: DecisionInput;
}

/** A duration in ms as "500ms", "2s", "5m", "1h 30m", "10.5s". */
function duration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${a}ms`;
  if (a < 60_000) return `${a / 1000}s`;
  if (a < 3_600_000) return a % 60_000 === 0 ? `${a / 60_000}m` : `${Math.floor(a / 60_000)}m ${(a % 60_000) / 1000}s`;
  const h = Math.floor(a / 3_600_000);
  const rest = a % 3_600_000;
  return rest === 0 ? `${h}h` : `${h}h ${duration(rest)}`;
}

/** The UTC time of day, as decide() writes it in reasons ("12:00:03"), with milliseconds when there are any. */
function clock(at: number): string {
  const t = new Date(at).toISOString().slice(11, 23);
  return t.endsWith('.000') ? t.slice(0, 8) : t;
}

/** An epoch-ms instant relative to now, with its time of day: "2s ago (12:00:03)", "in 55m (12:55:05)". */
function when(at: number, now: number): string {
  const rel = at === now ? 'now' : at < now ? `${duration(now - at)} ago` : `in ${duration(at - now)}`;
  return `${rel} (${clock(at)})`;
}

/** How long a node stays banned: "banned for 50m more (12:50:05)" or "ban ended 1ms ago (12:00:04.999)". */
function ban(until: number, now: number): string {
  return until > now ? `banned for ${duration(until - now)} more (${clock(until)})` : `ban ended ${when(until, now)}`;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const SAFETY_WORDS = { serving: 'STILL SERVES', silent: 'does not serve', unknown: 'COULD NOT BE PROBED' } as const;
const list = (xs: string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));

function nodeLines(i: DecisionInput): string[] {
  const members = new Map(i.group.nodes.map((n) => [n.name, n.priority]));
  const others = [...Object.keys(i.nodes), i.self].filter((n) => !members.has(n));
  const names = [...members.keys(), ...[...new Set(others)].sort()];
  const label = (n: string): string => (n === i.self ? `${n} (self)` : n);
  const width = Math.max(...names.map((n) => label(n).length));
  return names.map((name) => {
    const v = i.nodes[name];
    const parts: string[] = [members.has(name) ? `priority ${members.get(name)}` : 'not in the group'];
    parts.push(v === undefined ? 'no node lease seen' : v.alive ? 'alive' : 'down (node lease expired)');
    if (v?.maintenance) parts.push('in maintenance');
    const h = i.history[name];
    if (h?.bannedUntil !== undefined) parts.push(ban(h.bannedUntil, i.now));
    if (h?.restarts?.length) parts.push(`local recoveries ${h.restarts.map((t) => when(t, i.now)).join(', ')}`);
    if (h?.deactivationFailed) parts.push('its last deactivation failed');
    return `  ${label(name).padEnd(width)}  ${parts.join(', ')}`;
  });
}

function leaseLine(i: DecisionInput): string {
  const l = i.lease;
  const who = l.holder === '' ? 'free (never held or released)' : `held by ${l.holder}`;
  const exp = !l.expired ? 'not expired' : l.expiredAt !== undefined ? `expired ${when(l.expiredAt, i.now)}` : 'expired';
  const lost = i.leaseLostBySelf ? `; ${i.self} could not renew it within renewDeadline` : '';
  return `Lease: ${who}, epoch ${l.epoch}, ${exp}${lost}`;
}

function mirrorLines(m: MirrorView): string[] {
  const out: string[] = [];
  const src =
    m.source === undefined
      ? 'no source yet (never mirrored)'
      : `source ${m.source}${m.sourceEpoch !== undefined ? ` since epoch ${m.sourceEpoch}` : ''}`;
  out.push(`  ${m.name} (${m.volume}:): ${src}`);
  const targets = Object.entries(m.targets).map(([n, s]) => `${n} ${mirrorStateName(s)}`);
  out.push(`    targets: ${list(targets)}${m.recordedBy !== undefined ? ` (recorded by ${m.recordedBy})` : ''}`);
  out.push(`    nodes reporting role source: ${list(m.claimedSources)}`);
  if (m.preparedTargets?.length) out.push(`    gave up the source role, waiting for continue: ${list(m.preparedTargets)}`);
  if (m.unsupervisedBy !== undefined) out.push(`    ${m.unsupervisedBy} served it unsupervised (recorded target states do not count)`);
  if (m.mode === 'Asynchronous') {
    const queued = Object.entries(m.queuedWrites ?? {}).map(([n, q]) => `${n} ${q}`);
    out.push(
      `    asynchronous, asyncFailover ${m.asyncFailover ?? 'Allow'}; writes queued as recorded: ${queued.length ? list(queued) : 'unknown'}`,
    );
  }
  out.push(`    here: ${m.local === undefined ? 'not observed' : `role ${m.local.role}, ${mirrorStateName(m.local.state)}`}`);
  return out;
}

function localLines(i: DecisionInput): string[] {
  const l = i.local;
  const out = [`Local host ${i.self}: ${l.observed ? 'observed' : 'NOT observed (driver unreachable)'}`];
  for (const s of l.sites) {
    const state = !s.exists ? 'does not exist' : s.started ? 'started' : 'stopped';
    const name = s.siteName === s.name ? s.name : `${s.name} (IIS site ${s.siteName})`;
    out.push(`  site ${name}: ${state}, serverAutoStart ${onOff(s.serverAutoStart)}`);
  }
  for (const v of l.vips) {
    const cloud = v.cloud ? `, cloud routes it ${v.cloud.here === undefined ? 'unknown' : v.cloud.here ? 'here' : 'elsewhere'}` : '';
    const probe = v.probe ? `, probe :${v.probe.port} ${v.probe.open ? 'open' : 'closed'}` : '';
    out.push(
      `  VIP ${v.name} ${v.address}: ${v.present ? `present${v.state !== undefined ? ` (${v.state})` : ''}` : 'absent'}${cloud}${probe}`,
    );
  }
  if (l.sites.length === 0 && l.vips.length === 0) out.push('  no sites, no VIPs');
  if (l.failure) {
    const f = l.failure;
    out.push(`  failed ${f.check} check ${f.code} on site ${f.siteName}, local recovery ${onOff(f.localRecovery)}: ${f.message}`);
  }
  if (l.recoveryFailed) out.push(`  local recovery failed ${l.recoveryFailed.code}: ${l.recoveryFailed.message}`);
  if (l.activationFailed) {
    const t = l.activationFailed.transient ? ` (transient, ${l.activationFailed.attempts ?? 1} in a row)` : '';
    out.push(`  bringing into service failed ${l.activationFailed.code}${t}: ${l.activationFailed.message}`);
  }
  if (l.deactivationFailed) out.push(`  taking out of service failed ${l.deactivationFailed.code}: ${l.deactivationFailed.message}`);
  return out;
}

/** One action on one line: its type, then its fields in a fixed wording. */
export function actionLine(a: Action, now: number): string {
  switch (a.type) {
    case 'acquireLease':
      return `acquireLease (expected epoch ${a.expectedEpoch}): ${a.reason}`;
    case 'releaseLease':
      return `releaseLease (epoch ${a.epoch}): ${a.reason}`;
    case 'safetyCheck':
      return `safetyCheck of ${a.previous} (epoch ${a.epoch})`;
    case 'markUnsupervised':
      return `markUnsupervised ${a.mirrors.join(', ')} served by ${a.node}`;
    case 'createMirror':
      return `createMirror ${a.mirror} on ${a.volume}: (epoch ${a.epoch})`;
    case 'promoteMirror':
      return `promoteMirror ${a.mirror} on ${a.volume}:${a.force ? ' FORCED' : ''} (epoch ${a.epoch})${a.asyncRisk ? `, async over lost source ${a.asyncRisk.source}: ${a.asyncRisk.queuedWrites ?? 'unknown'} queued${a.asyncRisk.forced ? ', by operator force' : ''}` : ''}`;
    case 'addVip':
      return `addVip ${a.vip} ${a.address} (epoch ${a.epoch})`;
    case 'awaitAddress':
      return `awaitAddress ${a.vip} ${a.address} (epoch ${a.epoch}): duplicate address detection`;
    case 'startSite':
      return `startSite ${a.siteName} (epoch ${a.epoch})`;
    case 'openProbe':
      return `openProbe ${a.vip} :${a.port} (epoch ${a.epoch})`;
    case 'closeProbe':
      return `closeProbe ${a.vip} :${a.port}, ${a.why} (epoch ${a.epoch})`;
    case 'stopSite':
      return `stopSite ${a.siteName}, ${a.why} (epoch ${a.epoch})`;
    case 'removeVip':
      return `removeVip ${a.vip} ${a.address}, ${a.why} (epoch ${a.epoch})`;
    case 'disableAutoStart':
      return `disableAutoStart ${a.siteName} (epoch ${a.epoch})`;
    case 'recoverSite':
      return `recoverSite ${a.siteName} after ${a.code} (epoch ${a.epoch})`;
    case 'banSelf':
      return `banSelf for ${duration(a.until - now)} (until ${clock(a.until)}) after ${a.code}: ${a.reason}`;
    case 'awaitRetry':
      return `awaitRetry of the bring-up (${a.code}) in ${duration(a.at - now)} (at ${clock(a.at)})`;
    case 'prepareToBecomeTarget':
      return `prepareToBecomeTarget ${a.mirror} on ${a.volume}: (epoch ${a.epoch})`;
    case 'continueMirror':
      return `continueMirror ${a.mirror} on ${a.volume}: (epoch ${a.epoch})`;
    case 'completeSwitchover':
      return `completeSwitchover ${a.id} ${a.outcome}: ${a.message}`;
  }
}

export function renderSummary(name: string, file: CaseFile, d: Decision): string {
  const i = file.input;
  const g = i.group;
  const out: string[] = [];
  out.push(`Case ${name} (${file.rows.join(', ')})`);
  out.push(file.description);
  out.push('');
  out.push(`Current state, as ${i.self} sees it at ${new Date(i.now).toISOString()}`);
  out.push(
    `Cluster: maintenance ${onOff(i.clusterMaintenance)}, safety check ${i.safetyCheckEnabled ? `on (a result counts for ${duration(i.safetyCheckMaxAgeMs)})` : 'off'}`,
  );
  out.push(
    `Group ${g.name}: desired ${g.desiredState}, maintenance ${onOff(g.maintenance)}, switchback ${g.switchback}, autoFailover ${onOff(g.autoFailover)}, ` +
      `${g.restartLimit} recoveries per ${duration(g.restartWindowSeconds * 1000)}, bans last ${duration(g.failureExpirySeconds * 1000)}`,
  );
  out.push('Nodes:');
  out.push(...nodeLines(i));
  out.push(leaseLine(i));
  out.push(`Recorded active node: ${i.activeNode ?? 'none'}`);
  if (i.safetyCheck) {
    const s = i.safetyCheck;
    out.push(`Safety check of epoch ${s.epoch}, ${when(s.at, i.now)}: previous active ${SAFETY_WORDS[s.outcome]} (${s.detail})`);
  } else {
    out.push('Safety check: no result');
  }
  if (i.switchover) out.push(`Switchover request ${i.switchover.id}: to ${i.switchover.to}${i.switchover.force ? ', --force' : ''}`);
  out.push(i.mirrors.length === 0 ? 'Mirrors: none' : 'Mirrors:');
  for (const m of i.mirrors) out.push(...mirrorLines(m));
  out.push(...localLines(i));
  out.push('');
  out.push(`Decision of ${i.self}`);
  out.push(`Role: ${d.role}`);
  out.push(`Target: ${d.target === '' ? 'nobody' : d.target}`);
  out.push(`Writes the group status: ${d.reportsStatus ? 'yes' : 'no'}`);
  out.push(d.actions.length === 0 ? 'Actions: none' : 'Actions:');
  d.actions.forEach((a, n) => out.push(`  ${n + 1}. ${actionLine(a, i.now)}`));
  out.push(`Reason: ${d.reason}`);
  const shown = d.conditions.filter((c) => !isDefaultCondition(c));
  out.push(`Conditions${shown.length < d.conditions.length ? ' (the others in their default state)' : ''}:`);
  for (const c of shown) out.push(`  ${c.type} ${c.status} ${c.reason}${c.code !== undefined ? ` [${c.code}]` : ''}: ${c.message}`);
  if (d.events.length > 0) {
    out.push('Events:');
    for (const e of d.events) out.push(`  ${e.type} ${e.reason}${e.code !== undefined ? ` [${e.code}]` : ''}: ${e.message}`);
  }
  return out.join('\n') + '\n';
}
