/**
 * `winha agent --node NAME --store URL --driver sim|windows [--listen ADDR]`:
 * runs the node agent until SIGINT/SIGTERM, with /healthz, /readyz and
 * /metrics on --listen, and pino JSON logs (one line per decision).
 * Every flag is checked, and the listener bound, before the agent starts: a
 * mistake exits 2 with one line and never leaves an agent holding groups.
 */
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { PinoAuditLog } from '../../drivers/windows/audit-log.js';
import { DirectorySecrets, defaultSecretsDir } from '../../reconcilers/secrets.js';
import { SystemClock } from '../../lib/clock.js';
import type { HostDriver } from '../../drivers/types.js';
import { createDriver } from '../driver-factory.js';
import { realAgents } from '../agent-factory.js';
import { parseListen, serveAgentHttp, type AgentHttpServer, type ListenAddress } from '../agent-http.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';

export interface AgentFlags extends StoreFlags {
  node?: string;
  driver?: string;
  listen?: string;
  workers?: string;
  secretsDir?: string;
  powershellPath?: string;
  emcmdPath?: string;
}

interface AgentSettings {
  node: string;
  driver: string;
  listen: ListenAddress | undefined;
  workers: number | undefined;
  secretsDir: string;
  powershellPath: string | undefined;
  emcmdPath: string | undefined;
}

/** All flags, checked before anything is opened, bound or started. */
async function settingsOf(flags: AgentFlags, io: CliIO): Promise<AgentSettings> {
  if (!flags.node) throw new UsageError('--node: name this node: winha agent --node NAME');
  const driver = flags.driver ?? 'sim';
  if (driver.startsWith('sim://')) {
    const { parseSimDriverUrl, DriverSpecError } = await import('../../drivers/factory.js');
    try {
      parseSimDriverUrl(driver);
    } catch (e) {
      if (e instanceof DriverSpecError) throw new UsageError(`--driver: ${e.message} [${e.id}]`);
      throw e;
    }
  } else if (driver !== 'sim' && driver !== 'windows')
    throw new UsageError(`--driver: unknown driver ${JSON.stringify(driver)}: use sim, sim://HOST:PORT/NODE or windows`);
  const workers = flags.workers === undefined ? undefined : Number(flags.workers);
  if (workers !== undefined && (!/^\d+$/.test(flags.workers!.trim()) || workers < 1 || workers > 256))
    throw new UsageError(`--workers must be an integer from 1 to 256, not ${JSON.stringify(flags.workers)}`);
  if (flags.secretsDir !== undefined && flags.secretsDir.trim() === '') throw new UsageError('--secrets-dir: name a directory');
  const listen = flags.listen === undefined ? undefined : parseListen(flags.listen);
  const secretsDir = flags.secretsDir ? path.resolve(io.cwd, flags.secretsDir) : defaultSecretsDir(io.env, process.platform);
  for (const [flag, v] of [
    ['--powershell-path', flags.powershellPath],
    ['--emcmd-path', flags.emcmdPath],
  ] as const) {
    if (v !== undefined && !path.win32.isAbsolute(v) && !path.isAbsolute(v))
      throw new UsageError(`${flag} ${JSON.stringify(v)}: give an absolute path (a bare name could run a planted program)`);
  }
  return { node: flags.node, driver, listen, workers, secretsDir, powershellPath: flags.powershellPath, emcmdPath: flags.emcmdPath };
}

async function hostDriver(
  s: AgentSettings,
  clock: SystemClock,
  store: Parameters<typeof createDriver>[3],
  logger: Logger,
): Promise<HostDriver> {
  // Every command the Windows driver runs goes to the agent's log (audit), and so do its PowerShell host's events.
  const windows = {
    ...(s.powershellPath ? { powershellPath: s.powershellPath } : {}),
    ...(s.emcmdPath ? { emcmdPath: s.emcmdPath } : {}),
    audit: new PinoAuditLog(undefined, logger.child({ component: 'driver-audit' })),
    log: logger.child({ component: 'powershell-host' }),
  };
  if (!s.driver.startsWith('sim://')) return createDriver(s.driver, s.node, clock, store, windows);
  // A host of a world served by `winha sim world` (shared by agents in other processes).
  const { createDriver: createHostDriver } = await import('../../drivers/factory.js');
  return createHostDriver(s.driver, { clock, nodeName: s.node });
}

export async function runAgent(flags: AgentFlags, io: CliIO): Promise<number> {
  const s = await settingsOf(flags, io);
  const clock = new SystemClock();
  const logger = pino({ base: { node: s.node } });
  const store = await connect(flags, io);
  let server: AgentHttpServer | undefined;
  try {
    const driver = await hostDriver(s, clock, store, logger);
    const agent = realAgents({
      node: s.node,
      store,
      driver,
      clock,
      logger,
      ...(s.workers ? { workers: s.workers } : {}),
      secrets: new DirectorySecrets(s.secretsDir),
    });
    if (s.listen) {
      agent.metrics.collectProcessMetrics();
      server = await serveAgentHttp(agent, s.listen);
      // Port 0 picks a free port: log the address actually bound, so a supervisor (or a test) can find it.
      logger.info({ listen: server.address }, `serving /healthz /readyz /metrics on ${server.address}`);
    }
    // Handlers first: a signal that comes while the agent starts still stops it.
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    agent.start();
    logger.info({ store: store.url, driver: s.driver }, `agent for ${s.node} started`);
    await stopped;
    agent.stop();
    await driver.close?.();
  } finally {
    await server?.close();
    await store.close();
  }
  return EXIT.OK;
}
