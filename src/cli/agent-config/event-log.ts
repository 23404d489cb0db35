/**
 * The agent's important events in the Windows Application log (source WinHA), for operators who watch Event
 * Viewer or forward it to their monitoring: failover, fence, ban, split brain and their kin, each with a stable
 * event id and type. Ordinary events (elected, released, a check that recovered) stay in the JSON log only.
 *
 * The writer spawns %SystemRoot%\System32\eventcreate.exe by absolute path with an argument vector (no shell).
 * node-windows' EventLogger was not used: it builds one command line with the message spliced between quotes and
 * runs it through the shell (child_process.exec), so a message holding `"` or `&` (they carry object names and
 * host error text) could run commands; on "Access is denied" it even re-runs that line elevated.
 */
import { system32Path } from '../../drivers/windows/ps-host/spawn.js';
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Clock } from '../../lib/clock.js';
import type { EventInput } from '../../controller/event-recorder.js';

export type EventLogType = 'ERROR' | 'WARNING' | 'INFORMATION';

export interface EventLogEntry {
  type: EventLogType;
  /** eventcreate accepts 1–1000. */
  id: number;
  message: string;
}

/** Where Event Log entries go (injected: Windows' eventcreate, a no-op elsewhere, a recorder in tests). */
export interface EventLogSink {
  write(entry: EventLogEntry): void;
}

export const EVENT_SOURCE = 'WinHA';

/** Stable event ids, by event reason (operators filter on them: never renumber, only add). */
export const EVENT_LOG_IDS: Readonly<Record<string, { id: number; type: EventLogType }>> = {
  AgentStarted: { id: 1, type: 'INFORMATION' },
  AgentStopped: { id: 2, type: 'INFORMATION' },
  Failover: { id: 100, type: 'WARNING' },
  Switchover: { id: 101, type: 'INFORMATION' },
  Switchback: { id: 102, type: 'INFORMATION' },
  Fenced: { id: 200, type: 'ERROR' },
  HostUnobservable: { id: 201, type: 'ERROR' },
  StaleEpochRefused: { id: 202, type: 'ERROR' },
  Banned: { id: 300, type: 'ERROR' },
  ActivationFailed: { id: 301, type: 'ERROR' },
  SplitBrain: { id: 400, type: 'ERROR' },
  SplitBrainResolved: { id: 401, type: 'WARNING' },
  ForcedPromotion: { id: 402, type: 'WARNING' },
  AsyncPromotion: { id: 403, type: 'WARNING' },
  PreviousActiveStillServing: { id: 500, type: 'WARNING' },
  SafetyCheckFailed: { id: 501, type: 'WARNING' },
  EventsDropped: { id: 600, type: 'WARNING' },
};

/** eventcreate's /D limit is generous, but a screenful is what a person reads in Event Viewer. */
const MAX_MESSAGE = 4000;

/** The Event Log entry of a recorded event, or undefined for an ordinary one. */
export function eventLogEntryOf(node: string, e: EventInput): EventLogEntry | undefined {
  const known = EVENT_LOG_IDS[e.reason];
  if (!known) return undefined;
  const obj = `${e.involved.kind} ${e.involved.namespace}/${e.involved.name}`;
  const code = e.code !== undefined ? ` (code ${e.code})` : '';
  const text = `${e.reason} on ${node}: ${obj}: ${e.message}${code}`;
  return { ...known, message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text };
}

/** A repeat of the same entry within this long is counted, not written (SplitBrain is reported every cycle). */
export const EVENT_LOG_REPEAT_MS = 10 * 60_000;

/** Recorded events → the sink: only important ones, repeats folded per EVENT_LOG_REPEAT_MS. */
export class EventLogForwarder {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly sink: EventLogSink,
    private readonly node: string,
    private readonly clock: Clock,
  ) {}

  onEvent(e: EventInput): void {
    const entry = eventLogEntryOf(this.node, e);
    if (entry) this.write(entry, `${e.reason}\0${e.involved.kind}/${e.involved.namespace}/${e.involved.name}\0${e.message}`);
  }

  /** An entry of the agent itself (started, stopped). */
  agent(reason: 'AgentStarted' | 'AgentStopped', message: string): void {
    this.sink.write({ ...EVENT_LOG_IDS[reason]!, message });
  }

  private write(entry: EventLogEntry, key: string): void {
    const now = this.clock.monotonic();
    const seen = this.last.get(key);
    if (seen && now - seen.at < EVENT_LOG_REPEAT_MS) {
      seen.suppressed++;
      return;
    }
    const repeats = seen?.suppressed ? ` (and ${seen.suppressed} more times in the last ${EVENT_LOG_REPEAT_MS / 60_000} minutes)` : '';
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 1000) this.last.delete(this.last.keys().next().value!);
    this.sink.write({ ...entry, message: entry.message + repeats });
  }
}

type Spawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** Windows: one eventcreate.exe per entry, by absolute path, arguments as a vector, never a shell. */
export class EventCreateSink implements EventLogSink {
  readonly program: string;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly onError: (err: string) => void,
    private readonly spawn: Spawn = nodeSpawn,
  ) {
    this.program = system32Path(env, 'eventcreate.exe');
  }

  /** The argument vector of one entry (for tests: what reaches eventcreate, verbatim). */
  static argv(e: EventLogEntry): string[] {
    return ['/L', 'APPLICATION', '/T', e.type, '/SO', EVENT_SOURCE, '/ID', String(e.id), '/D', e.message];
  }

  write(e: EventLogEntry): void {
    let child: ChildProcess;
    try {
      child = this.spawn(this.program, EventCreateSink.argv(e), { shell: false, stdio: 'ignore', windowsHide: true });
    } catch (err) {
      return this.onError(String(err));
    }
    child.once('error', (err) => this.onError(String(err)));
    child.once('exit', (code) => {
      if (code !== 0) this.onError(`eventcreate exited ${code}`);
    });
  }
}

/** Off Windows there is no Event Log: say so once (when made), write nothing. */
export class NoEventLog implements EventLogSink {
  constructor(say: (msg: string) => void) {
    say('log.eventLog is on but this is not Windows: nothing goes to an Event Log (the JSON log has every event)');
  }
  write(): void {}
}
