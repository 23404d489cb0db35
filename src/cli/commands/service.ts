/** `winha service install|uninstall|status|configure`: thin CLI over src/service. */
import { win32 } from 'node:path';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { SERVICE_ACTIONS, realHost, runServiceAction, type ServiceAction, type ServiceFlags } from '../../service/service.js';
import { configureAgent, type ConfigureFlags } from '../../service/agent-config.js';
import { SERVICE_ID } from '../../service/winsw-config.js';

export async function runService(action: string, flags: ServiceFlags, io: CliIO): Promise<number> {
  if (!SERVICE_ACTIONS.includes(action as ServiceAction)) {
    throw new UsageError(`service: unknown action "${action}" (one of ${SERVICE_ACTIONS.join(', ')})`);
  }
  const r = runServiceAction(action as ServiceAction, flags, realHost(io.env), io.cwd);
  for (const line of r.out) io.stdout.write(`${line}\n`);
  for (const line of r.err) io.stderr.write(`winha: ${line}\n`);
  return Promise.resolve(r.code);
}

export async function runServiceConfigure(flags: ConfigureFlags & { start?: boolean }, io: CliIO): Promise<number> {
  const r = configureAgent(flags);
  io.stdout.write(
    `${flags.config}: ${r.created ? 'created' : 'kept'}${r.changed.length ? `, set ${r.changed.join(', ')}` : ''}${r.configured ? '' : ' (node or store not set yet: edit it, then start the service)'}\n`,
  );
  if (flags.start && r.configured && process.platform === 'win32') {
    const sc = win32.join(io.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'sc.exe');
    const { spawnSync } = await import('node:child_process');
    const s = spawnSync(sc, ['start', SERVICE_ID], { shell: false, encoding: 'utf8', windowsHide: true });
    // A service that fails to start must not roll the install back: the SCM's failure actions retry it.
    if (s.status !== 0) io.stderr.write(`winha: sc start ${SERVICE_ID} failed (exit ${s.status}): ${s.stdout ?? ''}${s.stderr ?? ''}\n`);
  }
  return EXIT.OK;
}
