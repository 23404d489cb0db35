/** How `winha driver test` prints its report: one line per call, then the refusal, the notes and a summary. */
import type { DriverTestReport } from './driver-test.js';

export function formatDriverTestReport(r: DriverTestReport, clockNote: string): string {
  const width = Math.max(...r.steps.map((s) => s.call.length), 10);
  const lines: string[] = [`driver test on ${r.node} (durations: ${clockNote})`];
  for (const s of r.steps) {
    const code = s.code ? `${s.code}${s.kitCode !== undefined ? ` (kit ${s.kitCode})` : ''}: ` : '';
    const ms = `${Math.round(s.durationMs)} ms`.padStart(9);
    lines.push(`${s.outcome.padEnd(7)} ${s.phase.padEnd(9)} ${s.call.padEnd(width)} ${ms}  ${code}${s.detail}`);
  }
  if (r.refused) lines.push(`refused (${r.refused.id}): ${r.refused.message}; nothing was changed`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  const count = (k: string) => r.steps.filter((s) => s.outcome === k).length;
  lines.push(
    `${r.refused ? 'REFUSED' : r.ok ? 'PASS' : 'FAIL'}: ${count('ok')} ok, ${count('failed')} failed, ${count('skipped')} skipped`,
  );
  return lines.join('\n') + '\n';
}
