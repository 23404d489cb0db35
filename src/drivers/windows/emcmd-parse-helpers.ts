/**
 * Shared pieces of the emcmd.exe output parsers (docs/spec/seed003-datakeeper.md §7.2): line splitting,
 * `Key = value` lines, state codes, `Status = n`, and the ParseError that quotes the bad line.
 */
import { DriverError } from '../errors.js';
import type { MirrorStateCode } from '../types.js';

export function parseError(command: string, message: string, line?: string): DriverError {
  const where = line === undefined ? '' : `: ${JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line)}`;
  return new DriverError({ code: 'ParseError', message: `${command} output not understood (${message})${where}` });
}

export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function stateCode(command: string, raw: string, line: string): MirrorStateCode {
  const n = Number.parseInt(raw, 10);
  if (!/^-?\d+$/.test(raw) || n < -1 || n > 5) throw parseError(command, `mirror state ${raw} is not in −1…5`, line);
  return n as MirrorStateCode;
}

export function keyValue(line: string): [string, string] | undefined {
  const m = /^\s*(.+?)\s*[=:]\s*(.*)$/.exec(line);
  return m ? [m[1]!.toLowerCase().replace(/\s+/g, ' '), m[2]!.trim()] : undefined;
}

// ───────────── Status = n ─────────────

/** `Status = n` (0 success; otherwise a Windows error code). Undefined when the output has no status line. */
export function parseStatus(text: string): number | undefined {
  const m = /^\s*Status\s*=\s*(-?\d+)\s*$/im.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : undefined;
}
