/** How CLI commands reach the store and read manifest sets. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileUrlPath, openStore, resolveStoreUrl, type EtcdConnectionOptions, type Store } from '../store/index.js';
import { isStoreError } from '../store/errors.js';
import { readInputs, InputError } from '../validate/sources.js';
import { validateInputs, type ValidationReport } from '../validate/validate.js';
import { UsageError, type CliIO } from './io.js';

export interface StoreFlags {
  store?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
  etcdRequestTimeout?: string;
  /** kubernetes://: the kubeconfig file (from an agent config file; no flag: $KUBECONFIG otherwise). */
  kubeconfig?: string;
}

/** The runs (one CliIO each) already told that the implicit default store is used: they are told once. */
const toldDefault = new WeakSet<CliIO>();

/** When neither --store nor $WINHA_STORE chose the store, say so once on stderr: ./.winha is a guess, maybe the wrong one. */
export function noteDefaultStore(flags: StoreFlags, io: CliIO): void {
  if (flags.store?.trim() || io.env['WINHA_STORE']?.trim() || toldDefault.has(io)) return;
  toldDefault.add(io);
  io.stderr.write('winha: using the store at ./.winha (default; --store or WINHA_STORE to choose)\n');
}

/**
 * Before a command that only reads (get, describe, events, diff) or acts on objects that must already be there
 * (switchover, clear, maintenance): a file:// store that does not exist is refused, naming the directory, and
 * not created — an empty store made by a typo would answer "no resources" and hide the mistake.
 */
export function requireExistingStore(flags: StoreFlags, io: CliIO): void {
  noteDefaultStore(flags, io);
  const url = resolveStoreUrl(flags.store, io.env);
  if (!/^file:\/\//i.test(url)) return;
  let dir: string;
  try {
    dir = fileUrlPath(url, io.cwd);
  } catch (err) {
    if (isStoreError(err, 'Invalid')) throw new UsageError(err.message);
    throw err;
  }
  if (!existsSync(dir))
    throw new UsageError(
      `store ${url}: ${dir} does not exist (this command does not create a store: winha apply -f creates one; or choose it with --store or WINHA_STORE)`,
    );
}

export async function connect(flags: StoreFlags, io: CliIO): Promise<Store> {
  noteDefaultStore(flags, io);
  const etcd: EtcdConnectionOptions = {};
  if (flags.etcdCacert) etcd.caFile = path.resolve(io.cwd, flags.etcdCacert);
  if (flags.etcdCert) etcd.certFile = path.resolve(io.cwd, flags.etcdCert);
  if (flags.etcdKey) etcd.keyFile = path.resolve(io.cwd, flags.etcdKey);
  if (flags.etcdUser) etcd.username = flags.etcdUser;
  if (flags.etcdPasswordFile) etcd.passwordFile = path.resolve(io.cwd, flags.etcdPasswordFile);
  if (flags.etcdRequestTimeout !== undefined) etcd.requestTimeoutMs = parseTimeoutMs(flags.etcdRequestTimeout, '--etcd-request-timeout');
  try {
    const kube = flags.kubeconfig ? { kubeconfig: path.resolve(io.cwd, flags.kubeconfig) } : {};
    return await openStore(flags.store, { env: io.env, cwd: io.cwd, etcd, ...kube });
  } catch (err) {
    if (isStoreError(err, 'Invalid')) throw new UsageError(err.message);
    throw err;
  }
}

function parseTimeoutMs(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 100 || n > 600_000)
    throw new UsageError(`${flag} ${text}: give milliseconds between 100 and 600000 (example: ${flag} 1000)`);
  return n;
}

/** Read and validate -f paths as one set, with live objects as context for references. */
export async function readManifestSet(
  paths: string[] | undefined,
  recursive: boolean,
  io: CliIO,
  context: readonly Record<string, unknown>[],
  defaultNamespace?: string,
): Promise<ValidationReport> {
  return (await readManifestInputs(paths, recursive, io)).validate(context, defaultNamespace);
}

/** Read -f paths once; validate them as one set against any context, as often as needed (apply re-validates). */
export async function readManifestInputs(
  paths: string[] | undefined,
  recursive: boolean,
  io: CliIO,
): Promise<{ validate(context: readonly Record<string, unknown>[], defaultNamespace?: string): ValidationReport }> {
  if (!paths || paths.length === 0) throw new UsageError('name the manifests with -f FILE|DIR|- (repeatable)');
  let inputs;
  try {
    inputs = await readInputs(paths, recursive, io.cwd, io.stdin);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
  return {
    validate: (context, defaultNamespace) =>
      validateInputs(inputs, { context, target: 'store', ...(defaultNamespace ? { defaultNamespace } : {}) }),
  };
}

/**
 * The default of -n, as kubectl's: a kubernetes:// store's namespace (?namespace=, else the kubeconfig
 * context's, else "default"); undefined for other stores, whose namespaces are only names.
 */
export async function storeDefaultNamespace(flags: StoreFlags, io: CliIO): Promise<string | undefined> {
  const url = resolveStoreUrl(flags.store, io.env);
  if (!/^kubernetes:\/\//i.test(url)) return undefined;
  const { kubernetesNamespace } = await import('../store/kubernetes/config.js');
  try {
    return kubernetesNamespace(url, { env: io.env, ...(flags.kubeconfig ? { kubeconfig: path.resolve(io.cwd, flags.kubeconfig) } : {}) });
  } catch (err) {
    if (isStoreError(err, 'Invalid')) throw new UsageError(err.message);
    throw err;
  }
}
