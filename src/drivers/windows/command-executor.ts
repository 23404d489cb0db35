/**
 * Runs one command for a driver operation (a request to the PowerShell host, or
 * an emcmd.exe process): under the operation's deadline signal, retrying
 * transient failures with bounded backoff, and writing one audit record per attempt.
 */
import type { Clock } from '../../lib/clock.js';
import { DriverError } from '../errors.js';
import type { CallOptions, HostDriverOperation } from '../types.js';
import type { AuditLog } from './audit-log.js';
import { retryTransient, type RetryPolicy } from './retry.js';

export interface CommandSpec<R> {
  operation: HostDriverOperation;
  /** For the audit log: the program (emcmd path, or the PowerShell host), its argv, the host operation's name. */
  program: string;
  args: readonly string[];
  script?: string;
  params?: unknown;
  /** Safe to run again after a transient failure. */
  idempotent: boolean;
  /** Runs it once; rejects only when it could not run at all. */
  invoke: (signal: AbortSignal) => Promise<R>;
  /** Turns what it returned into a value, or throws a DriverError (transient ones are retried). */
  interpret: (r: R) => unknown;
  exitCode?: (r: R) => number;
}

export class CommandExecutor {
  constructor(
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly audit: AuditLog | undefined,
    private readonly retry: RetryPolicy,
  ) {}

  async execute<R, T>(spec: CommandSpec<R>, o: CallOptions, signal: AbortSignal): Promise<T> {
    const policy = spec.idempotent ? this.retry : { ...this.retry, retries: 0 };
    return retryTransient(this.clock, policy, signal, async (attempt) => {
      const started = this.clock.monotonic();
      let result: { r: R } | undefined;
      try {
        try {
          result = { r: await spec.invoke(signal) };
        } catch (e) {
          if (e instanceof DriverError && !signal.aborted) throw e;
          if (signal.aborted)
            throw signal.reason instanceof DriverError
              ? signal.reason
              : new DriverError({ code: 'Timeout', transient: true, message: `${spec.operation} was aborted` });
          throw new DriverError({
            code: 'CommandFailed',
            transient: false,
            message: `could not run ${spec.program}: ${(e as Error).message}`,
          });
        }
        const value = spec.interpret(result.r) as T;
        this.record(spec, o, attempt, started, result, 'ok');
        return value;
      } catch (e) {
        const outcome = e instanceof DriverError && e.code === 'Timeout' ? 'timeout' : 'failed';
        this.record(spec, o, attempt, started, result, outcome, (e as Error).message);
        throw e;
      }
    });
  }

  private record<R>(
    spec: CommandSpec<R>,
    o: CallOptions,
    attempt: number,
    started: number,
    r: { r: R } | undefined,
    outcome: 'ok' | 'failed' | 'timeout',
    error?: string,
  ): void {
    if (!this.audit) return;
    this.audit.command({
      node: this.nodeName,
      operation: spec.operation,
      epoch: o.epoch,
      program: spec.program,
      ...(spec.script ? { script: spec.script } : {}),
      args: spec.args,
      params: spec.params,
      ...(r && spec.exitCode ? { exitCode: spec.exitCode(r.r) } : {}),
      durationMs: this.clock.monotonic() - started,
      outcome,
      ...(error ? { error } : {}),
      attempt,
    });
  }
}
