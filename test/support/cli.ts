/** Run the winha CLI as a user would (a child process, colour off, no WINHA_STORE from the environment). */
import { spawnSync } from 'node:child_process';
import { BIN } from './paths.js';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  signal: NodeJS.Signals | null;
}

export interface CliOptions {
  cwd?: string;
  input?: string;
  /** Appended as `--store URL`. */
  store?: string;
  timeout?: number;
}

export function runWinha(args: string[], o: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args, ...(o.store !== undefined ? ['--store', o.store] : [])], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout, killSignal: 'SIGKILL' as const } : {}),
  });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}
