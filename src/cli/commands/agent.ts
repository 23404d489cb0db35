/**
 * `winha agent [--config FILE] --node NAME --store URL --driver sim|windows [--listen ADDR]`: runs the node agent
 * until SIGINT, SIGTERM, SIGHUP (or SIGBREAK on Windows), with /healthz, /readyz and /metrics on --listen, and pino
 * JSON logs (one line per decision) on standard output or rotated files. Settings: flag > config file > environment
 * > default. Every setting is checked, and the listener bound, before the agent starts: a mistake exits 2 and
 * never leaves an agent holding groups. A stop finishes the action in flight and keeps leases and resources as they
 * are (LifeKeeper's stop without taking resources out of service); a hand-over is `winha switchover` first.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { PinoAuditLog } from '../../drivers/windows/audit-log.js';
import { DirectorySecrets, defaultSecretsDir } from '../../reconcilers/secrets.js';
import { SystemClock } from '../../lib/clock.js';
import type { HostDriver } from '../../drivers/types.js';
import { createDriver } from '../driver-factory.js';
import { realAgents } from '../agent-factory.js';
import { awsCloudAccess } from '../../cloud/aws/access.js';
import { DEFAULT_HTTP_LIMITS, parseListen, serveAgentHttp, type AgentHttpServer, type ListenAddress } from '../agent-http.js';
import { createDashboard, type Dashboard } from '../../dashboard/index.js';
import { EXIT, UsageError, winhaVersion, type CliIO } from '../io.js';
import { connect, requireExistingStore } from '../store.js';
import { agentCluster, clusterNodes, type ClusterNodes } from '../cluster-nodes.js';
import type { Store } from '../../store/types.js';
import type { PreparedSync, buildSyncer } from './sync.js';
import { legacyNodeLeaseName } from '../../controller/lease/node-liveness.js';
import { applyAgentConfig, type AgentFlags } from '../agent-config/load.js';
import { agentLogger } from '../agent-config/logging.js';
import { EventCreateSink, EventLogForwarder, NoEventLog } from '../agent-config/event-log.js';

export type { AgentFlags } from '../agent-config/load.js';

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
  if (!flags.node) throw new UsageError('--node: name this node: winha agent --node NAME (or spec.node in --config FILE)');
  // No default: an agent on a real node that silently drove a simulated host would hold groups it never serves.
  const driver = flags.driver;
  if (driver === undefined)
    throw new UsageError(
      '--driver: say which host this agent drives: --driver windows on a Windows node, sim (a simulated host) or ' +
        'sim://HOST:PORT/NODE (a host of winha sim world), or spec.driver.type in --config FILE [agent-driver-missing]',
    );
  if (driver.startsWith('sim://')) {
    const { parseSimDriverUrl, DriverSpecError } = await import('../../drivers/factory.js');
    try {
      parseSimDriverUrl(driver);
    } catch (e) {
      if (e instanceof DriverSpecError) throw new UsageError(`--driver: ${e.message} [${e.id}]`);
      throw e;
    }
  } else if (driver !== 'sim' && driver !== 'windows')
    throw new UsageError(
      `--driver: unknown driver ${JSON.stringify(driver)}: use windows, sim or sim://HOST:PORT/NODE [agent-driver-unknown]`,
    );
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

/** The signals that stop the agent: Ctrl+C (WinSW's stop), TERM, a closed console (HUP), Ctrl+Break (Windows only). */
function stopSignals(platform: string): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
}

/** The Event Log forwarder when log.eventLog is on (a no-op sink off Windows, which says so once). */
function eventLogOf(on: boolean, node: string, clock: SystemClock, io: CliIO, logger: Logger): EventLogForwarder | undefined {
  if (!on) return undefined;
  const sink =
    process.platform === 'win32'
      ? new EventCreateSink(io.env, (err) => logger.warn({ err }, 'cannot write to the Windows Event Log'))
      : new NoEventLog((msg) => logger.info({}, msg));
  return new EventLogForwarder(sink, node, clock);
}

/** The Cluster naming this node; with a sync of its own, waits for it (logged once) until it comes or the agent stops. */
async function findCluster(
  store: Store,
  node: string,
  wanted: string | undefined,
  wait: boolean,
  clock: SystemClock,
  signal: AbortSignal,
  logger: Logger,
): Promise<{ clusters: ClusterNodes[]; cluster: ClusterNodes } | undefined> {
  for (let told = false; ; told = true) {
    const clusters = await clusterNodes(store.objects);
    try {
      return { clusters, cluster: agentCluster(clusters, node, wanted) };
    } catch (err) {
      if (!wait || !(err instanceof UsageError)) throw err;
      if (!told) logger.warn({}, `${err.message}; waiting for spec.sync to apply the Cluster that names ${node} [agent-waiting-for-sync]`);
    }
    await clock.sleep(CLUSTER_WAIT_MS, signal).catch(() => undefined);
    if (signal.aborted) return undefined;
  }
}

/** How often an agent waiting for its sync looks for its Cluster again. */
const CLUSTER_WAIT_MS = 2000;

export async function runAgent(flags: AgentFlags, io: CliIO): Promise<number> {
  const run = await applyAgentConfig(flags, io);
  const s = await settingsOf(run.flags, io);
  const clock = new SystemClock();
  const log = await agentLogger(run.log, s.node);
  const logger = log.logger;
  const eventLog = eventLogOf(run.log.eventLog, s.node, clock, io, logger);
  let server: AgentHttpServer | undefined;
  let dashboard: Dashboard | undefined;
  let driver: HostDriver | undefined;
  let closeCloud: () => void = () => undefined;
  let prepared: PreparedSync | undefined;
  let sync: ReturnType<typeof buildSyncer> | undefined;
  let syncRun: Promise<number> | undefined;
  const syncStop = new AbortController();
  // Handlers first: a signal that comes while the agent starts still stops it; a second one while stopping is only noted.
  let signalled: (sig: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return logger.warn({ signal: sig }, 'already stopping: the action in flight is finishing');
    stopping = true;
    syncStop.abort();
    signalled(sig);
  };
  const signals = stopSignals(process.platform);
  for (const sig of signals) process.on(sig, onSignal);
  try {
    // Without a sync a missing file store is a typo; with one, the repository fills it.
    if (!run.sync) requireExistingStore(run.flags, io);
    // spec.sync checked (and its source opened) before the store is reached, as every other setting.
    const syncCmd = run.sync ? await import('./sync.js') : undefined;
    prepared = run.sync && syncCmd?.prepareSync(run.sync, { cwd: run.sync.cwd, env: io.env });
    const store = await connect(run.flags, io);
    try {
      // The syncer runs beside the agent (elected through the store), and starts first: it may bring the Cluster.
      if (prepared && syncCmd) {
        sync = syncCmd.buildSyncer(prepared, { store, clock, log: logger.child({ component: 'sync' }), identity: s.node });
        prepared = undefined; // closed with the syncer
        syncRun = sync.syncer.run(syncStop.signal);
      }
      // A node no Cluster declares would start an agent that holds nothing and says nothing: refuse it (exit 2),
      // unless the agent's own sync is to bring that Cluster: then wait for it.
      const found = await findCluster(store, s.node, run.flags.cluster, run.sync !== undefined, clock, syncStop.signal, logger);
      if (!found) return EXIT.OK;
      const { clusters, cluster } = found;
      // Node leases are per Cluster, but a peer with none yet is judged by the legacy node.NODE lease, which an older
      // agent of another Cluster's node of this name may be renewing: say so while one is.
      const others = clusters.filter((c) => c.nodes.includes(s.node) && (c.namespace !== cluster.namespace || c.name !== cluster.name));
      const legacy = others.length ? await store.leases.get(legacyNodeLeaseName(s.node)) : null;
      if (legacy && Date.parse(legacy.renewTime) + legacy.leaseDurationSeconds * 1000 > clock.now())
        logger.warn(
          { otherClusters: others.map((c) => `${c.namespace}/${c.name}`), legacyLease: legacyNodeLeaseName(s.node) },
          `Cluster ${others.map((c) => `${c.namespace}/${c.name}`).join(', ')} also names a node ${s.node} in this store, and an agent older than per-Cluster node leases renews the shared lease ${legacyNodeLeaseName(s.node)}: until every agent of these Clusters is upgraded, a ${s.node} that never ran an upgraded agent may be seen alive by its Cluster while the other's renews; upgrade them, or give the nodes distinct names [agent-node-name-shared]`,
        );
      logger.info(
        { cluster: `${cluster.namespace}/${cluster.name}` },
        `${s.node} is a node of Cluster ${cluster.namespace}/${cluster.name}`,
      );
      driver = await hostDriver(s, clock, store, logger);
      // The cloud is asked only when an AWS-routed VirtualIP is brought up here (metadata service, instance role).
      const cloud = s.driver.startsWith('sim://') ? undefined : awsCloudAccess({ clock });
      closeCloud = () => cloud?.close();
      const agent = realAgents({
        node: s.node,
        // Only that Cluster's groups: another Cluster may name a node of the same name.
        cluster: { namespace: cluster.namespace, name: cluster.name },
        version: winhaVersion(),
        // Older agents (a rolling upgrade) read only node.NODE: keep it too while this Cluster alone names the node.
        legacyNodeLease: true,
        store,
        driver,
        clock,
        logger,
        ...(s.workers ? { workers: s.workers } : {}),
        secrets: new DirectorySecrets(s.secretsDir),
        ...(cloud ? { cloud } : {}),
        ...(eventLog ? { onEvent: (e) => eventLog.onEvent(e) } : {}),
      });
      if (s.listen) {
        agent.metrics.collectProcessMetrics();
        // The dashboard's pages too, read-only, with few live views so the probes always find a connection.
        dashboard = createDashboard({ store, clock, host: s.listen.host, maxClients: 4 });
        server = await serveAgentHttp(agent, s.listen, DEFAULT_HTTP_LIMITS, dashboard.handler);
        // Port 0 picks a free port: log the address actually bound, so a supervisor (or a test) can find it.
        logger.info({ listen: server.address }, `serving /healthz /readyz /metrics on ${server.address}`);
      }
      agent.start();
      logger.info({ store: store.url, driver: s.driver, config: flags.config }, `agent for ${s.node} started`);
      eventLog?.agent('AgentStarted', `WinHA agent for ${s.node} started (store ${store.url})`);
      const signal = await stopped;
      logger.info({ signal, stopTimeoutMs: run.stopTimeoutMs }, `stopping on ${signal}: finishing the action in flight; leases are kept`);
      const drained = await agent.shutdown(run.stopTimeoutMs);
      if (!drained) logger.warn({ stopTimeoutMs: run.stopTimeoutMs }, 'the action in flight did not finish within the stop timeout');
      await driver.close?.();
      driver = undefined;
      dashboard?.stop();
      await server?.close();
      server = undefined;
      logger.info({ signal, drained }, `agent for ${s.node} stopped; its groups stay where they are until their leases expire`);
      eventLog?.agent('AgentStopped', `WinHA agent for ${s.node} stopped (${signal}); leases kept, resources left in service`);
    } finally {
      syncStop.abort();
      await syncRun?.catch(() => undefined);
      await sync?.close();
      dashboard?.stop();
      await driver?.close?.();
      await server?.close();
      closeCloud();
      await store.close();
    }
  } finally {
    await prepared?.source.close().catch(() => undefined);
    for (const sig of signals) process.off(sig, onSignal);
    await log.close();
  }
  return EXIT.OK;
}
