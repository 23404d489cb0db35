/**
 * `winha service install|uninstall|status|configure`: install the agent as a Windows service without the MSI,
 * through the same WinSW XML the MSI ships. Host access (platform, files, processes) is injected for tests.
 */
import { system32Path } from '../drivers/windows/ps-host/spawn.js';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AGENT_CONFIG, SERVICE_ID, WRAPPER_EXE, WRAPPER_XML, scDelayedStartArgs, scFailureArgs, winswXml } from './winsw-config.js';

export type ServiceAction = 'install' | 'uninstall' | 'status';
export const SERVICE_ACTIONS: readonly ServiceAction[] = ['install', 'uninstall', 'status'];

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

export interface ServiceHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  writeFile(path: string, text: string): void;
  /** Run an executable by absolute path, no shell. */
  run(exe: string, args: string[]): RunResult;
}

export const realHost = (env: NodeJS.ProcessEnv): ServiceHost => ({
  platform: process.platform,
  env,
  exists: existsSync,
  writeFile: (p, t) => writeFileSync(p, t, 'utf8'),
  run: (exe, args) => {
    const r = spawnSync(exe, args, { shell: false, encoding: 'utf8', windowsHide: true, timeout: 120_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
  },
});

export interface ServiceFlags {
  config?: string;
  dir?: string;
}

export interface ServicePlan {
  dir: string;
  wrapper: string;
  xmlPath: string;
  xml: string;
  steps: { exe: string; args: string[]; optional: boolean }[];
}

/** The install directory: --dir, else the one this app runs from (<DIR>\app\dist\src\service). */
export function defaultInstallDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
}

/** What `winha service ACTION` writes and runs, without doing it (pure: tested off Windows). */
export function planService(action: ServiceAction, flags: ServiceFlags, host: Pick<ServiceHost, 'env'>, cwd: string): ServicePlan {
  const dir = flags.dir
    ? win32.isAbsolute(flags.dir) || isAbsolute(flags.dir)
      ? flags.dir
      : win32.resolve(cwd, flags.dir)
    : defaultInstallDir();
  const wrapper = win32.join(dir, WRAPPER_EXE);
  const xmlPath = win32.join(dir, WRAPPER_XML);
  const config = flags.config ?? DEFAULT_AGENT_CONFIG;
  const xml = winswXml({ config });
  const steps: ServicePlan['steps'] = [{ exe: wrapper, args: [action], optional: false }];
  // WinSW 1.17 sets the failure actions from the XML but has no delayed start: sc.exe does it.
  if (action === 'install') steps.push({ exe: scExe(host), args: scDelayedStartArgs(), optional: true });
  return { dir, wrapper, xmlPath, xml, steps };
}

export interface ServiceOutcome {
  code: number;
  out: string[];
  err: string[];
}

/** Run `winha service ACTION`: refuse off Windows, write the XML (install), run the wrapper, then sc.exe. */
export function runServiceAction(action: ServiceAction, flags: ServiceFlags, host: ServiceHost, cwd: string): ServiceOutcome {
  const out: string[] = [];
  const err: string[] = [];
  if (host.platform !== 'win32') {
    err.push(
      `service ${action}: not a Windows host (platform ${host.platform}); the agent runs as a Windows service only on Windows Server`,
    );
    return { code: 1, out, err };
  }
  const plan = planService(action, flags, host, cwd);
  if (!host.exists(plan.wrapper)) {
    err.push(`${plan.wrapper} not found: --dir must be the install directory holding ${WRAPPER_EXE} (the MSI layout)`);
    return { code: 1, out, err };
  }
  if (action === 'install') {
    host.writeFile(plan.xmlPath, plan.xml);
    out.push(`wrote ${plan.xmlPath}`);
  }
  if (runSteps(plan.steps, host, out, err) !== 0) return { code: 1, out, err };
  if (action === 'install') out.push(`service ${SERVICE_ID} installed; start it with: sc start ${SERVICE_ID}`);
  return { code: 0, out, err };
}

const scExe = (host: Pick<ServiceHost, 'env'>): string => system32Path(host.env, 'sc.exe');

/** The SCM settings the MSI's ServiceInstall cannot express: failure actions and delayed start (sc.exe). */
export function serviceSettingsSteps(host: Pick<ServiceHost, 'env'>): ServicePlan['steps'] {
  return [
    { exe: scExe(host), args: scFailureArgs(), optional: false },
    { exe: scExe(host), args: scDelayedStartArgs(), optional: false },
  ];
}

/** Run steps in order; a failed step that is not optional ends the run with code 1. */
export function runSteps(steps: ServicePlan['steps'], host: ServiceHost, out: string[], err: string[]): number {
  for (const step of steps) {
    const r = host.run(step.exe, step.args);
    if (r.stdout.trim()) out.push(r.stdout.trim());
    if (r.stderr.trim()) err.push(r.stderr.trim());
    if (r.error || r.status !== 0) {
      err.push(`${step.exe} ${step.args.join(' ')} failed: ${r.error?.message ?? `exit ${r.status}`}`);
      if (!step.optional) return 1;
    }
  }
  return 0;
}

/** `sc start winha-agent`; optional: a service that fails to start is retried by its failure actions. */
export const startStep = (host: Pick<ServiceHost, 'env'>): ServicePlan['steps'][number] => ({
  exe: scExe(host),
  args: ['start', SERVICE_ID],
  optional: true,
});

/** The install directory layout the MSI and `service install` share, for messages and tests. */
export const LAYOUT = { node: 'node.exe', app: join('app', 'bin', 'winha.js'), wrapper: WRAPPER_EXE, xml: WRAPPER_XML } as const;
