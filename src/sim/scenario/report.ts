/**
 * Scenario reports for people (text) and tools (JSON, a contract: keys
 * scenario, file, seed, passed, steps[] (with `name` when the step has one),
 * measurements[], violations[], asyncLoss[] (writes lost on asynchronous mirrors: volume, host, at, writes,
 * policy, forced), durationMs, trace[] (objects: at, kind, text
 * and the kind's fields; see TraceEntry in ./history.ts)).
 */
import { showSeconds } from './duration.js';
import { traceLine } from './history.js';
import type { ScenarioReport } from './runner.js';
import { asyncLossLines } from './async-loss.js';

const MARK = { passed: '✔', failed: '✘', skipped: '-' } as const;

export function formatReportText(r: ScenarioReport, opts: { traceLines?: number } = {}): string {
  const out: string[] = [];
  out.push(
    `Scenario ${r.scenario}${r.file ? ` (${r.file})` : ''}, seed ${r.seed}: ${r.passed ? 'PASSED' : 'FAILED'} in ${showSeconds(r.durationMs)} of virtual time`,
  );
  for (const s of r.steps) {
    const time = s.status === 'skipped' ? '' : ` [${showSeconds(s.startedAt)} → ${showSeconds(s.endedAt)}]`;
    out.push(
      `  ${MARK[s.status]} ${String(s.index).padStart(2)} ${s.name !== undefined ? `${s.name}: ` : ''}${s.description}${time}${s.message ? ` — ${s.message}` : ''}${s.place && s.status === 'failed' ? `  (${s.place})` : ''}`,
    );
  }
  if (r.measurements.length) {
    out.push('Measured:');
    for (const m of r.measurements) out.push(`  ${m.label}: ${showSeconds(m.ms)}`);
  }
  if (r.asyncLoss.length) {
    out.push(`Writes lost on asynchronous mirrors (${r.asyncLoss.reduce((n, e) => n + e.writes, 0)}):`);
    out.push(...asyncLossLines(r.asyncLoss));
  }
  if (r.violations.length) {
    out.push(`Violations (${r.violations.length}):`);
    for (const v of r.violations) {
      out.push(`  ${v.invariant} at ${showSeconds(v.at)}: ${v.message}`);
      for (const l of v.excerpt) out.push(`      ${l}`);
    }
  }
  const passed = r.steps.filter((s) => s.status === 'passed').length;
  const failed = r.steps.filter((s) => s.status === 'failed').length;
  const skipped = r.steps.filter((s) => s.status === 'skipped').length;
  out.push(
    `${passed} passed, ${failed} failed, ${skipped} skipped; ${r.violations.length} invariant violation${r.violations.length === 1 ? '' : 's'}`,
  );
  if (opts.traceLines && r.trace.length) {
    out.push(`Trace (last ${Math.min(opts.traceLines, r.trace.length)} of ${r.trace.length} lines):`);
    for (const l of r.trace.slice(-opts.traceLines)) out.push(`  ${traceLine(l)}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatReportJson(reports: readonly ScenarioReport[]): string {
  return `${JSON.stringify({ passed: reports.every((r) => r.passed), scenarios: reports.map(({ history: _h, ...r }) => r) }, null, 2)}\n`;
}
