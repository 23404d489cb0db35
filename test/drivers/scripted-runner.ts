/**
 * A CommandRunner that replays recorded outputs. Replies are keyed by what
 * ran — `ps:<script name>` (recognised from the encoded constant script) or
 * `emcmd:<COMMAND>` — and consumed in order; the last one repeats (polling).
 * Every call is kept so tests can look at argv and stdin.
 */
import type { CommandRequest, CommandResult, CommandRunner } from '../../src/drivers/windows/command-runner.js';
import { scriptOfArgs } from '../../src/drivers/windows/powershell.js';
import type { ScriptName } from '../../src/drivers/windows/powershell-scripts.js';

export interface RecordedCall {
  key: string;
  program: string;
  args: readonly string[];
  stdin: string;
  script?: ScriptName;
}

export type Recording = Record<string, CommandResult[]>;

export const psValue = (value: unknown): CommandResult => ({
  exitCode: 0,
  stdout: `${JSON.stringify({ ok: true, value })}\r\n`,
  stderr: '',
});
export const psError = (type: string, message: string, id = ''): CommandResult => ({
  exitCode: 0,
  stdout: `${JSON.stringify({ ok: false, error: { type, message, id } })}\r\n`,
  stderr: '',
});
export const text = (stdout: string, exitCode = 0): CommandResult => ({ exitCode, stdout, stderr: '' });

export class ScriptedRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly queues = new Map<string, CommandResult[]>();

  constructor(recording: Recording = {}) {
    for (const [k, v] of Object.entries(recording)) this.queues.set(k, [...v]);
  }

  on(key: string, ...replies: CommandResult[]): this {
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...replies]);
    return this;
  }

  static keyOf(req: Pick<CommandRequest, 'file' | 'args'>): { key: string; script?: ScriptName } {
    const script = scriptOfArgs(req.args);
    if (script) return { key: `ps:${script}`, script };
    return { key: `emcmd:${String(req.args[1] ?? '').toUpperCase()}` };
  }

  async run(req: CommandRequest): Promise<CommandResult> {
    const { key, script } = ScriptedRunner.keyOf(req);
    this.calls.push({ key, program: req.file, args: [...req.args], stdin: req.stdin, ...(script ? { script } : {}) });
    const q = this.queues.get(key);
    if (!q || q.length === 0) throw new Error(`no recorded output for ${key}`);
    return q.length > 1 ? q.shift()! : q[0]!;
  }
}
