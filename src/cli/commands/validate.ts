/** `winha validate`: check manifests for CI. */
import { readInputs, InputError } from '../../validate/sources.js';
import { validateInputs } from '../../validate/validate.js';
import { FORMATS, format, type Format } from '../../validate/format/index.js';
import { EXIT, UsageError, wantsColor, winhaVersion, type CliIO } from '../io.js';

export interface ValidateFlags {
  recursive?: boolean;
  output?: string;
  strict?: boolean;
  color?: boolean;
}

export async function runValidate(paths: string[], flags: ValidateFlags, io: CliIO): Promise<number> {
  const fmt = (flags.output ?? 'text') as Format;
  if (!FORMATS.includes(fmt)) throw new UsageError(`unknown output format "${flags.output}" (use ${FORMATS.join(', ')})`);
  if (paths.length === 0)
    throw new UsageError('name the manifests to check: files, directories (with -R to recurse) or - for standard input');
  let inputs;
  try {
    inputs = await readInputs(paths, !!flags.recursive, io.cwd, io.stdin);
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr.write(`winha validate: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  const report = validateInputs(inputs);
  const hasErrors = report.problems.some((p) => p.severity === 'error');
  const hasWarnings = report.problems.some((p) => p.severity === 'warning');
  const failed = hasErrors || (!!flags.strict && hasWarnings);
  report.valid = !failed;
  io.stdout.write(format(report, fmt, { color: wantsColor(io, flags.color), version: winhaVersion() }));
  return failed ? EXIT.FAILED : EXIT.OK;
}
