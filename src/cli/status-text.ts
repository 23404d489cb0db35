/** `winha status` as text: the view model of status-view.ts on one screen, nothing computed here but layout. */
import { age, renderTable } from './table.js';
import { mirrorText, type StatusCondition, type StatusGroup, type StatusView } from '../view/status-view.js';
import type { StatusSync } from '../view/sync-view.js';
import { shortRevision } from '../lib/revision.js';

function conditionText(c: StatusCondition): string {
  const head = c.reason ?? `${c.type}=${c.status}`;
  return `${head}${c.code !== undefined ? ` [${c.code}]` : ''}${c.message ? `: ${c.message}` : ''}`;
}

function groupHeader(g: StatusGroup): string {
  const parts = [`Group ${g.name}`];
  if (g.desiredState !== 'InService') parts.push(g.desiredState);
  else parts.push(g.activeNode ? `active on ${g.activeNode}` : 'no active node');
  parts.push(g.ready.status === 'True' ? 'Ready' : `NOT READY${g.ready.reason ? ` (${g.ready.reason})` : ''}`);
  if (g.degraded) parts.push(`Degraded (${g.degraded.reason ?? 'no reason given'})`);
  parts.push(`epoch ${g.epoch ?? '-'}`);
  return parts.join('   ');
}

function groupLines(g: StatusGroup, now: number): string[] {
  const lines = [groupHeader(g)];
  const nodes = g.nodes.map(
    (n) => `${n.name} ${n.state}${n.bannedUntil ? ` (banned ${age(new Date(now).toISOString(), Date.parse(n.bannedUntil))} more)` : ''}`,
  );
  lines.push(`  nodes:     ${nodes.join('   ') || '<none>'}`);
  if (g.ready.status !== 'True' && g.ready.message) lines.push(`  not ready: ${g.ready.message}`);
  if (g.degraded?.message) lines.push(`  degraded:  ${g.degraded.message}`);
  for (const m of g.mirrors) lines.push(`  mirror:    ${m.name} ${mirrorText(m)}`);
  if (g.lastFailover) {
    const f = g.lastFailover;
    lines.push(
      `  failover:  ${f.from ?? '?'} → ${f.to}   ${f.reason}   ${age(f.time, now)} ago (${f.time})${f.message ? `: ${f.message}` : ''}`,
    );
  }
  for (const w of g.warnings) lines.push(`  warning:   ${w.type} ${conditionText(w)}`);
  return lines;
}

function syncLines(s: StatusSync, showNs: boolean, now: number): string[] {
  const from = `${s.source}${s.ref ? `@${s.ref}` : ''}${s.path !== '.' ? ` path ${s.path}` : ''}`;
  const head = `Sync ${s.name}${showNs ? ` (namespace ${s.namespace})` : ''}   ${s.phase}   revision ${s.appliedRevision ? shortRevision(s.appliedRevision) : '<none>'}`;
  const lines = [
    head,
    `  from:      ${from}${s.syncer ? `   by ${s.syncer}` : ''}${s.lastAttemptTime ? `   last pass ${age(s.lastAttemptTime, now)} ago` : ''}`,
  ];
  if (s.pendingRevision && s.phase !== 'Synced') lines.push(`  pending:   ${shortRevision(s.pendingRevision)} ${s.phase.toLowerCase()}`);
  if (s.message && s.phase !== 'Synced') lines.push(`  message:   ${s.message}`);
  if (s.drifted) lines.push(`  drift:     ${s.drifted} object(s) differ from the repository (winha describe sync ${s.name})`);
  return lines;
}

export function statusText(v: StatusView): string {
  const now = Date.parse(v.time);
  const out: string[] = [];
  const namespaces = new Set([...v.clusters.map((c) => c.namespace), ...v.groups.map((g) => g.namespace)]);
  const showNs = namespaces.size > 1;
  for (const c of v.clusters) {
    const alive = c.nodes.filter((n) => n.state === 'Alive').length;
    out.push(
      `Cluster ${c.name}${showNs ? ` (namespace ${c.namespace})` : ''}   ${alive}/${c.nodes.length} nodes alive${c.maintenance ? '   MAINTENANCE' : ''}`,
    );
    const table = renderTable(
      ['Node', 'State', 'Lease', 'Maintenance', 'Banned from'],
      c.nodes.map((n) => [
        n.name,
        n.reported && n.reported !== n.state ? `${n.state} (agents: ${n.reported})` : n.state,
        n.leaseAgeSeconds === null ? '<none>' : `${age(new Date(now - n.leaseAgeSeconds * 1000).toISOString(), now)} ago`,
        n.maintenance ? 'yes' : '',
        n.bannedFrom.join(','),
      ]),
    );
    out.push(
      ...table
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
      '',
    );
  }
  for (const g of v.groups) {
    const lines = groupLines(g, now);
    if (showNs) lines[0] += `   (namespace ${g.namespace})`;
    out.push(...lines, '');
  }
  for (const s of v.syncs ?? []) out.push(...syncLines(s, showNs, now), '');
  if (!v.clusters.length && !v.groups.length) out.push('No clusters or groups found.', '');
  out.push(v.healthy ? 'OK: every group in service is ready.' : `PROBLEMS: ${v.problems.join('; ')}.`);
  return out.join('\n') + '\n';
}
