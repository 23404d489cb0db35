/**
 * emcmd.exe invocation (docs/spec/seed003-datakeeper.md §7). Arguments are the
 * only way to pass values to EMCMD, so every value is validated first (a
 * volume letter, an IP address, `.`); the process is spawned without a shell.
 * Exit codes are undocumented: results come from stdout (`Status = n`).
 */
import path from 'node:path';
import { DriverError } from '../errors.js';
import type { CommandResult } from './command-runner.js';
import { parseStatus } from './emcmd-parsers.js';

export const DEFAULT_EMCMD_PATH = 'C:\\Program Files (x86)\\SIOS\\DataKeeper\\emcmd.exe';

/** Windows error codes that mean "the other system cannot be reached". */
const UNREACHABLE = new Set([53, 64, 121, 1231, 1460, 1722, 1726]);
/** Sharing violation / access denied on LOCKVOLUME: a process holds a handle. */
const BUSY = new Set([5, 32, 33]);

export type EmcmdCommand =
  | 'GETMIRRORVOLINFO'
  | 'GETMIRRORTYPE'
  | 'GETRESYNCSTATUS'
  | 'GETJOBINFO'
  | 'GETJOBINFOFORVOL'
  | 'GETVOLUMEINFO'
  | 'GETSOURCEMIRROREDVOLUMES'
  | 'GETTARGETMIRROREDVOLUMES'
  | 'SWITCHOVERVOLUME'
  | 'LOCKVOLUME'
  | 'UNLOCKVOLUME'
  | 'PAUSEMIRROR'
  | 'CONTINUEMIRROR'
  | 'BREAKMIRROR'
  | 'RESYNCMIRROR'
  | 'CREATEMIRROR'
  | 'DELETEMIRROR'
  | 'PREPARETOBECOMETARGET';

/** Mutations that must not be repeated blindly after a transient failure. */
export const NON_IDEMPOTENT: ReadonlySet<EmcmdCommand> = new Set([
  'SWITCHOVERVOLUME',
  'BREAKMIRROR',
  'RESYNCMIRROR',
  'CREATEMIRROR',
  'DELETEMIRROR',
  'PREPARETOBECOMETARGET',
]);

/** Commands whose only documented success output is `Status = 0` (seed003-datakeeper.md §7, §7.2 end). */
const STATUS_ONLY: ReadonlySet<EmcmdCommand> = new Set([
  ...NON_IDEMPOTENT,
  'LOCKVOLUME',
  'UNLOCKVOLUME',
  'PAUSEMIRROR',
  'CONTINUEMIRROR',
] as EmcmdCommand[]);

/** First line of each query's documented sample output (seed003-datakeeper.md §7.2); the parsers check the rest. */
const QUERY_SHAPE: Partial<Record<EmcmdCommand, RegExp>> = {
  GETMIRRORVOLINFO: /^[A-Za-z]:\s+-?\d+\s+\S/,
  GETMIRRORTYPE: /^Target system\s+\S+,\s*Type\s+-?\d+$/i,
  GETRESYNCSTATUS: /^Resync Status for Volume\b/i,
  GETVOLUMEINFO: /^-+\s*LEVEL\s+\d\s+INFO\s*-+$/i,
  GETJOBINFO: /^ID\s*=\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  GETJOBINFOFORVOL: /^ID\s*=\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  GETSOURCEMIRROREDVOLUMES: /^Status\s*=\s*0$/i,
  GETTARGETMIRROREDVOLUMES: /^(\*\* Calling GetTargetMirroredVolumes \*\*|Returned\s+\d+\s+Target Volumes?)$/i,
};

const STATUS_ZERO = /^Status\s*=\s*0$/i;

/** Non-blank lines, without the `c:>EMCMD …` prompt lines the manual's transcripts echo. */
function outputLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^c:\\?>/i.test(l) && !/^emcmd\b/i.test(l));
}

const quote = (line: string): string => JSON.stringify(line.trim().slice(0, 200));

/**
 * The output, when it is the documented success for `command`; otherwise a typed failure. Exit codes are
 * undocumented, so stdout decides: anything but a documented shape ("Access is denied.", usage text, nothing)
 * is a failure, never a success.
 */
export function interpretEmcmd(command: EmcmdCommand, r: CommandResult): string {
  const status = parseStatus(r.stdout);
  if (status !== undefined && status !== 0) {
    const detail = { status, command };
    if (UNREACHABLE.has(status))
      return fail('MirrorPeerUnreachable', true, `${command} failed: the other system cannot be reached (Status = ${status})`, detail);
    if (BUSY.has(status) && (command === 'LOCKVOLUME' || command === 'UNLOCKVOLUME'))
      return fail('VolumeBusy', true, `${command} failed: the volume is in use (Status = ${status})`, detail);
    return fail('CommandFailed', false, `${command} failed with Status = ${status}`, detail);
  }
  const body = outputLines(r.stdout);
  if (body.length === 0) {
    // The one undocumented shape let through: "not mirrored" (§12 gap); the caller confirms it with the volume listings.
    if (command === 'GETMIRRORVOLINFO' && r.exitCode === 0) return r.stdout;
    const err = r.stderr.trim().split(/\r?\n/)[0] ?? '';
    return fail('CommandFailed', false, `${command} printed nothing (exit ${r.exitCode})${err ? `: ${quote(err)}` : ''}`, {
      command,
      exitCode: r.exitCode,
    });
  }
  const shape = QUERY_SHAPE[command];
  const ok = STATUS_ONLY.has(command) ? body.length === 1 && STATUS_ZERO.test(body[0]!) : shape !== undefined && shape.test(body[0]!);
  if (!ok) {
    const first = body.find((l) => !STATUS_ZERO.test(l)) ?? body[0]!;
    return fail('CommandFailed', false, `${command} failed (exit ${r.exitCode}): ${quote(first)}`, { command, exitCode: r.exitCode });
  }
  return r.stdout;
}

function fail(code: DriverError['code'], transient: boolean, message: string, detail: Record<string, string | number>): never {
  throw new DriverError({ code, transient, message, detail });
}

/** `C:\\…` or `\\\\server\\share\\…`: rooted and drive-qualified, so no working directory or drive can change it. */
const ABSOLUTE_WINDOWS_PATH = /^(?:[A-Za-z]:\\|\\\\[^\\/]+\\[^\\/]+\\)[^<>|?*"]*$/;

/** emcmd.exe to run: a configured path, else `%ExtMirrBase%\\emcmd.exe` (DataKeeper's install dir), else the default. */
export function resolveEmcmdPath(env: NodeJS.ProcessEnv, configured?: string): string {
  if (configured !== undefined) return absolute(configured, 'the configured emcmd path');
  // Windows environment names are case-insensitive; a copied env object may spell it EXTMIRRBASE.
  const key = Object.keys(env).find((k) => k.toLowerCase() === 'extmirrbase');
  const base = (key === undefined ? '' : (env[key] ?? '')).trim().replace(/^"(.*)"$/, '$1');
  if (base === '') return DEFAULT_EMCMD_PATH;
  return path.win32.join(absolute(base, 'ExtMirrBase (DataKeeper install directory)'), 'emcmd.exe');
}

function absolute(p: string, what: string): string {
  if (!ABSOLUTE_WINDOWS_PATH.test(p))
    throw new DriverError({
      code: 'InvalidArgument',
      message: `${what} ${JSON.stringify(p)} is not an absolute Windows path (C:\\… or \\\\server\\share\\…)`,
    });
  return p;
}
