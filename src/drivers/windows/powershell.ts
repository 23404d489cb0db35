/**
 * How a constant script runs: `powershell.exe -NoProfile -NonInteractive
 * -ExecutionPolicy Bypass -EncodedCommand <base64 of the constant script>`,
 * parameters as JSON on standard input, the result as JSON on standard output.
 * The command line depends only on which script runs, never on a caller value.
 */
import { DriverError } from '../errors.js';
import type { CommandResult } from './command-runner.js';
import { SCRIPTS, type ScriptName } from './powershell-scripts.js';

export const POWERSHELL_FLAGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand'] as const;

const ENCODED = new Map<ScriptName, string>(
  (Object.keys(SCRIPTS) as ScriptName[]).map((name) => [name, Buffer.from(SCRIPTS[name], 'utf16le').toString('base64')]),
);
const BY_ENCODING = new Map<string, ScriptName>([...ENCODED].map(([k, v]) => [v, k]));

export function powershellArgs(script: ScriptName): string[] {
  return [...POWERSHELL_FLAGS, ENCODED.get(script)!];
}

/** Which constant script a PowerShell command line runs (for replaying recorded outputs). */
export function scriptOfArgs(args: readonly string[]): ScriptName | undefined {
  const last = args.at(-1);
  return last === undefined ? undefined : BY_ENCODING.get(last);
}

/** JSON with every non-ASCII character escaped, so the console code page cannot mangle it. */
export function stdinJson(params: unknown): string {
  return JSON.stringify(params).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface PowerShellFailure {
  type: string;
  message: string;
  id: string;
}

/** Errors that usually go away on a second try (IIS config file locked, RPC hiccups). */
const TRANSIENT =
  /0x80070020|being used by another process|has changed on disk|RPC server is unavailable|0x800706BA|temporarily unavailable/i;

/** Read the `{"ok":…}` document a script printed last; map script exceptions to typed errors. */
export function decodeScriptOutput(
  script: ScriptName,
  r: CommandResult,
  mapFailure: (f: PowerShellFailure) => DriverError | undefined,
): unknown {
  const line = r.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (line === undefined) {
    const why = (r.stderr.trim() || r.stdout.trim()).slice(0, 300);
    throw new DriverError({
      code: 'CommandFailed',
      transient: TRANSIENT.test(why),
      message: `PowerShell script ${script} printed no result (exit ${r.exitCode})${why ? `: ${why}` : ''}`,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new DriverError({ code: 'ParseError', message: `PowerShell script ${script} printed invalid JSON: ${line.slice(0, 200)}` });
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as { ok?: unknown }).ok !== 'boolean') {
    throw new DriverError({ code: 'ParseError', message: `PowerShell script ${script} printed JSON without "ok": ${line.slice(0, 200)}` });
  }
  const d = doc as { ok: boolean; value?: unknown; error?: Partial<PowerShellFailure> };
  if (d.ok) return d.value ?? null;
  const failure: PowerShellFailure = {
    type: String(d.error?.type ?? ''),
    message: String(d.error?.message ?? ''),
    id: String(d.error?.id ?? ''),
  };
  const mapped = mapFailure(failure);
  if (mapped) throw mapped;
  throw new DriverError({
    code: 'CommandFailed',
    transient: TRANSIENT.test(failure.message),
    message: `${script}: ${failure.message || failure.type}`,
    detail: { exception: failure.type },
  });
}
