/**
 * `winha driver record --out DIR [--volume X]...`: capture what this Windows
 * node's read-only commands print, as fixture files to send us. The work is in
 * src/drivers/windows/recorder.ts. Exit 0 recorded (some calls may have failed:
 * listed), 1 not a Windows host, 2 bad flags or a non-empty --out.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { SystemClock } from '../../lib/clock.js';
import { ChildProcessRunner } from '../../drivers/windows/command-runner.js';
import { resolveEmcmdPath } from '../../drivers/windows/emcmd.js';
import { PowerShellHost } from '../../drivers/windows/ps-host/process-host.js';
import { hostCommand, notWindowsReason, spawnHost } from '../../drivers/windows/ps-host/spawn.js';
import { hostSource, recordNode } from '../../drivers/windows/recorder.js';
import { directorySink, isEmptyDir } from '../../drivers/windows/recording-dir.js';
import { EXIT, UsageError, winhaVersion, type CliIO } from '../io.js';

export interface DriverRecordFlags {
  out?: string;
  volume?: string[];
  timeout?: string;
}

export async function runDriverRecordCommand(flags: DriverRecordFlags, io: CliIO): Promise<number> {
  if (!flags.out) throw new UsageError('--out DIR: where to write the recording');
  const volumes = (flags.volume ?? []).map((v) => {
    const letter = v.replace(/:$/, '').toUpperCase();
    if (!/^[A-Z]$/.test(letter)) throw new UsageError(`--volume ${JSON.stringify(v)}: one drive letter, e.g. --volume E`);
    return letter;
  });
  const timeoutMs = flags.timeout === undefined ? 60_000 : Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1_000 || timeoutMs > 600_000)
    throw new UsageError(`--timeout ${flags.timeout}: milliseconds from 1000 to 600000`);
  const out = path.resolve(io.cwd, flags.out);
  if (!(await isEmptyDir(out)))
    throw new UsageError(`--out ${flags.out}: the directory is not empty; a recording needs a new or empty one`);
  const notWindows = notWindowsReason(io.env);
  if (notWindows) {
    io.stderr.write(`winha: driver record [not-windows]: ${notWindows}\n`);
    return EXIT.FAILED;
  }
  const clock = new SystemClock();
  const host = new PowerShellHost({ spawn: spawnHost(hostCommand(io.env)), clock, pingIntervalMs: 0 });
  const source = hostSource(host, new ChildProcessRunner(), resolveEmcmdPath(io.env), timeoutMs);
  const manifest = await recordNode(source, directorySink(out), {
    volumes,
    hostname: hostname(),
    winhaVersion: winhaVersion(),
    clock,
    timeoutMs,
  }).finally(() => host.close());
  io.stdout.write(`recorded ${manifest.files.length} call(s) into ${out}\n`);
  for (const f of manifest.failed) io.stdout.write(`  could not run: ${f} (the file says why)\n`);
  io.stdout.write("review the files (they name this node's sites, paths and addresses), then send the directory\n");
  return EXIT.OK;
}
