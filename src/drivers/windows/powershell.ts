/**
 * Turning the PowerShell host's answer to one operation into a value or a typed failure. The operations are the
 * shipped ps/lib/*.ps1 files; the agent sends an operation name and its parameters as JSON data, never script text.
 */
import { DriverError } from '../errors.js';
import type { HostAnswer, HostFailure } from './ps-host/types.js';

export type PowerShellFailure = HostFailure;

/**
 * Errors that usually go away on a second try: another writer of applicationHost.config ("Cannot commit configuration
 * changes because the file has changed on disk", "Cannot write configuration file", ERROR_LOCK_VIOLATION) and RPC hiccups.
 */
const TRANSIENT = [
  /has changed on disk/i,
  /Cannot write configuration file(?! due to insufficient permissions)/i,
  /0x80070021|another process has locked a portion of the file/i,
  /RPC server is unavailable|0x800706BA|temporarily unavailable/i,
];

/** ERROR_SHARING_VIOLATION: on a configuration file another writer (transient); on a site start a held port (not). */
export const SHARING_VIOLATION = /0x80070020|being used by another process/i;

/** Whether a failure reported by the host is worth a second try. */
export function isTransientHostFailure(message: string): boolean {
  if (TRANSIENT.some((r) => r.test(message))) return true;
  return SHARING_VIOLATION.test(message) && /\.config\b/i.test(message);
}

/** The value of a successful answer; a reported failure mapped by `mapFailure`, else CommandFailed. */
export function decodeHostAnswer(op: string, answer: HostAnswer, mapFailure: (f: PowerShellFailure) => DriverError | undefined): unknown {
  if (answer.ok) return answer.value;
  const failure = answer.error;
  const mapped = mapFailure(failure);
  if (mapped) throw mapped;
  throw new DriverError({
    code: 'CommandFailed',
    transient: isTransientHostFailure(failure.message),
    message: `${op}: ${failure.message || failure.type}`,
    detail: { exception: failure.type },
  });
}
