/**
 * The file store's writer lock: one writer at a time across every process on
 * this machine, held by a kernel object that dies with its process.
 *
 * The lock is a local socket name bound by the holder: on Linux an abstract
 * Unix socket `\0winha-file-store-<id>`, on Windows a named pipe
 * `\\.\pipe\winha-file-store-<id>`, where <id> hashes the store directory's
 * device and inode (so every path to one directory names one lock).
 *
 * Why it is exclusive: binding a name the kernel already has bound fails
 * (EADDRINUSE; Windows creates the first pipe instance with
 * FILE_FLAG_FIRST_PIPE_INSTANCE), and the bind is a single system call, so of
 * any number of callers exactly one succeeds. The kernel unbinds the name
 * when the holder closes it or its process ends in any way (kill -9, crash),
 * so there is nothing stale to break: no pid to judge, no hostname, no
 * breaking race, no file left behind. A waiter only retries its bind.
 *
 * Scope, documented: processes of one machine (on Linux, of one network
 * namespace: containers sharing a directory but not a network namespace are
 * not excluded). Other platforms have no such name here and refuse to write.
 *
 * A waiter that gives up connects to the name: the holder answers with its
 * {pid, host, since} so the error says who holds it. Waiting uses the
 * injected real-time clock (this is about OS processes, not simulated time).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../lib/clock.js';
import { UnavailableError } from '../errors.js';
import { isErrno } from './fsutil.js';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isErrno(e, 'EPERM');
  }
}

/** The kernel name of the lock of directory `dir`. */
export async function lockAddress(dir: string): Promise<string> {
  const st = await fs.stat(dir, { bigint: true });
  // A file system without inode numbers (ino 0) falls back to the canonical path.
  const identity = st.ino !== 0n ? `${st.dev}:${st.ino}` : (await fs.realpath(dir)).toLowerCase();
  const id = createHash('sha256').update(identity).digest('hex').slice(0, 32);
  if (process.platform === 'linux') return `\0winha-file-store-${id}`;
  if (process.platform === 'win32') return `\\\\.\\pipe\\winha-file-store-${id}`;
  throw new UnavailableError(
    `file store ${dir}: its writer lock needs Linux or Windows (this is ${process.platform}); use etcd:// or memory://`,
  );
}

function listen(server: net.Server, address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (e: unknown): void => {
      server.off('listening', onListening);
      if (isErrno(e, 'EADDRINUSE', 'EACCES')) resolve(false);
      else reject(e instanceof Error ? e : new Error(String(e)));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ path: address, exclusive: true });
  });
}

export class DirLock {
  held = false;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  /** `file` is DIR/lock: the lock belongs to DIR (the name itself is never created on disk). */
  constructor(
    private readonly file: string,
    private readonly ioClock: Clock,
    private readonly timeoutMs = 30_000,
  ) {}

  async dispose(): Promise<void> {
    await this.release();
  }

  /** Take the lock if it is free now, without waiting. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) throw new Error(`lock ${this.file} is already held by this client`);
    return this.bind(await lockAddress(path.dirname(this.file)));
  }

  private async bind(address: string): Promise<boolean> {
    const info: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date(this.ioClock.now()).toISOString() };
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      s.end(JSON.stringify(info));
    });
    if (!(await listen(server, address))) return false;
    server.unref(); // the lock must not keep a process alive
    this.server = server;
    this.held = true;
    return true;
  }

  async acquire(): Promise<void> {
    if (this.held) throw new Error(`lock ${this.file} is already held by this client`);
    const dir = path.dirname(this.file);
    const address = await lockAddress(dir);
    const started = this.ioClock.monotonic();
    let delay = 1;
    for (;;) {
      if (await this.bind(address)) return;
      if (this.ioClock.monotonic() - started > this.timeoutMs) {
        const holder = await this.askHolder(address);
        const who = holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another process';
        throw new UnavailableError(
          `file store ${dir}: the writer lock has been held by ${who} for over ${this.timeoutMs / 1000} s; is a winha process hung?`,
          { reason: 'LockTimeout' },
        );
      }
      await this.ioClock.sleep(delay);
      delay = Math.min(delay * 2, 20);
    }
  }

  async release(): Promise<void> {
    const server = this.server;
    if (!this.held || !server) return;
    this.held = false;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** The holder's identity, if it answers within a second. */
  private askHolder(address: string): Promise<LockInfo | undefined> {
    return new Promise((resolve) => {
      let text = '';
      const sock = net.connect({ path: address });
      const timer = this.ioClock.setTimer(1000, () => sock.destroy());
      sock.on('data', (d: Buffer) => (text += d.toString()));
      sock.on('error', () => undefined);
      sock.on('close', () => {
        timer.cancel();
        try {
          resolve(JSON.parse(text) as LockInfo);
        } catch {
          resolve(undefined);
        }
      });
    });
  }
}
