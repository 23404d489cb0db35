/**
 * The CLI's streams and exit codes, injectable so tests can run commands
 * in-process and the binary stays a thin launcher.
 */
import { readFileSync } from 'node:fs';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const EXIT = {
  /** Success; for diff: no difference. */
  OK: 0,
  /** Problems found (validate), differences found (diff), or the operation failed. */
  FAILED: 1,
  /** Usage or I/O error. */
  USAGE: 2,
} as const;

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export function wantsColor(io: CliIO, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env['NO_COLOR']) return false;
  if (io.env['FORCE_COLOR'] && io.env['FORCE_COLOR'] !== '0') return true;
  return !!io.stdout.isTTY;
}

let cachedVersion: string | undefined;
export function winhaVersion(): string {
  if (!cachedVersion) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

/** Raised for bad flags or arguments: printed as one line, exit 2. */
export class UsageError extends Error {}
