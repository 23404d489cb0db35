/**
 * Per-call timeouts on an injected Clock: every driver operation runs under a
 * deadline of `timeoutMs`, and the caller's AbortSignal can cut it short.
 */
import type { Clock, Timer } from '../lib/clock.js';
import { DriverError } from './errors.js';
import type { CallOptions } from './types.js';

export async function withDeadline<T>(clock: Clock, o: CallOptions, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: Timer | undefined;
  let onCallerAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const fail = (message: string) => {
      const err = new DriverError({ code: 'Timeout', transient: true, message });
      controller.abort(err);
      reject(err);
    };
    timer = clock.setTimer(o.timeoutMs, () => fail(`${what} did not finish within ${o.timeoutMs} ms`));
    if (o.signal) {
      if (o.signal.aborted) fail(`${what} was cancelled by the caller`);
      onCallerAbort = () => fail(`${what} was cancelled by the caller`);
      o.signal.addEventListener('abort', onCallerAbort, { once: true });
    }
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    timer?.cancel();
    if (o.signal && onCallerAbort) o.signal.removeEventListener('abort', onCallerAbort);
  }
}
