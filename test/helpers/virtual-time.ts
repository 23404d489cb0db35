/**
 * Drive a VirtualClock until a promise settles: tests never wait on wall-clock time.
 */
import type { VirtualClock } from '../../src/lib/clock.js';

export async function settle<T>(clock: VirtualClock, p: Promise<T>, stepMs = 50, maxVirtualMs = 3_600_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  let spent = 0;
  while (!done && spent < maxVirtualMs) {
    await clock.advance(stepMs);
    spent += stepMs;
  }
  return watched;
}

/** Expect a promise (driven by the clock) to reject; returns the error. */
export async function settleError(clock: VirtualClock, p: Promise<unknown>, stepMs = 50): Promise<unknown> {
  try {
    await settle(clock, p, stepMs);
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
