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
import type { CommandRunner } from './command-runner.js';
import { NON_IDEMPOTENT, interpretEmcmd, type EmcmdCommand } from './emcmd.js';
import { decodeHostAnswer, type PowerShellFailure } from './powershell.js';
import type { PsHost } from './ps-host/types.js';

/** The operations of the PowerShell host (ps/lib/*.ps1) the driver calls. */
export type HostOp =
  | 'service.query'
  | 'service.start'
  | 'service.stop'
  | 'site.list'
  | 'site.get'
  | 'site.ensure'
  | 'site.start'
  | 'site.stop'
  | 'site.autostart'
  | 'smtp.list'
  | 'smtp.start'
  | 'smtp.stop'
  | 'smtp.autostart'
  | 'host.observe'
  | 'net.interfaces'
  | 'net.addresses'
  | 'net.add'
  | 'net.remove'
  | 'net.claimed'
  | 'probe.http'
  | 'probe.ftp'
  | 'probe.tcp';

export class WindowsDriverContext {
  constructor(
    readonly nodeName: string,
    readonly clock: Clock,
    private readonly exec: CommandExecutor,
    private readonly host: PsHost,
    private readonly runner: CommandRunner,
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

  /** Ask the PowerShell host for operation `script` with `params` (as data); returns its value. */
  ps<T>(
    op: HostDriverOperation,
    script: HostOp,
    params: Record<string, unknown>,
    o: CallOptions,
    signal: AbortSignal,
    mapFailure: (f: PowerShellFailure) => DriverError | undefined = () => undefined,
  ): Promise<T> {
    return this.exec.execute(
      {
        operation: op,
        program: 'powershell-host',
        args: [],
        script,
        params,
        idempotent: true,
        invoke: (s) => this.host.call(script, params, { signal: s, timeoutMs: o.timeoutMs }),
        interpret: (r) => decodeHostAnswer(script, r, mapFailure),
      },
      o,
      signal,
    );
  }

  /** Run an operation the agent's own process performs (no PowerShell), audited like a command with the caller's epoch. */
  inProcess<T>(
    op: HostDriverOperation,
    params: Record<string, unknown>,
    o: CallOptions,
    signal: AbortSignal,
    fn: (s: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.exec.execute(
      {
        operation: op,
        program: 'winha-agent',
        args: [],
        params,
        idempotent: true,
        invoke: fn,
        interpret: (r) => r,
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
    const argv = [system, command, ...args];
    return this.exec.execute(
      {
        operation: op,
        program: this.emcmdPath,
        args: argv,
        idempotent: !NON_IDEMPOTENT.has(command),
        invoke: (s) => this.runner.run({ file: this.emcmdPath, args: argv, stdin: '', signal: s }),
        interpret: (r) => interpretEmcmd(command, r),
        exitCode: (r) => r.exitCode,
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
