/**
 * Child process for the kill -9 test of the lock alone: takes the file
 * store's lock in a loop; inside, creates a marker holding its pid (O_EXCL),
 * stays a few ms, then checks the marker is still its own. A marker found on
 * entry is a killed holder's: it is replaced. Finding another pid on the way
 * out means a second process entered while this one was provably still inside:
 * it prints VIOLATION (judging others' liveness by pid would count processes
 * that are already exiting). Prints "ok" per entry.
 *
 *   node kill-locker.js DIR
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SystemClock } from '../../../src/lib/clock.js';
import { DirLock } from '../../../src/store/file/lock.js';

const mine = String(process.pid);

function enter(marker: string): void {
  for (;;) {
    try {
      const fd = openSync(marker, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      unlinkSync(marker); // left by a killed holder (a live one reports itself on its way out)
    } catch {
      /* gone meanwhile */
    }
  }
}

function leave(marker: string): void {
  let found = '';
  try {
    found = readFileSync(marker, 'utf8');
  } catch {
    /* removed by an intruder */
  }
  if (found !== mine) {
    process.stdout.write(`VIOLATION ${found}\n`);
    return;
  }
  unlinkSync(marker);
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
    leave(marker);
    process.stdout.write('ok\n');
    await lock.release();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`kill-locker: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
