/**
 * Turning the PowerShell host's answer to one operation into a value or a typed failure. The operations are the
 * shipped ps/lib/*.ps1 files; the agent sends an operation name and its parameters as JSON data, never script text.
 */
import { DriverError } from '../errors.js';
import type { HostAnswer, HostFailure } from './ps-host/types.js';

export type PowerShellFailure = HostFailure;

/** Errors that usually go away on a second try (IIS config file locked, RPC hiccups). */
const TRANSIENT =
  /0x80070020|being used by another process|has changed on disk|RPC server is unavailable|0x800706BA|temporarily unavailable/i;

/** The value of a successful answer; a reported failure mapped by `mapFailure`, else CommandFailed. */
export function decodeHostAnswer(op: string, answer: HostAnswer, mapFailure: (f: PowerShellFailure) => DriverError | undefined): unknown {
  if (answer.ok) return answer.value;
  const failure = answer.error;
  const mapped = mapFailure(failure);
  if (mapped) throw mapped;
  throw new DriverError({
    code: 'CommandFailed',
    transient: TRANSIENT.test(failure.message),
    message: `${op}: ${failure.message || failure.type}`,
    detail: { exception: failure.type },
  });
}
