/**
 * A PowerShell host and an emcmd runner that replay recorded outputs. Replies are keyed by what
 * ran — `ps:<host operation>` or `emcmd:<COMMAND>` — and consumed in order; the last one repeats (polling).
 * Every call is kept so tests can look at argv and the request line sent to the host.
 */
import type { CommandRequest, CommandResult, CommandRunner } from '../../src/drivers/windows/command-runner.js';
import { asciiJson } from '../../src/drivers/windows/ps-host/process-host.js';
import type { HostAnswer, HostCallOptions, PsHost } from '../../src/drivers/windows/ps-host/types.js';

export interface RecordedCall {
  key: string;
  program: string;
  args: readonly string[];
  /** For the host: the request line's JSON ({"op":…,"params":…}); for emcmd: ''. */
  stdin: string;
  /** The host operation. */
  script?: string;
}

export type Reply = CommandResult | HostAnswer;
export type Recording = Record<string, Reply[]>;

export const psValue = (value: unknown): HostAnswer => ({ ok: true, value });
export const psError = (type: string, message: string, id = ''): HostAnswer => ({ ok: false, error: { type, message, id } });
export const text = (stdout: string, exitCode = 0): CommandResult => ({ exitCode, stdout, stderr: '' });

export class ScriptedRunner implements CommandRunner, PsHost {
  readonly calls: RecordedCall[] = [];
  private readonly queues = new Map<string, Reply[]>();

  constructor(recording: Recording = {}) {
    for (const [k, v] of Object.entries(recording)) this.queues.set(k, [...v]);
  }

  on(key: string, ...replies: Reply[]): this {
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...replies]);
    return this;
  }

  async run(req: CommandRequest): Promise<CommandResult> {
    const key = `emcmd:${String(req.args[1] ?? '').toUpperCase()}`;
    this.calls.push({ key, program: req.file, args: [...req.args], stdin: req.stdin });
    const r = this.next(key);
    if ('ok' in r) throw new Error(`${key} was recorded as a host answer`);
    return r;
  }

  async call(op: string, params: Record<string, unknown>, _o: HostCallOptions): Promise<HostAnswer> {
    const key = `ps:${op}`;
    this.calls.push({ key, program: 'powershell-host', args: [], stdin: asciiJson({ op, params }), script: op });
    const r = this.next(key);
    if (!('ok' in r)) throw new Error(`${key} was recorded as process output`);
    return r;
  }

  async close(): Promise<void> {}

  private next(key: string): Reply {
    const q = this.queues.get(key);
    if (!q || q.length === 0) throw new Error(`no recorded output for ${key}`);
    return q.length > 1 ? q.shift()! : q[0]!;
  }
}
