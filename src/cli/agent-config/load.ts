/**
 * `winha agent --config FILE`: read the AgentConfig, check it (schema and inline secrets as `winha validate` does,
 * then the values only the agent can judge: listen address, driver URL, absolute program paths), and turn it into
 * the agent's flags. Precedence: flag > config file > environment (WINHA_STORE, WINHA_ETCD_*) > default; flags win
 * here, and the environment fills what both leave unset when the store is opened. Every problem is a UsageError
 * (exit 2) naming file:line:column and a stable id.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentConfigSpec } from '../../api/schema/agent-config.js';
import { AGENT_CONFIG_KIND, checkAgentConfig, problemAt } from '../../validate/agent-config.js';
import { decodeUtf8, isMapping, parseText, type Path, type SourceDocument } from '../../validate/parse.js';
import type { Problem } from '../../validate/problem.js';
import { fileUrlPath } from '../../store/open.js';
import { API_VERSION } from '../../api/group.js';
import { parseListen } from '../agent-http.js';
import { UsageError, type CliIO } from '../io.js';
import type { StoreFlags } from '../store.js';
import { parseInterval, type SyncSettings } from '../sync-settings.js';

/** What the agent takes from flags or the config file (the config fills what no flag gave). */
export interface AgentFlags extends StoreFlags {
  config?: string;
  node?: string;
  /** The Cluster (NAME or NAMESPACE/NAME) whose node this is; needed only when several Clusters name the node. */
  cluster?: string;
  driver?: string;
  listen?: string;
  workers?: string;
  secretsDir?: string;
  powershellPath?: string;
  emcmdPath?: string;
}

export interface LogSettings {
  level: string;
  /** Rotated files; absent: standard output. */
  file?: { directory: string; maxSizeMB: number; maxFiles: number };
  eventLog: boolean;
}

export interface AgentRunSettings {
  flags: AgentFlags;
  log: LogSettings;
  stopTimeoutMs: number;
  /** spec.sync: the agent also runs `winha sync` (its paths absolute; a relative local `from` is the config's directory's). */
  sync?: SyncSettings & { cwd: string };
}

/** Below WinSW's stoptimeout (the package sets 20 s), so the agent ends before the wrapper kills it. */
export const DEFAULT_STOP_TIMEOUT_S = 15;
const DEFAULT_LOG: LogSettings = { level: 'info', eventLog: false };

function render(problems: Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.rule}]`).join('\n  ');
}

function invalid(file: string, problems: Problem[]): UsageError {
  return new UsageError(`--config ${file}: the agent configuration is invalid:\n  ${render(problems)}`);
}

/** Read and check the file: exactly one winha.io/v1alpha1 AgentConfig, valid. */
async function readConfig(file: string, io: CliIO): Promise<SourceDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.resolve(io.cwd, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new UsageError(`--config ${file}: cannot read the agent configuration: ${why} [agent-config-read]`);
  }
  const decoded = decodeUtf8(file, bytes);
  if (decoded.problem) throw invalid(file, [decoded.problem]);
  const parsed = parseText(file, decoded.text!);
  if (parsed.problems.length > 0) throw invalid(file, parsed.problems);
  const [doc, extra] = parsed.documents;
  const isConfig = (d: SourceDocument) =>
    isMapping(d.value) && d.value['kind'] === AGENT_CONFIG_KIND && d.value['apiVersion'] === API_VERSION;
  if (!doc || extra || !isConfig(doc)) {
    const at = extra ?? doc;
    const pos = at ? at.locate(['kind']) : { line: 1, column: 1 };
    const problem: Problem = {
      ...{ file, line: pos.line, column: pos.column, kind: AGENT_CONFIG_KIND, name: '', severity: 'error' },
      rule: 'agent-config-kind',
      message: `the file must hold exactly one document of apiVersion: ${API_VERSION}, kind: ${AGENT_CONFIG_KIND}`,
    };
    throw invalid(file, [problem]);
  }
  const problems = checkAgentConfig(doc);
  if (problems.length > 0) throw invalid(file, problems);
  return doc;
}

const isAbsolutePath = (p: string) => path.win32.isAbsolute(p) || path.isAbsolute(p);

/** A file:// URL with a relative directory, made absolute against the config file's directory. */
function absoluteStoreUrl(url: string, dir: string): string {
  if (!/^file:\/\//i.test(url)) return url;
  const p = fileUrlPath(url, dir);
  return `file://${/^[A-Za-z]:/.test(p) ? p : p.replace(/%/g, '%25')}`;
}

/** The config's settings under the flags (flags win), with its own values checked at their places. */
export async function applyAgentConfig(flags: AgentFlags, io: CliIO, platform: string = process.platform): Promise<AgentRunSettings> {
  if (flags.config === undefined) return { flags, log: DEFAULT_LOG, stopTimeoutMs: DEFAULT_STOP_TIMEOUT_S * 1000 };
  const file = flags.config;
  const doc = await readConfig(file, io);
  const spec = (doc.value as { spec: AgentConfigSpec }).spec;
  const dir = path.dirname(path.resolve(io.cwd, file));
  const bad = (at: Path, message: string, rule = 'agent-config-value') => invalid(file, [problemAt(doc, ['spec', ...at], rule, message)]);
  const rel = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));

  if (spec.listen !== undefined && flags.listen === undefined) {
    try {
      parseListen(spec.listen);
    } catch (e) {
      if (e instanceof UsageError)
        throw bad(
          ['listen'],
          e.message.replace(/^--listen /, 'spec.listen ').replace(/ \[agent-listen-invalid\]$/, ''),
          'agent-listen-invalid',
        );
      throw e;
    }
  }
  const type = spec.driver?.type;
  if (type?.startsWith('sim://') && flags.driver === undefined) {
    const { parseSimDriverUrl, DriverSpecError } = await import('../../drivers/factory.js');
    try {
      parseSimDriverUrl(type);
    } catch (e) {
      if (e instanceof DriverSpecError) throw bad(['driver', 'type'], e.message, e.id);
      throw e;
    }
  }
  for (const key of ['powershellPath', 'emcmdPath'] as const) {
    const v = spec.driver?.[key];
    if (v !== undefined && flags[key] === undefined && !isAbsolutePath(v))
      throw bad(
        ['driver', key],
        `spec.driver.${key} ${JSON.stringify(v)}: give an absolute path (a bare name could run a planted program)`,
      );
  }
  const logFile = spec.log?.file;
  let directory = rel(logFile?.directory);
  if (logFile && directory === undefined) {
    if (platform !== 'win32')
      throw bad(['log', 'file'], 'spec.log.file.directory: name the directory of the log files', 'agent-config-log-directory');
    directory = path.win32.join(io.env['ProgramData'] ?? 'C:\\ProgramData', 'WinHA', 'logs');
  }
  const sync = spec.sync;
  if (sync?.interval !== undefined) {
    try {
      parseInterval(sync.interval);
    } catch (e) {
      if (e instanceof UsageError)
        throw bad(
          ['sync', 'interval'],
          e.message.replace(/^--interval /, 'spec.sync.interval ').replace(/ \[sync-interval-invalid\]$/, ''),
          'agent-config-sync',
        );
      throw e;
    }
  }
  const etcd = spec.store?.etcd;
  const merged: AgentFlags = {
    ...flags,
    node: flags.node ?? spec.node,
    driver: flags.driver ?? type,
    listen: flags.listen ?? spec.listen,
    workers: flags.workers ?? (spec.workers === undefined ? undefined : String(spec.workers)),
    secretsDir: flags.secretsDir ?? rel(spec.secretsDir),
    powershellPath: flags.powershellPath ?? spec.driver?.powershellPath,
    emcmdPath: flags.emcmdPath ?? spec.driver?.emcmdPath,
    store: flags.store ?? (spec.store?.url === undefined ? undefined : absoluteStoreUrl(spec.store.url, dir)),
    etcdCacert: flags.etcdCacert ?? rel(etcd?.caFile),
    etcdCert: flags.etcdCert ?? rel(etcd?.certFile),
    etcdKey: flags.etcdKey ?? rel(etcd?.keyFile),
    etcdUser: flags.etcdUser ?? etcd?.username,
    etcdPasswordFile: flags.etcdPasswordFile ?? rel(etcd?.passwordFile),
    etcdRequestTimeout: flags.etcdRequestTimeout ?? (etcd?.requestTimeoutMs === undefined ? undefined : String(etcd.requestTimeoutMs)),
    kubeconfig: flags.kubeconfig ?? rel(spec.store?.kubernetes?.kubeconfig),
  };
  // Unset keys stay absent, as commander leaves flags that were not given.
  for (const k of Object.keys(merged) as (keyof AgentFlags)[]) if (merged[k] === undefined) delete merged[k];
  const log: LogSettings = {
    level: spec.log?.level ?? 'info',
    eventLog: spec.log?.eventLog ?? false,
    ...(directory !== undefined ? { file: { directory, maxSizeMB: logFile?.maxSizeMB ?? 10, maxFiles: logFile?.maxFiles ?? 10 } } : {}),
  };
  return {
    flags: merged,
    log,
    stopTimeoutMs: (spec.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_S) * 1000,
    ...(sync ? { sync: syncSettings(sync, rel, dir) } : {}),
  };
}

function syncSettings(
  sync: NonNullable<AgentConfigSpec['sync']>,
  rel: (p: string | undefined) => string | undefined,
  cwd: string,
): SyncSettings & { cwd: string } {
  const opt = <T>(k: string, v: T | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    cwd,
    from: sync.from,
    ...opt('ref', sync.ref),
    ...opt('path', sync.path),
    ...opt('interval', sync.interval),
    prune: sync.prune ?? false,
    correct: sync.correctDrift ?? true,
    ...opt('name', sync.name),
    ...opt('tokenFile', rel(sync.tokenFile)),
    ...opt('sshKeyFile', rel(sync.sshKeyFile)),
    ...opt('knownHostsFile', rel(sync.knownHostsFile)),
    ...opt('gitTimeout', sync.gitTimeoutSeconds === undefined ? undefined : String(sync.gitTimeoutSeconds)),
  };
}
