/** Plain-text tables as kubectl prints them: upper-case headers (custom-columns keeps them), columns three spaces apart. */
export function renderTable(headers: string[], rows: string[][], opts: { upperCase?: boolean } = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(opts.upperCase === false ? headers : headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n') + '\n';
}

/** kubectl's short ages: 45s, 12m, 5h, 3d. */
export function age(fromIso: string | undefined, nowMs: number): string {
  if (!fromIso) return '<unknown>';
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((nowMs - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
