/**
 * `winha sync`: keep the store equal to a git repository (or a directory), as a long-running elected syncer or one
 * pass with --once. The work is in src/sync/; this file parses flags, connects, watches and prints.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { SystemClock, type Clock } from '../../lib/clock.js';
import { EventRecorder } from '../../controller/event-recorder.js';
import type { AgentLogger } from '../../controller/logger.js';
import { openSource, redactUrl, SourceError, type Source } from '../../sync/source.js';
import { Syncer, type SyncerConfig } from '../../sync/syncer.js';
import { problemLines, shortRevision, type Attempt } from '../../sync/sync-status.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { parseInterval, parseSeconds, type SyncSettings } from '../sync-settings.js';
import type { Store } from '../../store/types.js';
import { connect, type StoreFlags } from '../store.js';

export interface SyncFlags extends StoreFlags, SyncSettings {
  once?: boolean;
  /** Tests stop a long-running sync with it (the CLI stops on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export { parseInterval };

/** Lines on stderr; with --once only warnings and errors (the result is on stdout). */
function lineLogger(io: CliIO, name: string, quiet: boolean): AgentLogger {
  const write = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    if (quiet && level === 'info') return;
    const err = typeof obj['err'] === 'string' ? `: ${obj['err']}` : '';
    io.stderr.write(`winha sync ${name}: ${level === 'info' ? '' : `${level}: `}${msg}${err}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** One line per attempt on stdout (what an operator watching the console or the service log reads). */
function printAttempt(io: CliIO, name: string, a: Attempt): void {
  if (a.kind === 'applying') return;
  if (a.kind === 'failed') {
    io.stdout.write(`sync ${name}: failed [${a.code}]: ${a.message}\n`);
    return;
  }
  const rev = shortRevision(a.revision.revision);
  const r = a.result;
  if (r.outcome === 'Refused') {
    io.stdout.write(`sync ${name}: revision ${rev} refused, nothing applied: ${r.message}\n`);
    for (const l of problemLines(r.problems)) io.stdout.write(`  ${l}\n`);
    return;
  }
  io.stdout.write(`sync ${name}: revision ${rev} synced: ${r.message}\n`);
  for (const o of r.objects)
    if (o.action !== 'unchanged') io.stdout.write(`  ${o.kind.toLowerCase()}/${o.name} (${o.namespace}) ${o.action}\n`);
  for (const d of r.drift)
    io.stdout.write(
      `  drift: ${d.kind.toLowerCase()}/${d.name} (${d.namespace}) ${d.change.toLowerCase()} in the store, ${d.corrected ? 'corrected' : 'not corrected'}\n`,
    );
}

/** chokidar on a local directory (the .git object store is ignored: a commit is seen through its refs), debounced. */
function watchDirectory(clock: Clock): (dir: string, onChange: () => void) => { close(): Promise<void> } {
  return (dir, onChange) => {
    let timer: { cancel(): void } | undefined;
    const w = chokidarWatch(dir, {
      ignoreInitial: true,
      ignored: (p: string) => /[\\/]\.git[\\/](objects|logs)([\\/]|$)/.test(p) || /[\\/]node_modules([\\/]|$)/.test(p),
    });
    w.on('all', () => {
      timer?.cancel();
      timer = clock.setTimer(300, onChange);
    });
    w.on('error', () => undefined);
    return {
      close: async () => {
        timer?.cancel();
        await w.close();
      },
    };
  };
}

/** Settings checked and the source opened, before any store is reached. */
export interface PreparedSync {
  source: Source;
  name: string;
  namespace: string | undefined;
  spec: SyncerConfig['spec'];
  leaseSeconds: number;
}

/** Check settings (the command's flags, or an agent's spec.sync) and open the source; throws UsageError on bad ones. */
export function prepareSync(flags: SyncSettings, env: { cwd: string; env: NodeJS.ProcessEnv }): PreparedSync {
  if (!flags.from) throw new UsageError('name the repository: winha sync --from PATH_OR_GIT_URL [--path DIR] [--ref BRANCH]');
  const name = flags.name ?? 'default';
  if (!NAME.test(name) || name.length > 63)
    throw new UsageError(`--name ${name}: a lowercase DNS label (letters, digits, -) [sync-name-invalid]`);
  const intervalSeconds = parseInterval(flags.interval ?? '1m');
  const leaseSeconds = flags.leaseDuration ? parseSeconds(flags.leaseDuration, '--lease-duration', 3, 300) : 15;
  const timeoutMs = flags.gitTimeout ? parseSeconds(flags.gitTimeout, '--git-timeout', 1, 3600) * 1000 : undefined;
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(env.cwd, p));
  let source: Source;
  try {
    source = openSource({
      from: flags.from,
      ...(flags.ref ? { ref: flags.ref } : {}),
      ...(flags.path ? { path: flags.path } : {}),
      ...(flags.tokenFile ? { tokenFile: abs(flags.tokenFile)! } : {}),
      ...(flags.sshKeyFile ? { sshKeyFile: abs(flags.sshKeyFile)! } : {}),
      ...(flags.knownHostsFile ? { knownHostsFile: abs(flags.knownHostsFile)! } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      cwd: env.cwd,
      env: env.env,
    });
  } catch (err) {
    if (err instanceof SourceError) throw new UsageError(err.message);
    throw err;
  }
  return {
    source,
    name,
    namespace: flags.namespace,
    leaseSeconds,
    spec: {
      source: source.kind === 'git' ? redactUrl(flags.from) : path.resolve(env.cwd, flags.from),
      ...(flags.ref ? { ref: flags.ref } : {}),
      path: flags.path ?? '.',
      intervalSeconds,
      prune: !!flags.prune,
      correctDrift: flags.correct !== false,
    },
  };
}

/** The syncer of prepared settings over an open store; close() also closes the source. */
export function buildSyncer(
  p: PreparedSync,
  deps: { store: Store; clock: Clock; log: AgentLogger; identity: string; report?: (a: Attempt) => void },
): { syncer: Syncer; close(): Promise<void> } {
  const { store, clock, identity } = deps;
  const events = new EventRecorder(store.objects, identity, clock);
  const cfg: SyncerConfig = {
    name: p.name,
    namespace: p.namespace ?? store.namespace ?? 'default',
    identity,
    spec: p.spec,
    leaseSeconds: p.leaseSeconds,
    ...(store.namespace ? { defaultNamespace: store.namespace } : {}),
  };
  const syncer = new Syncer(cfg, {
    store,
    clock,
    source: p.source,
    log: deps.log,
    event: (e) => events.record(e),
    watch: watchDirectory(clock),
    ...(deps.report ? { report: deps.report } : {}),
  });
  deps.log.info(
    {},
    `syncing ${cfg.spec.source}${cfg.spec.ref ? `@${cfg.spec.ref}` : ''} path ${cfg.spec.path} every ${cfg.spec.intervalSeconds} s as ${identity}`,
  );
  return {
    syncer,
    close: async () => {
      await events.flush().catch(() => undefined);
      events.stop();
      await p.source.close().catch(() => undefined);
    },
  };
}

export async function runSync(flags: SyncFlags, io: CliIO): Promise<number> {
  const prepared = prepareSync(flags, io);
  const clock = new SystemClock();
  const log = lineLogger(io, prepared.name, !!flags.once);
  let store: Store;
  try {
    store = await connect(flags, io);
  } catch (err) {
    await prepared.source.close().catch(() => undefined);
    throw err;
  }
  const stop = new AbortController();
  flags.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const onSignal = () => stop.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (!flags.once) for (const s of signals) process.on(s, onSignal);
  const identity = flags.identity ?? `${hostname().toLowerCase()}-${process.pid}`;
  const built = buildSyncer(prepared, { store, clock, log, identity, report: (a) => printAttempt(io, prepared.name, a) });
  try {
    const code = await built.syncer.run(stop.signal, !!flags.once);
    return code === 0 ? EXIT.OK : EXIT.FAILED;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await built.close();
    await store.close();
  }
}
