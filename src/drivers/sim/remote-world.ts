/**
 * WorldApi over HTTP to a world server in another process (protocol in
 * src/sim/world/world-server.ts). A SimHostDriver on a RemoteWorldApi behaves like one
 * on a LocalWorldApi: same requests, same answers, same DriverErrors. When the
 * server cannot be reached the answer is a transient HostUnreachable, which is
 * what a real node's driver reports when its machine is gone.
 */
import { Agent, request } from 'node:http';
import type { WorldApi, WorldRequest, WorldResponse } from './world-protocol.js';
import { formatWorldAddress, parseWorldAddress, type WorldAddress } from './world-address.js';

export interface RemoteWorldOptions {
  /** Give up on one request after this long (real time, enforced by node:http). Default 10 s. */
  requestTimeoutMs?: number;
}

/** Responses larger than this are refused (an inspection of a big world is well under). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class RemoteWorldApi implements WorldApi {
  readonly address: WorldAddress;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private readonly timeoutMs: number;

  constructor(address: string | WorldAddress, opts: RemoteWorldOptions = {}) {
    this.address = typeof address === 'string' ? parseWorldAddress(address) : address;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  private unreachable(why: string): WorldResponse {
    return {
      ok: false,
      error: { code: 'HostUnreachable', transient: true, message: `world server ${formatWorldAddress(this.address)} unreachable: ${why}` },
    };
  }

  call(req: WorldRequest): Promise<WorldResponse> {
    const body = JSON.stringify(req);
    return new Promise<WorldResponse>((resolve) => {
      const r = request(
        {
          host: this.address.host,
          port: this.address.port,
          method: 'POST',
          path: '/v1/call',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) {
              res.destroy();
              resolve(this.unreachable('response too large'));
              return;
            }
            chunks.push(c);
          });
          res.on('error', (e) => resolve(this.unreachable(e.message)));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorldResponse;
              if (typeof parsed !== 'object' || parsed === null || typeof parsed.ok !== 'boolean') throw new Error('not a world response');
              resolve(parsed);
            } catch (e) {
              resolve({
                ok: false,
                error: {
                  code: 'ParseError',
                  message: `world server answered HTTP ${res.statusCode} with no world response: ${(e as Error).message}`,
                },
              });
            }
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', (e: NodeJS.ErrnoException) => resolve(this.unreachable(e.code ?? e.message)));
      r.end(body);
    });
  }

  /** Release pooled connections (lets the process exit). */
  close(): void {
    this.agent.destroy();
  }
}
