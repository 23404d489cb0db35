/**
 * The one door to etcd: every unary call gets a deadline, bounded retries, and
 * errors turned into store errors that name the endpoints.
 *
 * - Deadline: the whole call (all attempts) ends within requestTimeoutMs; a
 *   timer on the I/O clock backs up gRPC's own deadline, so nothing hangs.
 * - Retries: reads are retried while time remains (at most `retries` times)
 *   on errors etcd3 marks recoverable (unreachable member, open circuit);
 *   writes are retried only when they surely never left (no connection, open
 *   circuit): a timed-out transaction may have committed, so the object and
 *   lease layers re-read and decide (etcd-store.ts).
 * - Per member (when there are several), a circuit breaker sets a member that
 *   just failed aside for 0.5 s, so the pool moves to another one at once.
 */
import {
  Etcd3,
  isRecoverableError,
  type IRangeRequest,
  type IRangeResponse,
  type ITxnRequest,
  type ITxnResponse,
  type WatchBuilder,
} from 'etcd3';
// cockatiel beside p-retry: etcd3's faultHandling takes cockatiel policies (a per-member circuit breaker), which p-retry has not.
import { ConsecutiveBreaker, circuitBreaker, handleWhen, isBrokenCircuitError, noop } from 'cockatiel';
import type { Clock } from '../../lib/clock.js';
import { GoneError, StoreError, UNREACHABLE_CODE, UnavailableError, networkCause } from '../errors.js';
import { describeEtcd, type EtcdConfig } from './config.js';
import { sniForDnsNamesOnly } from './tls-servername.js';

/** etcd3 re-opens a lost watch stream after this (constant, so no long timer is left pending at close). */
const WATCH_RECONNECT = { duration: 500, next: () => WATCH_RECONNECT };

/** A write whose outcome is unknown: it may or may not have been applied. */
export class AmbiguousWriteError extends UnavailableError {}

export class EtcdClient {
  readonly etcd: Etcd3;
  /** "etcd 127.0.0.1:2379,127.0.0.1:2380/winha, TLS" — for messages; never holds a secret. */
  readonly where: string;
  private closed = false;

  constructor(
    readonly config: EtcdConfig,
    private readonly ioClock: Clock,
  ) {
    this.where = describeEtcd(config);
    if (config.tls) sniForDnsNamesOnly();
    const scheme = config.tls ? 'https' : 'http';
    this.etcd = new Etcd3({
      hosts: config.endpoints.map((e) => `${scheme}://${e}`),
      ...(config.tls
        ? {
            credentials: {
              rootCertificate: config.tls.ca,
              ...(config.tls.cert && config.tls.key ? { certChain: config.tls.cert, privateKey: config.tls.key } : {}),
            },
          }
        : {}),
      ...(config.auth
        ? {
            auth: {
              username: config.auth.username,
              password: config.auth.password,
              callOptions: () => this.callOptions(config.requestTimeoutMs),
            },
          }
        : {}),
      dialTimeout: config.requestTimeoutMs,
      faultHandling: {
        global: noop,
        // With several members, one failure sets a member aside for a moment so the next attempt
        // (even within the same call) goes to another; with one member there is nowhere else to go.
        host: () =>
          config.endpoints.length > 1
            ? circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(1) })
            : noop,
        // etcd3's stream reconnection delay (its default grows to 30 s, and its pending timer outlives close()).
        watchBackoff: WATCH_RECONNECT,
      },
      grpcOptions: {
        // Notice a dead member on an idle connection (a cut network sends no RST).
        'grpc.keepalive_time_ms': 5_000,
        'grpc.keepalive_timeout_ms': 3_000,
        'grpc.keepalive_permit_without_calls': 1,
        // Come back quickly when a member (or the network) does: gRPC's default backoff grows to 2 minutes.
        'grpc.initial_reconnect_backoff_ms': 250,
        'grpc.max_reconnect_backoff_ms': 2_000,
      },
    });
  }

  range(req: IRangeRequest, what: string): Promise<IRangeResponse> {
    return this.call(what, true, (opts) => this.etcd.kv.range(req, opts));
  }

  /** One attempt. A failure that may have committed is an AmbiguousWriteError. */
  txn(req: ITxnRequest, what: string): Promise<ITxnResponse> {
    return this.call(what, false, (opts) => this.etcd.kv.txn(req, opts));
  }

  /** Compact history up to `revision` (logical: etcd frees the space itself). Already compacted is fine. */
  async compact(revision: number): Promise<void> {
    try {
      await this.call('compact', false, (opts) => this.etcd.kv.compact({ revision, physical: false }, opts));
    } catch (e) {
      if (e instanceof GoneError) return;
      throw e;
    }
  }

  watch(): WatchBuilder {
    return this.etcd.watch();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.etcd.close();
  }

  private callOptions(ms: number): { deadline: Date } {
    return { deadline: new Date(this.ioClock.now() + Math.max(1, ms)) };
  }

  private async call<T>(what: string, retry: boolean, fn: (opts: { deadline: Date }) => Promise<T>): Promise<T> {
    if (this.closed) throw new UnavailableError(`${what}: the connection to ${this.where} is closed`);
    const budget = this.config.requestTimeoutMs;
    const start = this.ioClock.monotonic();
    for (let attempt = 0; ; attempt++) {
      const left = budget - (this.ioClock.monotonic() - start);
      try {
        return await this.bounded(fn(this.callOptions(left)), left, what);
      } catch (e) {
        const transient = isTransient(e);
        const timeLeft = budget - (this.ioClock.monotonic() - start);
        // A write may be tried again only when it surely never left this process.
        if ((retry ? transient : notSent(e)) && attempt < this.config.retries && timeLeft > 50) {
          await this.ioClock.sleep(Math.min(100 * 2 ** attempt, timeLeft / 2));
          continue;
        }
        throw this.translate(e, what, !retry && transient && !notSent(e));
      }
    }
  }

  /** Backs up the gRPC deadline: whatever happens inside etcd3, the caller gets an answer in time. */
  private bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.ioClock.setTimer(ms + 250, () => reject(new DeadlineError(what, `no answer within ${Math.round(ms)} ms`)));
      p.then(
        (v) => {
          t.cancel();
          resolve(v);
        },
        (e: unknown) => {
          t.cancel();
          reject(e);
        },
      );
    });
  }

  private translate(e: unknown, what: string, ambiguous: boolean): StoreError {
    if (e instanceof StoreError) return e;
    const msg = oneLine(e instanceof Error ? e.message : String(e));
    if (/required revision has been compacted/.test(msg)) return new GoneError(`${what}: etcd has compacted that revision away`);
    if (this.closed) return new UnavailableError(`${what}: the connection to ${this.where} is closed`);
    if (ambiguous)
      return new AmbiguousWriteError(`${what}: ${this.where} did not confirm the write (${msg}); it may or may not have been applied`);
    if (isTransient(e)) {
      // gRPC's own text ("14 UNAVAILABLE: No connection established. Last error: ...") says less than its cause.
      const why = networkCause(e) ?? (e instanceof DeadlineError ? e.why : 'no answer');
      return new UnavailableError(`${what}: ${this.where} is unreachable: ${why} ${UNREACHABLE_CODE}`, { cause: e });
    }
    return new UnavailableError(`${what}: ${this.where} refused the request (${msg})`);
  }
}

class DeadlineError extends Error {
  constructor(
    what: string,
    readonly why: string,
  ) {
    super(`${what}: ${why}`);
  }
}

function isTransient(e: unknown): boolean {
  if (e instanceof DeadlineError) return true;
  if (typeof e !== 'object' || e === null) return false;
  return isRecoverableError(e as Error) || isBrokenCircuitError(e);
}

/** The request was never sent: no connection could be made, or the member's circuit was open. */
function notSent(e: unknown): boolean {
  if (isBrokenCircuitError(e)) return true;
  return e instanceof Error && /No connection established|ECONNREFUSED/.test(e.message);
}

function oneLine(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/ Please report this error at \S+/, '')
    .replace(/\s*Resolution note:\s*$/, '')
    .trim()
    .slice(0, 300);
}
