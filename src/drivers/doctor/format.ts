/** `winha doctor`'s table: STATUS, CHECK, DETAIL, then the fix on its own indented line (fixes are long commands). */
import type { CheckResult } from './types.js';

export function formatDoctor(node: string, results: readonly CheckResult[]): string {
  const width = Math.max(5, ...results.map((r) => r.title.length));
  const lines = [`winha doctor: node ${node}`, `${'STATUS'.padEnd(6)} ${'CHECK'.padEnd(width)}   DETAIL`];
  for (const r of results) {
    lines.push(`${r.status.padEnd(6)} ${r.title.padEnd(width)}   ${r.detail}`);
    if (r.fix) lines.push(`${' '.repeat(7)}fix: ${r.fix}`);
  }
  const n = (s: string) => results.filter((r) => r.status === s).length;
  const info = n('info') > 0 ? `, ${n('info')} info` : '';
  lines.push(`${n('fail') > 0 ? 'FAIL' : 'PASS'}: ${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail${info}`);
  return lines.join('\n') + '\n';
}
