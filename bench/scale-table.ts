/**
 * The README's scale table from `bench/scale.ts` output (one JSON line per size), so the figures there are the
 * bench's, not retyped: `node dist/bench/scale.js | tee scale.jsonl; node dist/bench/scale-table.js scale.jsonl
 * [--write README.md]` prints the table, or replaces it between the scale-table markers in the README.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Line {
  groups: number;
  crashToLastReadyS: number;
  decisionToActionMsP50: number | null;
  decisionToActionMsP99: number | null;
  applyToAllReadyS: number;
  idleCpuPctPerAgent: number | null;
  rssMb: number | null;
  targets: Record<string, number>;
  detail?: { processes?: { store?: string } };
}

const BEGIN = '<!-- scale-table:begin (bench/scale-table.ts writes this) -->';
const END = '<!-- scale-table:end -->';

function cell(v: number | null, target: number, unit: string): string {
  if (v === null) return 'not measured';
  return `${v}${unit}${v <= target ? '' : ' **missed**'}`;
}

export function table(lines: Line[]): string {
  const t = lines[0]?.targets ?? {};
  const rows: [string, keyof Line, string, string][] = [
    ['crash → last group Ready on the standby (lease 15/10/2, virtual)', 'crashToLastReadyS', ' s', `≤ ${t['crashToLastReadyS']} s`],
    ['decision → first host action, p50 (virtual)', 'decisionToActionMsP50', ' ms', `≤ ${t['decisionToActionMsP50']} ms`],
    ['decision → first host action, p99 (virtual)', 'decisionToActionMsP99', ' ms', `≤ ${t['decisionToActionMsP99']} ms`],
    ['apply → all Ready, after the leases are taken (virtual)', 'applyToAllReadyS', ' s', `≤ ${t['applyToAllReadyS']} s`],
    ['idle CPU per agent process, 60 s real time', 'idleCpuPctPerAgent', ' %', `≤ ${t['idleCpuPctPerAgent']} %`],
    ['RSS per agent process, converged', 'rssMb', ' MB', `≤ ${t['rssMb']} MB`],
  ];
  const store = lines.find((l) => l.detail?.processes?.store)?.detail?.processes?.store;
  const head = `| what | ${lines.map((l) => `${l.groups} groups`).join(' | ')} | target |`;
  const sep = `|---|${lines.map(() => '---').join('|')}|---|`;
  const body = rows.map(([what, k, unit, target]) => {
    const key = k as string;
    return `| ${what} | ${lines.map((l) => cell(l[k] as number | null, l.targets[key] ?? Infinity, unit)).join(' | ')} | ${target} |`;
  });
  const note = store ? `\n\nPer-process rows: two \`winha agent\` processes, a world server and ${store} (bench/scale-processes.ts).` : '';
  return [head, sep, ...body].join('\n') + note;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (file) {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => typeof l.groups === 'number');
  const out = table(lines);
  const w = args.indexOf('--write');
  if (w >= 0 && args[w + 1]) {
    const readme = readFileSync(args[w + 1]!, 'utf8');
    const i = readme.indexOf(BEGIN);
    const j = readme.indexOf(END);
    if (i < 0 || j < i) throw new Error(`${args[w + 1]}: no scale-table markers`);
    writeFileSync(args[w + 1]!, `${readme.slice(0, i + BEGIN.length)}\n${out}\n${readme.slice(j)}`);
  } else process.stdout.write(`${out}\n`);
}
