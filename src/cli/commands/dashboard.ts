/**
 * `winha dashboard [--listen [HOST:]PORT] [--store URL] [--allow-actions [--token-file F]]`: the web view of the
 * store (src/dashboard), live from its watches, until SIGINT or SIGTERM. Read-only unless --allow-actions; then every
 * action needs the bearer token (from --token-file, or made here and printed once). Loopback unless told otherwise;
 * actions on another address need --allow-remote-actions too, since the token then crosses the network in clear.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SystemClock } from '../../lib/clock.js';
import { createDashboard, isLoopback } from '../../dashboard/index.js';
import { DEFAULT_HTTP_LIMITS, listenHttp, parseListen } from '../agent-http.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { interruptSignal } from './get.js';

export interface DashboardFlags extends StoreFlags {
  listen?: string;
  allowActions?: boolean;
  allowRemoteActions?: boolean;
  tokenFile?: string;
}

export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:9480';

function tokenOf(flags: DashboardFlags): { token: string; generated: boolean } {
  if (!flags.tokenFile) return { token: randomBytes(24).toString('base64url'), generated: true };
  let text: string;
  try {
    text = readFileSync(flags.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`--token-file ${flags.tokenFile}: cannot read it: ${(err as Error).message} [dashboard-token-file]`);
  }
  if (!/^[\x21-\x7e]{16,}$/.test(text))
    throw new UsageError(
      `--token-file ${flags.tokenFile}: the token must be one line of at least 16 printable characters [dashboard-token-file]`,
    );
  return { token: text, generated: false };
}

export interface DashboardRun {
  /** Ends the command (tests); SIGINT and SIGTERM do too. */
  signal?: AbortSignal;
}

export async function runDashboard(flags: DashboardFlags, io: CliIO, run: DashboardRun = {}): Promise<number> {
  const at = parseListen(flags.listen ?? DEFAULT_DASHBOARD_LISTEN);
  if (flags.allowRemoteActions && !flags.allowActions)
    throw new UsageError('--allow-remote-actions goes with --allow-actions [dashboard-flags]');
  if (flags.tokenFile && !flags.allowActions) throw new UsageError('--token-file goes with --allow-actions [dashboard-flags]');
  if (flags.allowActions && !isLoopback(at.host) && !flags.allowRemoteActions)
    throw new UsageError(
      `--listen ${flags.listen}: actions on a non-loopback address would let anyone who sees the token (sent in clear over http) switch groups over; add --allow-remote-actions to mean it, or listen on 127.0.0.1 behind an SSH tunnel or a TLS proxy [dashboard-actions-remote]`,
    );
  const token = flags.allowActions ? tokenOf(flags) : undefined;
  const clock = new SystemClock();
  const interrupt = interruptSignal();
  const store = await connect(flags, io);
  const dashboard = createDashboard({ store, clock, host: at.host, ...(token ? { actions: { token: token.token } } : {}) });
  dashboard.warm();
  try {
    const server = await listenHttp(
      at,
      { ...DEFAULT_HTTP_LIMITS, maxConnections: 64 },
      (req, res) => {
        if (dashboard.handler.handle(req, res)) return;
        req.resume();
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      },
      'dashboard-listen-failed',
    );
    try {
      io.stdout.write(
        `Dashboard: http://${server.address}/ (${token ? 'actions allowed with the token' : 'read-only'}; store ${store.url})\n`,
      );
      if (token?.generated) io.stdout.write(`Token for actions (shown once): ${token.token}\n`);
      if (!isLoopback(at.host))
        io.stderr.write(`winha dashboard: listening on ${server.address}, not loopback: anyone who can reach it sees the cluster\n`);
      await new Promise<void>((resolve) => {
        if (interrupt.signal.aborted || run.signal?.aborted) return resolve();
        interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
        run.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      dashboard.stop();
      await server.close();
    }
    return EXIT.OK;
  } finally {
    dashboard.stop();
    interrupt.dispose();
    await store.close();
  }
}
