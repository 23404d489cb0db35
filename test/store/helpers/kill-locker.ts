/**
 * Child process for the kill -9 test of the lock alone: takes the file
 * store's lock in a loop and, inside, creates a marker with its pid (O_EXCL).
 * A marker left by a dead process is debris; one whose pid is alive means two
 * live processes were inside at once: it prints VIOLATION. Prints "ok" per entry.
 *
 *   node kill-locker.js DIR
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SystemClock } from '../../../src/lib/clock.js';
import { DirLock, pidAlive } from '../../../src/store/file/lock.js';

/** Alive and not a zombie (a killed child not yet reaped still answers kill(pid, 0), though the kernel has closed its files). */
function running(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

function enter(marker: string): void {
  for (;;) {
    try {
      const fd = openSync(marker, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(marker, 'utf8'));
    } catch {
      /* gone meanwhile */
    }
    if (Number.isInteger(pid) && pid > 0 && running(pid)) process.stdout.write(`VIOLATION ${pid}\n`);
    try {
      unlinkSync(marker);
    } catch {
      /* gone meanwhile */
    }
  }
}

async function main(): Promise<void> {
  const [dir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: kill-locker DIR');
  const lock = new DirLock(path.join(dir, 'lock'), new SystemClock(), 120_000);
  const marker = path.join(dir, 'inside');
  for (;;) {
    await lock.acquire();
    enter(marker);
    await new Promise<void>((r) => setTimeout(r, Math.random() * 4)); // inside long enough for kills to land there
    try {
      unlinkSync(marker);
    } catch {
      /* another process inside removed it: it has already reported */
    }
    process.stdout.write('ok\n');
    await lock.release();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`kill-locker: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
