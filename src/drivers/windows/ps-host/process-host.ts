/**
 * PowerShellHost: one long-lived host process (ps/winha-host.ps1) answering one JSON line per request, so a node
 * pays PowerShell's start-up and module loading once, not on every call (issue 15 item 1). Requests run one at a
 * time in order; each has a deadline past which the process is killed and restarted (a hung cmdlet cannot stall
 * the agent); a crash restarts it with backoff; an idle host is pinged; a full queue refuses new requests.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Clock, Timer } from '../../../lib/clock.js';
import { DriverError } from '../../errors.js';
import { LineReader } from './line-reader.js';
import type { HostAnswer, HostCallOptions, PsHost } from './types.js';

export type SpawnHost = () => ChildProcessWithoutNullStreams;

export interface HostLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface PowerShellHostOptions {
  spawn: SpawnHost;
  clock: Clock;
  log?: HostLog;
  /** Requests waiting beyond the one in flight; more are refused (HostBusy). */
  maxQueue?: number;
  /** From spawn to the hello line (PowerShell 5.1 start-up and module loading). */
  startTimeoutMs?: number;
  /** Restart delays after consecutive failures: min, doubling, capped at max. */
  restartMinMs?: number;
  restartMaxMs?: number;
  /** Consecutive failed starts after which requests fail at once instead of waiting. */
  failFastAfter?: number;
  /** Ping an idle host this often (0: never). */
  pingIntervalMs?: number;
  /** A line longer than this kills the host (a runaway answer cannot exhaust memory). */
  maxLineBytes?: number;
}

interface Pending {
  id: number;
  op: string;
  params: Record<string, unknown>;
  timeoutMs: number;
  resolve: (a: HostAnswer) => void;
  reject: (e: Error) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export type State = 'idle' | 'starting' | 'ready' | 'restarting' | 'backoff' | 'closed';

export interface HostStats {
  starts: number;
  served: number;
  deadlineKills: number;
  crashes: number;
}

export class PowerShellHost implements PsHost {
  private state: State = 'idle';
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private nextId = 1;
  private failures = 0;
  private timer: Timer | undefined;
  private readonly stderrTail: string[] = [];
  private lastExit = '';
  readonly stats: HostStats = { starts: 0, served: 0, deadlineKills: 0, crashes: 0 };
  private readonly o: Required<Omit<PowerShellHostOptions, 'log'>> & { log: HostLog | undefined };

  constructor(opts: PowerShellHostOptions) {
    this.o = {
      maxQueue: 64,
      startTimeoutMs: 60_000,
      restartMinMs: 1_000,
      restartMaxMs: 30_000,
      failFastAfter: 3,
      pingIntervalMs: 30_000,
      maxLineBytes: 16 * 1024 * 1024,
      ...opts,
      log: opts.log,
    };
  }

  call(op: string, params: Record<string, unknown>, co: HostCallOptions): Promise<HostAnswer> {
    if (this.state === 'closed') return Promise.reject(unavailable('the PowerShell host is closed'));
    if (co.signal.aborted) return Promise.reject(co.signal.reason instanceof Error ? co.signal.reason : aborted(op));
    if (this.state === 'backoff' && this.failures >= this.o.failFastAfter)
      return Promise.reject(
        unavailable(`the PowerShell host failed to start ${this.failures} times in a row (${this.lastExit}); restarting`),
      );
    if (this.queue.length >= this.o.maxQueue)
      return Promise.reject(
        new DriverError({
          code: 'HostBusy',
          transient: true,
          message: `the PowerShell host has ${this.queue.length} requests waiting; ${op} refused`,
        }),
      );
    return new Promise<HostAnswer>((resolve, reject) => {
      const p: Pending = { id: this.nextId++, op, params, timeoutMs: co.timeoutMs, resolve, reject, signal: co.signal, onAbort: () => {} };
      p.onAbort = () => {
        const i = this.queue.indexOf(p);
        if (i >= 0) this.queue.splice(i, 1);
        // In flight: its answer is discarded when it comes; its own deadline bounds how long the host stays busy.
        reject(co.signal.reason instanceof Error ? co.signal.reason : aborted(op));
      };
      co.signal.addEventListener('abort', p.onAbort, { once: true });
      this.queue.push(p);
      this.pump();
    });
  }

  /** Where the host process is in its life (for status and tests). */
  get status(): State {
    return this.state;
  }

  /** Requests waiting (not counting the one in flight). */
  get queued(): number {
    return this.queue.length;
  }

  /** Start the process now rather than on the first request (the agent does this at boot). */
  warmUp(): void {
    if (this.state === 'idle') this.start();
  }

  async close(): Promise<void> {
    this.state = 'closed';
    this.timer?.cancel();
    for (const p of this.queue.splice(0)) this.settle(p, unavailable('the PowerShell host was closed'));
    if (this.inFlight) this.settle(this.inFlight, unavailable('the PowerShell host was closed'));
    this.inFlight = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      child.kill();
    }
  }

  private pump(): void {
    if (this.state === 'idle') return this.start();
    if (this.state !== 'ready' || this.inFlight) return;
    const next = this.queue.shift();
    if (!next) return this.armPing();
    this.send(next);
  }

  private send(p: Pending): void {
    this.inFlight = p;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(p.timeoutMs, () => this.onDeadline(p));
    this.child!.stdin.write(`${asciiJson({ id: p.id, op: p.op, params: p.params })}\n`);
  }

  private start(): void {
    this.state = 'starting';
    this.stats.starts++;
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.o.spawn();
    } catch (e) {
      this.lastExit = `could not start: ${(e as Error).message}`;
      return this.failed();
    }
    this.child = child;
    const lines = new LineReader(this.o.maxLineBytes);
    child.stdout.on('data', (b: Buffer) => {
      if (this.child !== child) return;
      const r = lines.push(b);
      for (const l of r.lines) this.onLine(l);
      if (r.overflow) this.kill(child, `an answer line exceeded ${this.o.maxLineBytes} bytes`);
    });
    child.stderr.on('data', (b: Buffer) => {
      for (const l of b
        .toString('utf8')
        .split(/\r?\n/)
        .filter((x) => x.trim())) {
        this.stderrTail.push(l.slice(0, 500));
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        this.o.log?.warn({ line: l.slice(0, 500) }, 'PowerShell host wrote to stderr');
      }
    });
    child.stdin.on('error', () => undefined); // a dead host's pipe: its exit is handled below
    child.on('error', (e) => this.onExit(child, `could not run: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(child, signal ? `killed by ${signal}` : `exit code ${code}`));
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(this.o.startTimeoutMs, () => {
      if (this.child === child && this.state === 'starting') this.kill(child, `no hello within ${this.o.startTimeoutMs} ms`);
    });
  }

  private onLine(line: string): void {
    let doc: { id?: unknown; ok?: unknown; value?: unknown; error?: Record<string, unknown> };
    try {
      doc = JSON.parse(line) as typeof doc;
    } catch {
      this.o.log?.warn({ line: line.slice(0, 300) }, 'PowerShell host printed a line that is not JSON; ignored');
      return;
    }
    if (typeof doc !== 'object' || doc === null || typeof doc.ok !== 'boolean' || typeof doc.id !== 'number') {
      this.o.log?.warn({ line: line.slice(0, 300) }, 'PowerShell host printed JSON that is not an answer; ignored');
      return;
    }
    if (this.state === 'starting' && doc.id === 0) return this.onHello(doc.ok, doc.value, doc.error);
    const p = this.inFlight;
    if (!p || p.id !== doc.id) {
      this.o.log?.warn({ id: doc.id }, 'PowerShell host answered a request that is not in flight; ignored');
      return;
    }
    this.timer?.cancel();
    this.inFlight = undefined;
    this.failures = 0;
    this.stats.served++;
    const answer: HostAnswer = doc.ok
      ? { ok: true, value: doc.value ?? null }
      : {
          ok: false,
          error: {
            type: str(doc.error?.['type']),
            message: str(doc.error?.['message']),
            id: str(doc.error?.['id']),
          },
        };
    this.settle(p, undefined, answer);
    this.pump();
  }

  private onHello(ok: boolean, value: unknown, error: Record<string, unknown> | undefined): void {
    this.timer?.cancel();
    if (!ok) {
      this.lastExit = `start-up failed: ${str(error?.['message']) || 'unknown error'}`;
      this.o.log?.warn({ error }, 'PowerShell host failed to start');
      return; // it exits; onExit restarts with backoff
    }
    this.state = 'ready';
    this.failures = 0;
    this.o.log?.info({ hello: value }, 'PowerShell host ready');
    this.pump();
  }

  private onDeadline(p: Pending): void {
    if (this.inFlight !== p || !this.child) return;
    this.stats.deadlineKills++;
    this.settle(
      p,
      new DriverError({
        code: 'Timeout',
        transient: true,
        message: `PowerShell host did not answer ${p.op} within ${p.timeoutMs} ms; host restarted`,
      }),
    );
    this.inFlight = undefined;
    this.kill(this.child, `${p.op} passed its ${p.timeoutMs} ms deadline`);
  }

  private kill(child: ChildProcessWithoutNullStreams, why: string): void {
    this.o.log?.warn({ pid: child.pid, why }, 'killing the PowerShell host');
    // Nothing more is sent to a process being killed; its exit restarts it.
    if (this.child === child && this.state === 'ready') this.state = 'restarting';
    this.lastExit = why;
    child.kill('SIGKILL');
  }

  private onExit(child: ChildProcessWithoutNullStreams, how: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.timer?.cancel();
    const wasReady = this.state === 'ready' || this.state === 'restarting';
    if (this.state === 'closed') return;
    const tail = this.stderrTail.slice(-3).join(' | ');
    this.lastExit = `${this.lastExit || how}${tail ? `; stderr: ${tail}` : ''}`;
    if (this.inFlight) {
      this.stats.crashes++;
      this.settle(this.inFlight, unavailable(`the PowerShell host exited during ${this.inFlight.op} (${how})`));
      this.inFlight = undefined;
    }
    this.o.log?.warn({ how, wasReady }, 'PowerShell host exited');
    if (!wasReady) return this.failed();
    this.lastExit = '';
    // A running host that died restarts at once, so the next request (a 3 s safety probe) does not pay start-up.
    this.start();
  }

  private failed(): void {
    this.failures++;
    this.state = 'backoff';
    const delay = Math.min(this.o.restartMaxMs, this.o.restartMinMs * 2 ** (this.failures - 1));
    if (this.failures >= this.o.failFastAfter)
      for (const p of this.queue.splice(0)) this.settle(p, unavailable(`the PowerShell host cannot start (${this.lastExit})`));
    this.timer = this.o.clock.setTimer(delay, () => {
      if (this.state !== 'backoff') return;
      this.state = 'idle';
      this.start();
    });
  }

  private armPing(): void {
    if (this.o.pingIntervalMs <= 0) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(this.o.pingIntervalMs, () => {
      if (this.state !== 'ready' || this.inFlight || this.queue.length > 0) return;
      const ac = new AbortController();
      this.call('host.ping', {}, { signal: ac.signal, timeoutMs: 10_000 }).catch((e: Error) =>
        this.o.log?.warn({ error: e.message }, 'PowerShell host failed its health ping'),
      );
    });
  }

  private settle(p: Pending, err: Error | undefined, answer?: HostAnswer): void {
    p.signal.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve(answer!);
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function unavailable(message: string): DriverError {
  return new DriverError({ code: 'HostUnavailable', transient: true, message });
}

function aborted(op: string): DriverError {
  return new DriverError({ code: 'Timeout', transient: true, message: `${op} was cancelled by the caller` });
}

/** JSON with every non-ASCII character escaped, so the console code page cannot mangle it. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
