/**
 * Serves a simulated world to other processes (agents started with
 * `--driver sim://127.0.0.1:PORT/NODE`, `winha sim fault`, `winha sim inspect`).
 *
 * Protocol (version 1), HTTP/1.1 on loopback, JSON bodies (UTF-8):
 *
 *   POST /v1/call     body: a WorldRequest  {"op": "site.list", "args": {"host": "node1"}}
 *                     200:  a WorldResponse {"ok": true, "value": …}
 *                                        or {"ok": false, "error": {"code": "HostUnreachable", "message": …, "transient": true}}
 *   GET  /v1/health   200:  {"ok": true, "value": {"protocol": 1, "hosts": ["node1", …]}}
 *
 * The world's own failures (a host down, an injected fault, a refused
 * switchover) are 200 responses with ok:false: they are answers, exactly as
 * the in-process LocalWorldApi returns them. Requests the server cannot read
 * get 4xx with the same body shape, code InvalidArgument and detail.id one of
 * world-bad-json, world-unknown-op, world-bad-fault, world-body-too-large,
 * world-not-found, world-bad-method, world-bad-content-type (415),
 * world-cross-origin and world-bad-host (403). Every request is answered;
 * nothing a client sends can stop the server.
 *
 * Loopback is not enough against a web page the operator has open: it can
 * POST text/plain cross-site without a preflight, or rebind its own name to
 * 127.0.0.1. So a POST must be application/json, a request with an Origin is
 * refused, and the Host must be loopback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DriverErrorData } from '../../drivers/errors.js';
import { parseFault } from './fault-spec.js';
import { isWorldOp, type WorldHandler, type WorldRequest, type WorldResponse } from '../../drivers/sim/world-protocol.js';
import { formatWorldAddress, type WorldAddress } from '../../drivers/sim/world-address.js';

export const WORLD_PROTOCOL_VERSION = 1;
/** Largest request body accepted (a site definition is well under 64 KB). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface RunningWorldServer {
  address: WorldAddress;
  /** "127.0.0.1:41234" */
  text: string;
  close(): Promise<void>;
}

function refuse(id: string, message: string): WorldResponse {
  const error: DriverErrorData = { code: 'InvalidArgument', message, detail: { id } };
  return { ok: false, error };
}

/** Check a decoded request body before it reaches the world. */
export function checkRequest(body: unknown): { request: WorldRequest } | { refusal: WorldResponse } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { refusal: refuse('world-bad-json', 'the request must be a JSON object {"op": …, "args": {…}}') };
  }
  const b = body as Record<string, unknown>;
  if (!isWorldOp(b['op'])) return { refusal: refuse('world-unknown-op', `unknown world operation ${JSON.stringify(b['op'])}`) };
  const args = b['args'] ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return { refusal: refuse('world-bad-json', `args of ${b['op']} must be a JSON object`) };
  }
  if (b['op'] === 'world.fault') {
    const parsed = parseFault((args as Record<string, unknown>)['fault']);
    if (!parsed.fault) return { refusal: refuse('world-bad-fault', parsed.issues.map((i) => i.message).join('; ')) };
    return { request: { op: 'world.fault', args: { fault: parsed.fault } } };
  }
  return { request: { op: b['op'], args } as WorldRequest };
}

function send(res: ServerResponse, status: number, body: WorldResponse, close = false): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  };
  if (close) headers['connection'] = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a browser could have sent this request, if it could. */
function crossSite(req: IncomingMessage, port: number): WorldResponse | undefined {
  if (req.headers.origin !== undefined)
    return refuse('world-cross-origin', 'requests from web pages (with an Origin header) are refused; use winha sim or the remote driver');
  const host = req.headers.host;
  if (host === undefined) return undefined;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!m || !LOOPBACK_HOSTS.has(m[1]!) || (m[2] !== undefined && Number(m[2]) !== port))
    return refuse('world-bad-host', `Host ${JSON.stringify(host)} is not this loopback server; address it as 127.0.0.1:${port}`);
  return undefined;
}

async function handleHttp(
  world: WorldHandler,
  hosts: readonly string[],
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const refused = crossSite(req, port);
  if (path !== '/v1/call' || req.method !== 'POST' || refused) req.resume(); // an unread body must not stall the connection
  if (refused) return send(res, 403, refused);
  if (path === '/v1/health') {
    if (req.method !== 'GET') return send(res, 405, refuse('world-bad-method', 'use GET /v1/health'));
    return send(res, 200, { ok: true, value: { protocol: WORLD_PROTOCOL_VERSION, hosts } });
  }
  if (path !== '/v1/call') return send(res, 404, refuse('world-not-found', `no such endpoint ${path}; use POST /v1/call`));
  if (req.method !== 'POST') return send(res, 405, refuse('world-bad-method', 'use POST /v1/call'));
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    return send(res, 415, refuse('world-bad-content-type', 'POST /v1/call needs Content-Type: application/json'));
  }
  const raw = await readBody(req);
  if (raw === undefined) {
    // Answer, then drop the connection: the rest of the body is never read.
    send(res, 413, refuse('world-body-too-large', `request body larger than ${MAX_REQUEST_BYTES} bytes`), true);
    res.on('finish', () => req.destroy());
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return send(res, 400, refuse('world-bad-json', `the request body is not JSON: ${(e as Error).message}`));
  }
  const checked = checkRequest(body);
  if ('refusal' in checked) return send(res, 400, checked.refusal);
  // World.handle never throws (it turns every failure into ok:false); guard anyway.
  let response: WorldResponse;
  try {
    response = world.handle(checked.request);
  } catch (e) {
    response = { ok: false, error: { code: 'CommandFailed', message: `simulator error: ${(e as Error).message}` } };
  }
  send(res, 200, response);
}

/** Listen on a loopback address (port 0: any free port). */
export function startWorldServer(world: WorldHandler, address: WorldAddress, hosts: readonly string[]): Promise<RunningWorldServer> {
  let port = address.port;
  const server: Server = createServer((req, res) => {
    handleHttp(world, hosts, port, req, res).catch((e: unknown) => {
      if (!res.headersSent)
        send(res, 500, { ok: false, error: { code: 'CommandFailed', message: `world server error: ${(e as Error).message}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const bound = { host: a.address, port: a.port };
      port = a.port;
      resolve({
        address: bound,
        text: formatWorldAddress(bound),
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
