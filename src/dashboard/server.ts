/**
 * The dashboard's HTTP routes, for `winha dashboard` and the agent's --listen alike: the page and its script and
 * style, /api/status (the model), /api/group/NS/NAME (a group page), /api/events (server-sent events: the model on
 * connect, then again whenever what it shows changes), and POST /api/actions/* (actions.ts). The HTTP listener with
 * its connection caps and timeouts is the caller's (src/cli/agent-http.ts).
 */
import type http from 'node:http';
import type { Clock, Timer } from '../lib/clock.js';
import { runAction, type ActionsConfig, type Answer } from './actions.js';
import type { DashboardSource, SourceMessage } from './source.js';
import { PAGE_HTML } from './assets/page.js';
import { APP_CSS } from './assets/style.js';
import { APP_JS } from './assets/app.js';

export interface DashboardHandlerOptions {
  /** The live model; started on the first request that needs it (the agent serves probes without it). */
  source: () => Promise<DashboardSource>;
  clock: Clock;
  /** Undefined: read-only (every POST is 403). */
  actions?: ActionsConfig;
  /** Server-sent-event clients at once; more get 503. */
  maxClients?: number;
  /** A comment line this often keeps proxies and the browser from dropping a quiet stream. */
  keepaliveMs?: number;
  /** How long a request waits for the store's first answer before a 503 (default 10 s). */
  storeWaitMs?: number;
  /** Requests with another Host are refused (DNS rebinding): set when bound to loopback. */
  loopbackOnly?: boolean;
}

export interface DashboardHandler {
  /** Answers the request and returns true when the path is the dashboard's; false leaves it to the caller. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Open event streams. */
  readonly clients: number;
  /** Ends every event stream. */
  close(): void;
}

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/index.html': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
};

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { ...SECURITY, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

function error(res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY, ...extra, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ ok: false, code, message: `${message} [${code}]` }));
}

/** The dashboard's paths: the assets, /group/... (the same page), /api/... */
function isDashboardPath(path: string): boolean {
  return path in ASSETS || path.startsWith('/api/') || path.startsWith('/group/');
}

export function dashboardHandler(o: DashboardHandlerOptions): DashboardHandler {
  const maxClients = o.maxClients ?? 16;
  const keepaliveMs = o.keepaliveMs ?? 15_000;
  const streams = new Set<{ end: () => void }>();

  const events = async (req: http.IncomingMessage, res: http.ServerResponse, source: DashboardSource) => {
    const model = await source.model();
    if (res.destroyed) return; // the client left while the model was read
    if (streams.size >= maxClients)
      return error(res, 503, 'dashboard-too-many-clients', `${maxClients} live views are open already`, { 'retry-after': '10' });
    // A stream is quiet for long stretches: the listener's idle timeout is for requests, not for this.
    req.socket.setTimeout(0);
    res.writeHead(200, {
      ...SECURITY,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'close',
    });
    const send = (m: SourceMessage) => {
      if (m.type === 'model') res.write(`event: model\ndata: ${JSON.stringify(m.model)}\n\n`);
      else res.write(`event: leases\ndata: ${JSON.stringify({ now: m.now, leases: m.leases })}\n\n`);
    };
    send({ type: 'model', model });
    const unsubscribe = source.subscribe(send);
    let timer: Timer | undefined;
    const ping = () => {
      timer = o.clock.setTimer(keepaliveMs, () => {
        res.write(': keepalive\n\n');
        ping();
      });
    };
    ping();
    const stream = {
      end: () => {
        timer?.cancel();
        unsubscribe();
        streams.delete(stream);
        res.end();
      },
    };
    streams.add(stream);
    res.on('close', stream.end);
  };

  const get = async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    const asset = ASSETS[path] ?? (path.startsWith('/group/') ? ASSETS['/']! : undefined);
    if (asset) {
      res.writeHead(200, { ...SECURITY, 'content-type': asset.type, 'cache-control': 'no-cache' });
      return void res.end(req.method === 'HEAD' ? undefined : asset.body);
    }
    // A store that does not answer (etcd down) must not hold the request: say so, and keep trying behind it.
    const waited = new AbortController();
    const source = await Promise.race([
      o.source(),
      o.clock.sleep(o.storeWaitMs ?? 10_000, waited.signal).then(
        () => undefined,
        () => undefined,
      ),
    ]).finally(() => waited.abort());
    if (!source)
      return error(res, 503, 'dashboard-store-unavailable', 'the store has not answered yet; the page retries', { 'retry-after': '5' });
    if (path === '/api/status') return json(res, 200, await source.model());
    if (path === '/api/events') return events(req, res, source);
    const g = /^\/api\/group\/([^/]+)\/([^/]+)$/.exec(path);
    if (g) {
      let ns: string, name: string;
      try {
        [ns, name] = [decodeURIComponent(g[1]!), decodeURIComponent(g[2]!)];
      } catch {
        return error(res, 400, 'dashboard-bad-path', `${path} is not a group path (/api/group/NAMESPACE/NAME)`);
      }
      const page = await source.group(ns, name);
      return page ? json(res, 200, page) : error(res, 404, 'dashboard-group-not-found', `no group ${name} in namespace ${ns}`);
    }
    return error(res, 404, 'dashboard-not-found', `no page ${path}`);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      return false;
    }
    if (!isDashboardPath(path)) return false;
    const fail = (err: unknown) => {
      if (!res.headersSent) error(res, 500, 'dashboard-internal', err instanceof Error ? err.message : String(err));
      else res.destroy();
    };
    if (o.loopbackOnly && !LOOPBACK_HOST.test(req.headers.host ?? '')) {
      req.resume();
      error(res, 421, 'dashboard-host-refused', `Host ${JSON.stringify(req.headers.host ?? '')} is not this loopback dashboard`);
      return true;
    }
    const action = /^\/api\/actions\/([a-z]+)$/.exec(path);
    if (req.method === 'POST' && action) {
      void runAction(req, action[1]!, o.actions)
        .then((a: Answer) => json(res, a.status, { ...a.body, message: a.body.ok ? a.body.message : `${a.body.message} [${a.body.code}]` }))
        .catch(fail);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      error(res, 405, 'dashboard-method-not-allowed', `${req.method} is not allowed on ${path}`, { allow: 'GET, HEAD' });
      return true;
    }
    req.resume();
    void get(req, res, path).catch(fail);
    return true;
  };

  return {
    handle,
    get clients() {
      return streams.size;
    },
    close: () => {
      for (const s of [...streams]) s.end();
    },
  };
}
