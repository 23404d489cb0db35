/**
 * Runs one command for a driver operation: through the injected runner,
 * under the operation's deadline signal, retrying transient failures with
 * bounded backoff, and writing one audit record per attempt.
 */
import type { Clock } from '../../lib/clock.js';
import { DriverError } from '../errors.js';
import type { CallOptions, HostDriverOperation } from '../types.js';
import type { AuditLog } from './audit-log.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { retryTransient, type RetryPolicy } from './retry.js';

export interface CommandSpec {
  operation: HostDriverOperation;
  program: string;
  args: readonly string[];
  stdin: string;
  /** For the audit log: the script's name and its (unredacted) parameters. */
  script?: string;
  params?: unknown;
  /** Safe to run again after a transient failure. */
  idempotent: boolean;
  /** Turns a finished process into a value, or throws a DriverError (transient ones are retried). */
  interpret: (r: CommandResult) => unknown;
}

export class CommandExecutor {
  constructor(
    private readonly nodeName: string,
    private readonly runner: CommandRunner,
    private readonly clock: Clock,
    private readonly audit: AuditLog | undefined,
    private readonly retry: RetryPolicy,
  ) {}

  async execute<T>(spec: CommandSpec, o: CallOptions, signal: AbortSignal): Promise<T> {
    const policy = spec.idempotent ? this.retry : { ...this.retry, retries: 0 };
    return retryTransient(this.clock, policy, signal, async (attempt) => {
      const started = this.clock.monotonic();
      let result: CommandResult | undefined;
      try {
        try {
          result = await this.runner.run({ file: spec.program, args: spec.args, stdin: spec.stdin, signal });
        } catch (e) {
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
        const value = spec.interpret(result) as T;
        this.record(spec, o, attempt, started, result, 'ok');
        return value;
      } catch (e) {
        const outcome = e instanceof DriverError && e.code === 'Timeout' ? 'timeout' : 'failed';
        this.record(spec, o, attempt, started, result, outcome, (e as Error).message);
        throw e;
      }
    });
  }

  private record(
    spec: CommandSpec,
    o: CallOptions,
    attempt: number,
    started: number,
    r: CommandResult | undefined,
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
      // PowerShell's argv ends in the base64 of a constant script: log its name instead.
      args: spec.script ? spec.args.slice(0, -1).concat(`<${spec.script}>`) : spec.args,
      params: spec.params,
      ...(r ? { exitCode: r.exitCode } : {}),
      durationMs: this.clock.monotonic() - started,
      outcome,
      ...(error ? { error } : {}),
      attempt,
    });
  }
}
