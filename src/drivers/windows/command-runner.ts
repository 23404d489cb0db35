/**
 * Runs a program with arguments and standard input, and returns what it
 * printed. Injected into the Windows driver so tests on Linux can replay
 * recorded outputs; the real one spawns the process without a shell, so no
 * argument is ever interpreted by cmd.exe.
 */
import { spawn } from 'node:child_process';

export interface CommandRequest {
  /** Executable path (powershell.exe, emcmd.exe). */
  file: string;
  args: readonly string[];
  /** Written to the process's standard input, then closed. */
  stdin: string;
  /** Kill the process when this fires (the driver's deadline). */
  signal: AbortSignal;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(req: CommandRequest): Promise<CommandResult>;
}

/** Real processes (on the Windows node). */
export class ChildProcessRunner implements CommandRunner {
  run(req: CommandRequest): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(req.file, [...req.args], { shell: false, windowsHide: true, signal: req.signal });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => {
        resolve({ exitCode: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined); // the process may exit before reading stdin
      child.stdin.end(req.stdin, 'utf8');
    });
  }
}
