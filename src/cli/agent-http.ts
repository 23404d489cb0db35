/**
 * The agent's /healthz, /readyz and /metrics listener (`winha agent --listen`). It shares the process with lease
 * renewal, so nothing a client does may take what renewal needs: loopback unless an address is given, a cap on
 * connections (each is a descriptor), short header/request/idle timeouts, and one request per connection.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import type { AgentMetrics } from '../controller/metrics.js';
import type { DashboardHandler } from '../dashboard/server.js';
import { UsageError } from './io.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** What the listener reads of an agent. */
export interface Probed {
  readonly ready: boolean;
  readonly queueDepth: number;
  readonly metrics: AgentMetrics;
}

export interface HttpLimits {
  /** Open connections at once; more are closed as soon as accepted. */
  maxConnections: number;
  /** A connection must have sent its request headers within this. */
  headersTimeoutMs: number;
  /** ... and its whole request within this. */
  requestTimeoutMs: number;
  /** A connection silent this long is dropped. */
  idleTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnections: 32,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  idleTimeoutMs: 10_000,
};

export interface AgentHttpServer {
  /** "127.0.0.1:9100", the address actually bound. */
  address: string;
  close(): Promise<void>;
}

const listenError = (text: string, why: string) =>
  new UsageError(
    `--listen ${JSON.stringify(text)}: ${why} (examples: --listen 9100 for 127.0.0.1:9100, --listen 0.0.0.0:9100) [agent-listen-invalid]`,
  );

/** `PORT` (loopback), `HOST:PORT` or `[IPv6]:PORT`; HOST an IP address or localhost. */
export function parseListen(text: string): ListenAddress {
  const t = text.trim();
  let host = '127.0.0.1';
  let portText = t;
  const bracket = /^\[([^\]]+)\]:([^:]*)$/.exec(t);
  if (bracket) [host, portText] = [bracket[1]!, bracket[2]!];
  else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    if (t.indexOf(':') !== i) throw listenError(text, 'write an IPv6 address in brackets, e.g. [::1]:9100');
    [host, portText] = [t.slice(0, i) || '127.0.0.1', t.slice(i + 1)];
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw listenError(text, 'the port must be a number from 0 to 65535');
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (isIP(host) === 0) throw listenError(text, `${JSON.stringify(host)} is not an IP address`);
  return { host, port: Number(portText) };
}

function respond(agent: Probed, req: http.IncomingMessage, res: http.ServerResponse, dashboard?: DashboardHandler): Promise<void> | void {
  // One request per connection: the server never closes an idle kept-alive socket a client is about to reuse.
  res.shouldKeepAlive = false;
  // The dashboard's pages, read-only here (its handler was made without actions): everything but the probes.
  const probe = ['/healthz', '/readyz', '/metrics'].includes((req.url ?? '/').split('?')[0]!);
  if (!probe && dashboard?.handle(req, res)) return;
  req.resume(); // a body is never read: drain it
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return void res.writeHead(200).end('ok\n');
  if (path === '/readyz') return void (agent.ready ? res.writeHead(200).end('ready\n') : res.writeHead(503).end('cache not synced\n'));
  if (path !== '/metrics') return void res.writeHead(404).end();
  agent.metrics.queueDepth.set(agent.queueDepth);
  return agent.metrics.registry.metrics().then((text) => {
    res.writeHead(200, { 'content-type': agent.metrics.registry.contentType }).end(text);
  });
}

/** Bind before the agent starts: a bad or busy address fails the command, naming --listen. */
export function serveAgentHttp(
  agent: Probed,
  at: ListenAddress,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
  dashboard?: DashboardHandler,
): Promise<AgentHttpServer> {
  return listenHttp(at, limits, (req, res) => respond(agent, req, res, dashboard), 'agent-listen-failed');
}

/** An HTTP listener with the limits above, bound before it is returned; `handler` answers every request. */
export async function listenHttp(
  at: ListenAddress,
  limits: HttpLimits,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void,
  failCode: string,
): Promise<AgentHttpServer> {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often those two are enforced (Node's default, 30 s, would let idle connections hold their slot that long).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      keepAlive: false,
    },
    (req, res) => {
      const done = (err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(`${err instanceof Error ? err.message : String(err)}\n`);
        else res.destroy();
      };
      try {
        void Promise.resolve(handler(req, res)).catch(done);
      } catch (err) {
        done(err);
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = 1000;
  server.setTimeout(limits.idleTimeoutMs); // no 'timeout' listener: Node destroys the silent socket
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const where = at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
    const why = err.code === 'EADDRINUSE' ? 'address in use' : err.code === 'EADDRNOTAVAIL' ? 'no such address on this host' : err.message;
    throw new UsageError(`--listen ${where}: cannot listen: ${why} [${failCode}]`);
  });
  server.on('error', () => undefined); // after binding, an accept failure must not end the agent
  const a = server.address();
  const address = a && typeof a === 'object' ? (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`) : '';
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
