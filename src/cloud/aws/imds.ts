/**
 * The EC2 instance metadata service over IMDSv2 only: a session token from PUT /latest/api/token, then GETs that
 * carry it. Every request has a deadline on the injected clock; failures are CloudError 'MetadataUnavailable'.
 */
import type { Clock } from '../../lib/clock.js';
import { CloudError } from '../errors.js';
import type { InstanceMetadata } from '../types.js';

export const IMDS_BASE_URL = 'http://169.254.169.254';
const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

export interface HttpInstanceMetadataOptions {
  clock: Clock;
  /** Only for tests (a loopback stand-in); AWS's is the default. */
  baseUrl?: string;
  /** Deadline of each HTTP request (default 2 s). */
  timeoutMs?: number;
  /** Lifetime asked for the session token (default 21600 s, the maximum). */
  tokenTtlSeconds?: number;
  /** Renew the token this long before it expires (default 60 s), so a request never carries a dying one. */
  tokenRenewBeforeMs?: number;
}

interface Answer {
  status: number;
  text: string;
}

export class HttpInstanceMetadata implements InstanceMetadata {
  private readonly clock: Clock;
  private readonly baseUrl: string;
  private readonly host: string;
  private readonly timeoutMs: number;
  private readonly ttlSeconds: number;
  private readonly renewBeforeMs: number;
  private token: { value: string; renewAt: number } | undefined;
  /** One token request shared by concurrent callers. */
  private pending: Promise<string> | undefined;

  constructor(o: HttpInstanceMetadataOptions) {
    this.clock = o.clock;
    this.baseUrl = (o.baseUrl ?? IMDS_BASE_URL).replace(/\/+$/, '');
    this.host = new URL(this.baseUrl).host;
    this.timeoutMs = o.timeoutMs ?? 2_000;
    this.ttlSeconds = o.tokenTtlSeconds ?? 21_600;
    this.renewBeforeMs = Math.min(o.tokenRenewBeforeMs ?? 60_000, (this.ttlSeconds * 1000) / 2);
  }

  async get(path: string, signal?: AbortSignal): Promise<string | undefined> {
    const rel = path.replace(/^\/+/, '');
    let answer = await this.request('GET', rel, { [TOKEN_HEADER]: await this.sessionToken(signal) }, signal);
    if (answer.status === 401) {
      // The token expired or IMDS restarted: one fresh token, then the answer stands.
      this.token = undefined;
      answer = await this.request('GET', rel, { [TOKEN_HEADER]: await this.sessionToken(signal) }, signal);
    }
    if (answer.status === 200) return answer.text;
    if (answer.status === 404) return undefined;
    const why = answer.status === 401 ? 'refused a fresh session token' : `answered HTTP ${answer.status}`;
    throw new CloudError(
      'MetadataUnavailable',
      `reading ${rel}: the instance metadata service at ${this.host} ${why}`,
      { path: rel, step: 'get', httpStatus: answer.status },
      answer.status >= 500 || answer.status === 429,
    );
  }

  private sessionToken(signal?: AbortSignal): Promise<string> {
    if (this.token && this.clock.monotonic() < this.token.renewAt) return Promise.resolve(this.token.value);
    // Shared by concurrent callers, so no one caller's signal cancels it (its own deadline bounds it).
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return signal ? raceSignal(this.pending, signal) : this.pending;
  }

  private async fetchToken(): Promise<string> {
    const asked = this.clock.monotonic();
    const a = await this.request('PUT', 'api/token', { [TOKEN_TTL_HEADER]: String(this.ttlSeconds) });
    if (a.status !== 200 || a.text === '') {
      // IMDSv1-only (no PUT) or turned off: never fall back to v1.
      const why = a.status === 403 ? 'the metadata service is turned off for this instance' : 'WinHA uses IMDSv2 only, never IMDSv1';
      throw new CloudError(
        'MetadataUnavailable',
        `the instance metadata service at ${this.host} gave no IMDSv2 session token (PUT /latest/api/token answered HTTP ${a.status}): ${why}`,
        { path: 'api/token', step: 'token', httpStatus: a.status },
        a.status >= 500,
      );
    }
    this.token = { value: a.text, renewAt: asked + this.ttlSeconds * 1000 - this.renewBeforeMs };
    return a.text;
  }

  private async request(method: 'GET' | 'PUT', rel: string, headers: Record<string, string>, outer?: AbortSignal): Promise<Answer> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimer(this.timeoutMs, () => {
      timedOut = true;
      ac.abort(new Error('deadline'));
    });
    const onOuter = () => ac.abort(new Error('cancelled'));
    if (outer?.aborted) onOuter();
    outer?.addEventListener('abort', onOuter, { once: true });
    const what = method === 'PUT' ? 'a session token' : rel;
    try {
      const res = await fetch(`${this.baseUrl}/latest/${rel}`, { method, headers, signal: ac.signal, redirect: 'error' });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      const step = method === 'PUT' ? 'token' : 'get';
      if (timedOut) {
        throw new CloudError(
          'MetadataUnavailable',
          `asking for ${what}: the instance metadata service at ${this.host} did not answer within ${seconds(this.timeoutMs)}: ` +
            'is this an EC2 instance, and is IMDS enabled with a hop limit ≥ 1?',
          { path: rel, step, timeoutMs: this.timeoutMs },
          true,
        );
      }
      if (ac.signal.aborted)
        throw new CloudError('MetadataUnavailable', `asking for ${what}: cancelled by the caller`, { path: rel, step }, true);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new CloudError(
        'MetadataUnavailable',
        `asking for ${what}: the instance metadata service at ${this.host} could not be reached (${reason}): is this an EC2 instance, and is IMDS enabled?`,
        { path: rel, step, reason },
        true,
      );
    } finally {
      timer.cancel();
      outer?.removeEventListener('abort', onOuter);
    }
  }
}

/** p, or a 'cancelled' CloudError as soon as the caller's signal aborts. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const cancelled = () =>
    new CloudError('MetadataUnavailable', 'asking for a session token: cancelled by the caller', { step: 'token' }, true);
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
