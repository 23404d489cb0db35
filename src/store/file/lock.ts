/**
 * The file store's writer lock: one writer at a time across every process on
 * this machine, with no native dependencies.
 *
 * Taking it: write our identity {pid, host, token} to a private temp file, then
 * hard-link it to `lock`. link() fails with EEXIST when the lock is held, and
 * succeeds atomically with the full content otherwise (O_EXCL semantics
 * without a window where the file exists but is empty).
 *
 * Stale locks: when the holder's pid is no longer alive on this host (or the
 * file is unreadable debris from a power loss), the lock is broken by renaming
 * it to a private name and checking that what we moved is the stale lock we
 * judged; if a live lock slipped in between, it is linked back. Residual risk,
 * documented: a holder that crashed while two other processes race to break
 * its lock and a third takes the fresh one in between.
 *
 * Waiting uses the injected real-time clock (never the simulation's virtual
 * clock: this is about OS processes).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { Clock } from '../../lib/clock.js';
import { uuid } from '../../lib/random.js';
import { UnavailableError } from '../errors.js';
import { isErrno, removeFile } from './fsutil.js';

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isErrno(e, 'EPERM');
  }
}

async function readInfo(file: string): Promise<LockInfo | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 'missing';
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') return v as LockInfo;
  } catch {
    /* fall through */
  }
  return 'unreadable';
}

export class DirLock {
  private token: string | undefined;

  constructor(
    private readonly file: string,
    private readonly ioClock: Clock,
    private readonly timeoutMs = 30_000,
  ) {}

  get held(): boolean {
    return this.token !== undefined;
  }

  async acquire(): Promise<void> {
    if (this.token) throw new Error(`lock ${this.file} is already held by this client`);
    const token = uuid();
    const info: LockInfo = { pid: process.pid, host: os.hostname(), token };
    const tmp = `${this.file}.${token}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(info));
    const started = this.ioClock.monotonic();
    let delay = 1;
    try {
      for (;;) {
        try {
          await fs.link(tmp, this.file);
          this.token = token;
          return;
        } catch (e) {
          if (!isErrno(e, 'EEXIST')) throw e;
        }
        const holder = await readInfo(this.file);
        if (holder === 'missing') continue;
        if (holder === 'unreadable' || (holder.host === info.host && !pidAlive(holder.pid))) {
          await this.breakStale(holder, token);
          continue;
        }
        if (this.ioClock.monotonic() - started > this.timeoutMs) {
          throw new UnavailableError(
            `file store lock ${this.file} has been held by pid ${holder.pid} on ${holder.host} for over ${this.timeoutMs / 1000} s`,
          );
        }
        await this.ioClock.sleep(delay);
        delay = Math.min(delay * 2, 20);
      }
    } finally {
      await removeFile(tmp);
    }
  }

  async release(): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (!token) return;
    const cur = await readInfo(this.file);
    if (typeof cur === 'object' && cur.token === token) await removeFile(this.file);
  }

  private async breakStale(judged: LockInfo | 'unreadable', myToken: string): Promise<void> {
    const aside = `${this.file}.${myToken}.stale`;
    try {
      await fs.rename(this.file, aside);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return; // someone else broke it
      throw e;
    }
    const moved = await readInfo(aside);
    const same =
      (judged === 'unreadable' && moved === 'unreadable') ||
      (typeof judged === 'object' && typeof moved === 'object' && moved.token === judged.token);
    if (!same) {
      // A live lock replaced the stale one before our rename: put it back.
      try {
        await fs.link(aside, this.file);
      } catch (e) {
        if (!isErrno(e, 'EEXIST')) throw e;
      }
    }
    await removeFile(aside);
  }
}
