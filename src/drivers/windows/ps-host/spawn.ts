/**
 * How the agent starts its PowerShell host on a Windows node: Windows PowerShell 5.1 by absolute path (never a bare
 * name a planted powershell.exe could answer to; Sysnative from a 32-bit process so WOW64 does not redirect it),
 * `-File` on the shipped script (signable, readable by AppLocker/WDAC and EDR, no -EncodedCommand, no
 * -ExecutionPolicy Bypass), without a shell, with an allow-listed environment.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriverError } from '../../errors.js';
import { childEnvironment } from '../command-runner.js';
import type { SpawnHost } from './process-host.js';

export const HOST_FLAGS = ['-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-File'] as const;

/** %SystemRoot%\System32\<parts> of a Windows program shipped with the OS (sc.exe, eventcreate.exe), by absolute path. */
export function system32Path(env: NodeJS.ProcessEnv, ...parts: string[]): string {
  return win32.join(windowsDir(env), 'System32', ...parts);
}

function windowsDir(env: NodeJS.ProcessEnv): string {
  return env['SystemRoot'] ?? env['SYSTEMROOT'] ?? 'C:\\Windows';
}

/** Why this machine cannot run the Windows driver (no Windows PowerShell 5.1 where Windows keeps it), or undefined. */
export function notWindowsReason(env: NodeJS.ProcessEnv): string | undefined {
  const ps = windowsPowerShellPath(env);
  return existsSync(ps) ? undefined : `not a Windows host (powershell.exe not found at ${ps})`;
}

/** %SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe (Sysnative from a 32-bit process on 64-bit Windows). */
export function windowsPowerShellPath(env: NodeJS.ProcessEnv, arch: string = process.arch): string {
  const root = windowsDir(env);
  const wow64 = arch === 'ia32' && (env['PROCESSOR_ARCHITEW6432'] ?? '') !== '';
  return win32.join(root, wow64 ? 'Sysnative' : 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/** The shipped host script: <package>/ps/winha-host.ps1 (this module is <package>/dist/src/drivers/windows/ps-host/). */
export function shippedHostScript(): string {
  return fileURLToPath(new URL('../../../../../ps/winha-host.ps1', import.meta.url));
}

export interface HostCommand {
  file: string;
  args: string[];
}

/** The command line of the host; `powershellPath` and `script` override the defaults (both must be absolute). */
export function hostCommand(env: NodeJS.ProcessEnv, powershellPath?: string, script?: string): HostCommand {
  const file = powershellPath ?? windowsPowerShellPath(env);
  const ps1 = script ?? shippedHostScript();
  for (const [what, p] of [
    ['powershellPath', file],
    ['host script', ps1],
  ] as const) {
    if (!win32.isAbsolute(p) && !p.startsWith('/'))
      throw new DriverError({ code: 'InvalidArgument', message: `${what} must be an absolute path, got ${JSON.stringify(p)}` });
  }
  return { file, args: [...HOST_FLAGS, ps1] };
}

/** Spawns `cmd` without a shell, hidden, with only the environment PowerShell needs. */
export function spawnHost(cmd: HostCommand): SpawnHost {
  return () => {
    if (!existsSync(cmd.file)) throw new Error(`${cmd.file} does not exist (Windows PowerShell 5.1 is required; run winha doctor)`);
    return spawn(cmd.file, cmd.args, { shell: false, windowsHide: true, env: childEnvironment(process.env), stdio: 'pipe' });
  };
}
