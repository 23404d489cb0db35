/**
 * Runs a program with arguments and standard input, and returns what it
 * printed. Injected into the Windows driver so tests on Linux can replay
 * recorded outputs; the real one spawns the process without a shell, so no
 * argument is ever interpreted by cmd.exe, with an allow-listed
 * environment, so the agent's secrets (WINHA_ETCD_PASSWORD, …) never reach it.
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

/** What PowerShell and emcmd.exe need of the environment (names compared without case, as Windows does). */
const CHILD_ENV = new Set(
  [
    'SystemRoot',
    'SystemDrive',
    'windir',
    'ComSpec',
    'PATH',
    'PATHEXT',
    'TEMP',
    'TMP',
    'USERPROFILE',
    'USERNAME',
    'USERDOMAIN',
    'COMPUTERNAME',
    'HOMEDRIVE',
    'HOMEPATH',
    'APPDATA',
    'LOCALAPPDATA',
    'ProgramData',
    'ProgramFiles',
    'ProgramFiles(x86)',
    'ProgramW6432',
    'CommonProgramFiles',
    'CommonProgramFiles(x86)',
    'CommonProgramW6432',
    'PSModulePath',
    'NUMBER_OF_PROCESSORS',
    'PROCESSOR_ARCHITECTURE',
    'OS',
    'ExtMirrBase', // DataKeeper's install directory: emcmd.exe finds its files by it
    'LANG',
    'HOME',
  ].map((n) => n.toLowerCase()),
);

/** The allow-listed part of `env`. */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && CHILD_ENV.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** Real processes (on the Windows node). */
export class ChildProcessRunner implements CommandRunner {
  run(req: CommandRequest): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(req.file, [...req.args], {
        shell: false,
        windowsHide: true,
        signal: req.signal,
        env: childEnvironment(process.env),
      });
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
