/**
 * Durations in scenario files: `500ms`, `30s`, `1.5s`, `2m`, `1h` (a number
 * and a unit, no spaces), as Kubernetes and Go write them.
 */

export const DURATION_PATTERN = '^(0|[1-9][0-9]{0,8})(\\.[0-9]{1,3})?(ms|s|m|h)$';
const DURATION = new RegExp(DURATION_PATTERN);
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds, or undefined when the text is no duration. Fractions of a millisecond are refused. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const unit = m[3] as keyof typeof UNIT_MS;
  const ms = Number(`${m[1]}${m[2] ?? ''}`) * UNIT_MS[unit];
  return Number.isInteger(ms) ? ms : undefined;
}

/** The shortest exact form: 1500 → "1500ms", 30000 → "30s", 120000 → "2m". */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** For reports: 1234 → "1.234s". */
export function showSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
