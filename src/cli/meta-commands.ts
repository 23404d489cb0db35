/**
 * `winha version` and `winha completion SHELL`: about the CLI itself. Registered
 * last from main.ts, so completion sees every other command.
 */
import { Argument, Option, type Command } from 'commander';
import { EXIT, type CliIO } from './io.js';
import type { VersionFlags } from './commands/version.js';

export function registerMetaCommands(
  program: Command,
  io: CliIO,
  setCode: (code: number) => void,
  withStore: (c: Command) => Command,
): void {
  withStore(
    program
      .command('version')
      .description("Print this client's version and, with --store (or $WINHA_STORE), each node's agent version from its node lease.")
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(async (flags: VersionFlags) => setCode(await (await import('./commands/version.js')).runVersion(flags, io)));

  program
    .command('completion')
    .description('Print a shell completion script: bash, zsh or powershell (e.g. source <(winha completion bash)).')
    .addArgument(new Argument('<shell>', 'bash, zsh or powershell').choices(['bash', 'zsh', 'powershell']))
    .action(async (shell: 'bash' | 'zsh' | 'powershell') => {
      const { completionScript } = await import('./completion.js');
      io.stdout.write(completionScript(program, shell));
      setCode(EXIT.OK);
    });
}
