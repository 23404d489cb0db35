/** `winha service install|uninstall|status|configure`: thin CLI over src/service. */
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { EXIT, UsageError, type CliIO } from '../io.js';
import {
  SERVICE_ACTIONS,
  realHost,
  runServiceAction,
  runSteps,
  serviceSettingsSteps,
  startStep,
  type ServiceAction,
  type ServiceFlags,
} from '../../service/service.js';
import { configureAgent, type ConfigureFlags } from '../../service/agent-config.js';

const print = (io: CliIO, out: string[], err: string[]) => {
  for (const line of out) io.stdout.write(`${line}\n`);
  for (const line of err) io.stderr.write(`winha: ${line}\n`);
};

export async function runService(action: string, flags: ServiceFlags, io: CliIO): Promise<number> {
  if (!SERVICE_ACTIONS.includes(action as ServiceAction)) {
    throw new UsageError(`service: unknown action "${action}" (one of ${SERVICE_ACTIONS.join(', ')})`);
  }
  const r = runServiceAction(action as ServiceAction, flags, realHost(io.env), io.cwd);
  print(io, r.out, r.err);
  return Promise.resolve(r.code);
}

export type ConfigureCommandFlags = ConfigureFlags & { serviceSettings?: boolean; start?: boolean };

/** What the MSI runs after InstallServices: agent.yaml from NODE/STORE, the SCM settings, then start if configured. */
export function runServiceConfigure(flags: ConfigureCommandFlags, io: CliIO): Promise<number> {
  const r = configureAgent(flags);
  // WinSW writes its own log here; it may not create the directory itself.
  mkdirSync(join(dirname(flags.config), 'logs'), { recursive: true });
  const how = r.created ? 'created' : 'kept';
  const set = r.changed.length ? `, set ${r.changed.join(', ')}` : '';
  io.stdout.write(`${flags.config}: ${how}${set}${r.configured ? '' : ' (node or store not set: edit it, then sc start winha-agent)'}\n`);
  const host = realHost(io.env);
  const steps = [...(flags.serviceSettings ? serviceSettingsSteps(host) : []), ...(flags.start && r.configured ? [startStep(host)] : [])];
  if (steps.length > 0 && host.platform !== 'win32') {
    io.stderr.write(`winha: service configure: not a Windows host (platform ${host.platform}): no service to set or start\n`);
    return Promise.resolve(EXIT.FAILED);
  }
  const out: string[] = [];
  const err: string[] = [];
  const code = runSteps(steps, host, out, err);
  print(io, out, err);
  return Promise.resolve(code);
}
