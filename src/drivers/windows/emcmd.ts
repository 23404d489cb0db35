/**
 * emcmd.exe invocation (docs/spec/seed003-datakeeper.md §7). Arguments are the
 * only way to pass values to EMCMD, so every value is validated first (a
 * volume letter, an IP address, `.`); the process is spawned without a shell.
 * Exit codes are undocumented: results come from stdout (`Status = n`).
 */
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

/** Text output, or a typed failure when the output says the command failed. */
export function interpretEmcmd(command: EmcmdCommand, r: CommandResult): string {
  const status = parseStatus(r.stdout);
  const text = r.stdout.trim();
  if (status !== undefined && status !== 0) {
    const detail = { status, command };
    if (UNREACHABLE.has(status))
      return fail('MirrorPeerUnreachable', true, `${command} failed: the other system cannot be reached (Status = ${status})`, detail);
    if (BUSY.has(status) && (command === 'LOCKVOLUME' || command === 'UNLOCKVOLUME'))
      return fail('VolumeBusy', true, `${command} failed: the volume is in use (Status = ${status})`, detail);
    return fail('CommandFailed', false, `${command} failed with Status = ${status}`, detail);
  }
  if (/^(Unable to|Error\b|Failed\b)/im.test(text)) {
    return fail(
      'CommandFailed',
      false,
      `${command}: ${text
        .split(/\r?\n/)
        .find((l) => /^(Unable to|Error|Failed)/i.test(l.trim()))
        ?.trim()}`,
      { command },
    );
  }
  if (status === undefined && r.exitCode !== 0 && text === '') {
    return fail(
      'CommandFailed',
      true,
      `${command} exited ${r.exitCode} without output${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}`,
      { command },
    );
  }
  return r.stdout;
}

function fail(code: DriverError['code'], transient: boolean, message: string, detail: Record<string, string | number>): never {
  throw new DriverError({ code, transient, message, detail });
}
