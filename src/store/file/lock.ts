/**
 * The file store's writer lock: one writer at a time across every process on
 * this machine, with no native dependencies.
 *
 * Taking it: write our identity {pid, host, token} to a private file (once per
 * client), then hard-link it to `lock`. link() fails with EEXIST when the lock is held, and
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
import path from 'node:path';
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
  /** One identity per client; a dead process's lock is told apart by pid, a live one's by token. */
  private readonly token = uuid();
  private readonly identity: string;
  private identityWritten = false;
  held = false;

  constructor(
    private readonly file: string,
    private readonly ioClock: Clock,
    private readonly timeoutMs = 30_000,
  ) {
    this.identity = `${file}.${this.token}.id`;
  }

  /** Remove our identity file (when the store closes). */
  async dispose(): Promise<void> {
    if (this.held) await this.release();
    await removeFile(this.identity);
    this.identityWritten = false;
  }

  async acquire(): Promise<void> {
    if (this.held) throw new Error(`lock ${this.file} is already held by this client`);
    const info: LockInfo = { pid: process.pid, host: os.hostname(), token: this.token };
    // Our identity file is written once and linked on every acquisition (one system call when free).
    if (!this.identityWritten) {
      await fs.writeFile(this.identity, JSON.stringify(info));
      this.identityWritten = true;
    }
    const started = this.ioClock.monotonic();
    let delay = 1;
    for (;;) {
      try {
        await fs.link(this.identity, this.file);
        this.held = true;
        return;
      } catch (e) {
        if (isErrno(e, 'ENOENT')) {
          this.identityWritten = false; // someone swept our identity file: write it again
          await fs.writeFile(this.identity, JSON.stringify(info));
          this.identityWritten = true;
          continue;
        }
        if (!isErrno(e, 'EEXIST')) throw e;
      }
      const holder = await readInfo(this.file);
      if (holder === 'missing') continue;
      if (holder === 'unreadable' || (holder.host === info.host && !pidAlive(holder.pid))) {
        await this.breakStale(holder);
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
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const cur = await readInfo(this.file);
    if (typeof cur === 'object' && cur.token === this.token) await removeFile(this.file);
  }

  private async breakStale(judged: LockInfo | 'unreadable'): Promise<void> {
    const aside = `${this.file}.${this.token}.stale`;
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

/** Remove identity files of processes that no longer exist on this host (they crashed). */
export async function sweepLockDebris(layout: { root: string; lock: string }): Promise<void> {
  const base = path.basename(layout.lock);
  const host = os.hostname();
  for (const name of await fs.readdir(layout.root)) {
    if (!name.startsWith(`${base}.`) || !(name.endsWith('.id') || name.endsWith('.stale'))) continue;
    const file = path.join(layout.root, name);
    const info = await readInfo(file);
    if (info === 'missing') continue;
    if (info === 'unreadable' || (info.host === host && !pidAlive(info.pid))) await removeFile(file);
  }
}
