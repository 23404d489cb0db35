/**
 * `winha driver record`: run the Windows driver's read-only commands once each
 * and keep their raw output as fixture files, so what a real node prints can be
 * replayed through the driver in tests (test/drivers/windows/fixtures/README.md
 * describes the format). Only read-only commands that take no credentials run,
 * so no secret can end up in a recording.
 */
import type { Clock } from '../../lib/clock.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import type { HostOp } from './driver-context.js';
import type { EmcmdCommand } from './emcmd.js';
import type { HostAnswer, PsHost } from './ps-host/types.js';

/** What one recorded call returned: the host's answer, or emcmd's process output. */
export type RecordedResult = HostAnswer | CommandResult;

export const RECORDING_FORMAT = 'winha-recording/1';

/** One recorded call: the file `NNN-<key>.json`. `result` or `error` (the command could not be run at all). */
export interface RecordedFile {
  format: typeof RECORDING_FORMAT;
  /** The replay key, as test/drivers/scripted-runner.ts uses it: `ps:<host operation>` or `emcmd:<COMMAND>`. */
  key: string;
  kind: 'ps' | 'emcmd';
  /** The host operation or the EMCMD command. */
  op: string;
  /** The operation's parameters (sent as JSON data) or EMCMD arguments after the command. */
  params: Record<string, unknown> | string[];
  durationMs: number;
  result?: RecordedResult;
  error?: string;
}

export interface RecordingManifest {
  format: typeof RECORDING_FORMAT;
  recordedAt: string;
  hostname: string;
  /** Unknown when no recorded command reports it. */
  powershellVersion: string | null;
  winhaVersion: string;
  /** The files, in the order the calls ran (replay order). */
  files: string[];
  failed: string[];
  note: string;
}

/** Runs the commands: the real runner on a node, a scripted one in tests. */
export interface RecordSource {
  ps(op: HostOp, params: Record<string, unknown>, signal: AbortSignal): Promise<HostAnswer>;
  emcmd(command: EmcmdCommand, args: string[], signal: AbortSignal): Promise<CommandResult>;
}

/** Where the files go (a directory on a node, a map in tests). */
export interface FixtureSink {
  write(name: string, content: string): Promise<void>;
}

/** The same requests the driver makes (./driver-context.ts): operations of the PowerShell host, emcmd argv. */
export function hostSource(host: PsHost, runner: CommandRunner, emcmdPath: string, timeoutMs: number): RecordSource {
  return {
    ps: (op, params, signal) => host.call(op, params, { signal, timeoutMs }),
    emcmd: (command, args, signal) => runner.run({ file: emcmdPath, args: ['.', command, ...args], stdin: '', signal }),
  };
}

export interface RecordOptions {
  /** Drive letters (no colon) to ask DataKeeper about. */
  volumes: string[];
  hostname: string;
  winhaVersion: string;
  clock: Clock;
  timeoutMs: number;
}

const PS_CALLS: [HostOp, Record<string, unknown>][] = [
  ['service.query', { name: 'W3SVC' }],
  ['service.query', { name: 'WAS' }],
  ['service.query', { name: 'FTPSVC' }],
  ['site.list', {}],
  ['net.interfaces', {}],
  ['net.addresses', {}],
];
const EMCMD_CALLS: EmcmdCommand[] = ['GETMIRRORVOLINFO', 'GETMIRRORTYPE', 'GETRESYNCSTATUS'];

export async function recordNode(source: RecordSource, sink: FixtureSink, opts: RecordOptions): Promise<RecordingManifest> {
  const files: string[] = [];
  const failed: string[] = [];
  const one = async (
    file: Omit<RecordedFile, 'durationMs' | 'result' | 'error' | 'format'>,
    run: (s: AbortSignal) => Promise<RecordedResult>,
  ) => {
    const ac = new AbortController();
    const timer = opts.clock.setTimer(opts.timeoutMs, () => ac.abort(new Error(`no answer within ${opts.timeoutMs} ms`)));
    const started = opts.clock.monotonic();
    const rec: RecordedFile = { format: RECORDING_FORMAT, ...file, durationMs: 0 };
    try {
      rec.result = await run(ac.signal);
    } catch (e) {
      rec.error = (e as Error).message;
    } finally {
      timer.cancel();
    }
    rec.durationMs = opts.clock.monotonic() - started;
    const name = `${String(files.length + 1).padStart(3, '0')}-${file.key.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`;
    await sink.write(name, JSON.stringify(rec, null, 2) + '\n');
    files.push(name);
    if (rec.error !== undefined) failed.push(name);
  };
  for (const [script, params] of PS_CALLS) {
    await one({ key: `ps:${script}`, kind: 'ps', op: script, params }, (s) => source.ps(script, params, s));
  }
  for (const volume of opts.volumes) {
    for (const command of EMCMD_CALLS) {
      await one({ key: `emcmd:${command}`, kind: 'emcmd', op: command, params: [volume] }, (s) => source.emcmd(command, [volume], s));
    }
  }
  const manifest: RecordingManifest = {
    format: RECORDING_FORMAT,
    recordedAt: new Date(opts.clock.now()).toISOString(),
    hostname: opts.hostname,
    powershellVersion: null,
    winhaVersion: opts.winhaVersion,
    files,
    failed,
    note:
      'Read-only commands only (service, site, network and DataKeeper queries); none takes credentials, and no environment ' +
      'variable, secret or password is ever recorded. Site names, paths and addresses of this node are included: review before sending.',
  };
  await sink.write('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Recorded outputs by replay key, in recording order (what ScriptedRunner takes); calls that could not run are left out. */
export function replayRecording(files: readonly RecordedFile[]): Record<string, RecordedResult[]> {
  const out: Record<string, RecordedResult[]> = {};
  for (const f of files) {
    const format: string = f.format;
    if (format !== RECORDING_FORMAT) throw new Error(`${f.key}: format ${JSON.stringify(format)}, expected ${RECORDING_FORMAT}`);
    if (f.result) (out[f.key] ??= []).push(f.result);
  }
  return out;
}
