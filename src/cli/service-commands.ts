/** `winha service ...` (issue 16): registered from main.ts; the module loads only when the command runs. */
import type { Command } from 'commander';
import type { CliIO } from './io.js';

const serviceCmd = () => import('./commands/service.js');
type FlagsOf<F extends (...args: never[]) => unknown, N extends number = 0> = Parameters<F>[N];
type Cmd<M extends () => Promise<unknown>> = Awaited<ReturnType<M>>;

export function registerServiceCommands(program: Command, io: CliIO, setCode: (code: number) => void): void {
  const service = program
    .command('service')
    .description('The agent as a Windows service without the MSI: install|uninstall|status through the WinSW wrapper in --dir.');
  service
    .command('configure')
    .description('Create or update agent.yaml from NODE/STORE (what the MSI runs); --start starts the service when both are set.')
    .requiredOption('--config <file>', 'agent configuration file')
    .option('--node <name>', 'node name to set (empty: unchanged)')
    .option('--store <url>', 'store URL to set (empty: unchanged)')
    .option('--example <file>', 'copied when the configuration does not exist yet')
    .option('--service-settings', 'also set the failure actions and delayed start of winha-agent (sc.exe)')
    .option('--start', 'start the service if node and store are set')
    .action(async (flags: FlagsOf<Cmd<typeof serviceCmd>['runServiceConfigure']>) =>
      setCode(await (await serviceCmd()).runServiceConfigure(flags, io)),
    );
  const what = {
    install: 'write winha-agent.xml and install the service',
    uninstall: 'remove the service',
    status: 'show the service state',
  };
  for (const action of ['install', 'uninstall', 'status'] as const) {
    service
      .command(action)
      .description(`${what[action]} (runs winha-agent.exe ${action})`)
      .option('--config <file>', 'agent configuration the service runs with (default %ProgramData%\\WinHA\\agent.yaml)')
      .option('--dir <dir>', 'install directory holding node.exe, app\\ and winha-agent.exe (default: where this winha runs from)')
      .action(async (flags: FlagsOf<Cmd<typeof serviceCmd>['runService'], 1>) =>
        setCode(await (await serviceCmd()).runService(action, flags, io)),
      );
  }
}
