/**
 * One EC2 API call with a deadline, bounded retries for throttling and 5xx, and failures mapped to coded errors.
 * Retries are ours, not the SDK's (the client runs with maxAttempts 1), so backoff runs on the injected clock.
 */
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { retryWhen } from '../../lib/retry.js';
import { CloudError } from '../errors.js';

export interface CallPolicy {
  clock: Clock;
  /** Jitter for backoff; without it backoff is exact (deterministic tests). */
  random?: Random;
  /** Deadline of one attempt. */
  callTimeoutMs: number;
  /** Attempts in all, first included. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface CallOptions {
  /** Checked before every attempt of a mutating call; false → StaleEpoch and nothing is sent. */
  epochGuard?: () => Promise<boolean>;
  /** The caller's own cancellation. */
  signal?: AbortSignal;
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  /** Node's system error code (ECONNREFUSED, …) when no HTTP answer came back. */
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

const THROTTLE = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const UNAUTHORIZED = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'OptInRequired',
  'Blocked',
  'CredentialsProviderError',
]);

/** Stable code for an SDK failure; the AWS code, status and request id go into detail (never credentials). */
export function mapAwsError(op: string, e: unknown, attempts: number): CloudError {
  const s = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
  const status = s.$metadata?.httpStatusCode;
  const awsCode = s.Code ?? (status === undefined && typeof s.code === 'string' ? s.code : undefined) ?? s.name ?? 'Unknown';
  const detail: Record<string, string | number> = { operation: op, awsCode, attempts };
  if (status !== undefined) detail['httpStatus'] = status;
  if (s.$metadata?.requestId) detail['requestId'] = s.$metadata.requestId;
  const msg = `${op}: ${awsCode}: ${s.message ?? String(e)}`;
  if (THROTTLE.has(awsCode)) return new CloudError('AwsThrottled', msg, detail, true);
  if (awsCode.endsWith('NotFound')) return new CloudError('AwsNotFound', msg, detail);
  if (UNAUTHORIZED.has(awsCode) || status === 401 || status === 403) return new CloudError('AwsUnauthorized', msg, detail);
  // no HTTP status means AWS was unreachable: worth trying later, but the caller decides (only throttling and 5xx retry here)
  return new CloudError('AwsFailed', msg, detail, status === undefined || status >= 500);
}

function retryable(e: CloudError): boolean {
  return (
    e.code === 'AwsThrottled' || (e.code === 'AwsFailed' && typeof e.detail['httpStatus'] === 'number' && e.detail['httpStatus'] >= 500)
  );
}

/** Run send(abortSignal) under the policy; retries (throttling, 5xx) through the shared src/lib/retry.ts. */
export async function callAws<T>(p: CallPolicy, op: string, send: (signal: AbortSignal) => Promise<T>, o: CallOptions = {}): Promise<T> {
  let attempts = 0;
  const policy = {
    retries: p.maxAttempts - 1,
    minDelayMs: p.backoffBaseMs,
    maxDelayMs: p.backoffMaxMs,
    ...(p.random ? { jitter: p.random } : {}),
  };
  try {
    return await retryWhen(
      p.clock,
      policy,
      o.signal ?? new AbortController().signal,
      (e) => e instanceof CloudError && retryable(e),
      async (attempt) => {
        // p-retry starts an attempt even on a signal aborted before it: nothing is sent for a caller that gave up.
        if (o.signal?.aborted)
          throw new CloudError('AwsTimeout', `${op}: cancelled by the caller`, { operation: op, attempts: attempt - 1 }, true);
        if (o.epochGuard && !(await o.epochGuard())) {
          throw new CloudError('StaleEpoch', `${op} not sent: this node no longer holds the group's current epoch`, {
            operation: op,
            attempts: attempt - 1,
          });
        }
        attempts = attempt;
        try {
          return await once(p, op, send, o.signal, attempt);
        } catch (e) {
          throw e instanceof CloudError ? e : mapAwsError(op, e, attempt);
        }
      },
    );
  } catch (e) {
    if (e instanceof CloudError) throw e;
    // The caller's signal ended the wait (before an attempt or during a backoff).
    throw new CloudError('AwsTimeout', `${op}: cancelled by the caller`, { operation: op, attempts }, true);
  }
}

async function once<T>(
  p: CallPolicy,
  op: string,
  send: (signal: AbortSignal) => Promise<T>,
  outer: AbortSignal | undefined,
  attempt: number,
): Promise<T> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = p.clock.setTimer(p.callTimeoutMs, () => {
    timedOut = true;
    ac.abort(new Error(`${op} deadline`));
  });
  const onOuter = () => ac.abort(new Error(`${op} cancelled`));
  outer?.addEventListener('abort', onOuter, { once: true });
  try {
    return await send(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) {
      const why = timedOut ? `no answer within ${p.callTimeoutMs} ms` : 'cancelled by the caller';
      throw new CloudError('AwsTimeout', `${op}: ${why}`, { operation: op, attempts: attempt, timeoutMs: p.callTimeoutMs }, true);
    }
    throw mapAwsError(op, e, attempt);
  } finally {
    timer.cancel();
    outer?.removeEventListener('abort', onOuter);
  }
}
