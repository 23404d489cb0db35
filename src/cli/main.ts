/**
 * The `winha` command line: parse flags, call the library, print. Exit codes:
 * 0 success (diff: no difference), 1 problems or differences found or the
 * operation failed, 2 usage or I/O error.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError, processIO, winhaVersion, type CliIO } from './io.js';
import { runValidate } from './commands/validate.js';
import { FORMATS } from '../validate/format/index.js';

export function buildProgram(io: CliIO, setCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('winha')
    .description('Declarative high availability for Windows Server clusters serving IIS sites.')
    .version(winhaVersion(), '--version')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes:
  0  success (diff: no difference)
  1  problems found (validate), differences found (diff), or the operation failed
  2  usage or I/O error`,
    );

  program
    .command('validate')
    .description('Check WinHA manifests: schemas and cross-object rules, each problem at file:line:column.')
    .argument('[paths...]', 'files, directories, or - for standard input')
    .option('-R, --recursive', 'descend into directories')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...FORMATS]).default('text'))
    .option('--strict', 'warnings fail the run too')
    .option('--no-color', 'never colour the text output')
    .action(async (paths: string[], flags) => setCode(await runValidate(paths, flags, io)));

  return program;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`winha: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  return code;
}
