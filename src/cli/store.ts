/** How CLI commands reach the store and read manifest sets. */
import path from 'node:path';
import { openStore, type EtcdConnectionOptions, type Store } from '../store/index.js';
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

export async function connect(flags: StoreFlags, io: CliIO): Promise<Store> {
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
): Promise<ValidationReport> {
  if (!paths || paths.length === 0) throw new UsageError('name the manifests with -f FILE|DIR|- (repeatable)');
  try {
    const inputs = await readInputs(paths, recursive, io.cwd, io.stdin);
    return validateInputs(inputs, { context, target: 'store' });
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
}

/** Read -f paths once; validate them as one set against any context, as often as needed (apply re-validates). */
export async function readManifestInputs(
  paths: string[] | undefined,
  recursive: boolean,
  io: CliIO,
): Promise<{ validate(context: readonly Record<string, unknown>[]): ValidationReport }> {
  if (!paths || paths.length === 0) throw new UsageError('name the manifests with -f FILE|DIR|- (repeatable)');
  let inputs;
  try {
    inputs = await readInputs(paths, recursive, io.cwd, io.stdin);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }
  return { validate: (context) => validateInputs(inputs, { context, target: 'store' }) };
}
