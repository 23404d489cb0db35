/**
 * `winha version` and `winha completion SHELL`: about the CLI itself. Registered
 * last from main.ts, so completion sees every other command.
 */
import { Argument, type Command } from 'commander';
import { EXIT, winhaVersion, type CliIO } from './io.js';

export function registerMetaCommands(program: Command, io: CliIO, setCode: (code: number) => void): void {
  program
    .command('version')
    .description("Print this client's version (agents do not record theirs in the store yet).")
    .action(() => {
      io.stdout.write(`Client Version: ${winhaVersion()}\n`);
      setCode(EXIT.OK);
    });

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
