/**
 * `winha agent --node NAME --store URL --driver sim|windows [--listen ADDR]`:
 * runs the node agent until SIGINT/SIGTERM, with /healthz, /readyz and
 * /metrics on --listen, and pino JSON logs (one line per decision).
 */
import http from 'node:http';
import { pino } from 'pino';
import { SystemClock } from '../../lib/clock.js';
import { createDriver } from '../driver-factory.js';
import { realAgents } from '../agent-factory.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';

export interface AgentFlags extends StoreFlags {
  node?: string;
  driver?: string;
  listen?: string;
  workers?: string;
}

export async function runAgent(flags: AgentFlags, io: CliIO): Promise<number> {
  if (!flags.node) throw new UsageError('name this node: winha agent --node NAME');
  const clock = new SystemClock();
  const logger = pino({ base: { node: flags.node } });
  const store = await connect(flags, io);
  const spec = flags.driver ?? 'sim';
  let driver;
  if (spec.startsWith('sim://')) {
    // A host of a world served by `winha sim world` (shared by agents in other processes).
    const { createDriver: createHostDriver, DriverSpecError } = await import('../../drivers/factory.js');
    try {
      driver = createHostDriver(spec, { clock, nodeName: flags.node });
    } catch (e) {
      if (e instanceof DriverSpecError) throw new UsageError(`${e.message} [${e.id}]`);
      throw e;
    }
  } else if (spec === 'sim' || spec === 'windows') driver = await createDriver(spec, flags.node, clock, store);
  else throw new UsageError(`unknown driver ${JSON.stringify(spec)}: use sim, sim://HOST:PORT/NODE or windows`);
  const workers = flags.workers === undefined ? undefined : Number(flags.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256))
    throw new UsageError(`--workers must be an integer from 1 to 256, not ${JSON.stringify(flags.workers)}`);
  const agent = realAgents({ node: flags.node, store, driver, clock, logger, ...(workers ? { workers } : {}) });
  agent.start();
  let server: http.Server | undefined;
  if (flags.listen) {
    const [host, port] = flags.listen.includes(':')
      ? [flags.listen.slice(0, flags.listen.lastIndexOf(':')) || '0.0.0.0', flags.listen.slice(flags.listen.lastIndexOf(':') + 1)]
      : ['0.0.0.0', flags.listen];
    server = http.createServer((req, res) => {
      void (async () => {
        if (req.url === '/healthz') return res.writeHead(200).end('ok\n');
        if (req.url === '/readyz') return agent.ready ? res.writeHead(200).end('ready\n') : res.writeHead(503).end('cache not synced\n');
        if (req.url === '/metrics') {
          agent.metrics.queueDepth.set(agent.queueDepth);
          return res.writeHead(200, { 'content-type': agent.metrics.registry.contentType }).end(await agent.metrics.registry.metrics());
        }
        res.writeHead(404).end();
      })();
    });
    const srv = server;
    // Port 0 picks a free port: log the address actually bound, so a supervisor (or a test) can find it.
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(Number(port), host, () => resolve());
    });
    const bound = srv.address();
    const where = bound && typeof bound === 'object' ? `${bound.address}:${bound.port}` : flags.listen;
    logger.info({ listen: where }, `serving /healthz /readyz /metrics on ${where}`);
  }
  logger.info({ store: store.url, driver: flags.driver ?? 'sim' }, `agent for ${flags.node} started`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  agent.stop();
  server?.close();
  await store.close();
  return EXIT.OK;
}
