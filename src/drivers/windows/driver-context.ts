/**
 * The plumbing every WindowsHostDriver operation shares: the deadline and
 * kit-code wrapper, constant PowerShell scripts with their parameters as JSON
 * on stdin, and emcmd.exe with its arguments as an argv array. No value is
 * ever spliced into script or shell text.
 */
import type { Clock } from '../../lib/clock.js';
import { withDeadline } from '../deadline.js';
import { DriverError } from '../errors.js';
import { withKitCode } from '../kit-codes.js';
import type { CallOptions, HostDriverOperation } from '../types.js';
import type { CommandExecutor } from './command-executor.js';
import { NON_IDEMPOTENT, interpretEmcmd, type EmcmdCommand } from './emcmd.js';
import { decodeScriptOutput, powershellArgs, stdinJson, type PowerShellFailure } from './powershell.js';
import type { ScriptName } from './powershell-scripts.js';

export class WindowsDriverContext {
  constructor(
    readonly nodeName: string,
    readonly clock: Clock,
    private readonly exec: CommandExecutor,
    private readonly powershell: string,
    private readonly emcmdPath: string,
    /** Re-check interval while waiting for a switchover to complete. */
    readonly pollMs: number,
  ) {}

  run<T>(op: HostDriverOperation, o: CallOptions, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withDeadline(this.clock, o, `${op} on ${this.nodeName}`, async (signal) => {
      try {
        return await body(signal);
      } catch (e) {
        throw withKitCode(e, o);
      }
    });
  }

  /** Run a constant script with `params` on stdin; returns its `value`. */
  ps<T>(
    op: HostDriverOperation,
    script: ScriptName,
    params: Record<string, unknown>,
    o: CallOptions,
    signal: AbortSignal,
    mapFailure: (f: PowerShellFailure) => DriverError | undefined = () => undefined,
  ): Promise<T> {
    return this.exec.execute<T>(
      {
        operation: op,
        program: this.powershell,
        args: powershellArgs(script),
        stdin: stdinJson(params),
        script,
        params,
        idempotent: true,
        interpret: (r) => decodeScriptOutput(script, r, mapFailure),
      },
      o,
      signal,
    );
  }

  emcmd(
    op: HostDriverOperation,
    command: EmcmdCommand,
    args: string[],
    o: CallOptions,
    signal: AbortSignal,
    system = '.',
  ): Promise<string> {
    return this.exec.execute<string>(
      {
        operation: op,
        program: this.emcmdPath,
        args: [system, command, ...args],
        stdin: '',
        idempotent: !NON_IDEMPOTENT.has(command),
        interpret: (r) => interpretEmcmd(command, r),
      },
      o,
      signal,
    );
  }

  /** Seconds-scale waits inside a script must end before the caller's deadline. */
  waitMs(o: CallOptions): number {
    return Math.max(500, Math.floor(o.timeoutMs * 0.8));
  }
}

// ───────────── decoding helpers ─────────────

export function asArray<T>(v: T[] | T | null | undefined): T[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function requireField<T>(v: T | undefined | null, script: string, field: string): T {
  if (v === undefined || v === null) throw new DriverError({ code: 'ParseError', message: `${script} result has no ${field}` });
  return v;
}

export function unexpected(script: string, outcome: unknown): DriverError {
  return new DriverError({ code: 'ParseError', message: `${script} returned an unknown outcome ${JSON.stringify(outcome)}` });
}
