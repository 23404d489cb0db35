/**
 * openStore(url, options): the one way the CLI, the agent and the simulation
 * get a store. The URL comes from the argument, else $WINHA_STORE, else the
 * embedded default file://./.winha.
 *
 *   memory://          a fresh private in-process store
 *   memory://NAME      an in-process store shared by every connection named NAME
 *   file://DIR         a directory (relative to cwd, or absolute: file:///var/lib/winha, file://C:/ProgramData/winha)
 *   etcd://H:P[,H:P...][/PREFIX]   an etcd v3 cluster (src/store/etcd; loaded only when used)
 *   kubernetes://[CONTEXT][?namespace=NS]   a Kubernetes API server (kubernetes/store.ts)
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InvalidError } from './errors.js';
import { FileStore, type FileStoreOptions } from './file/file-store.js';
import type { KubernetesStoreOptions } from './kubernetes/store.js';
import { openMemoryStore, type MemoryStoreOptions } from './memory.js';
import type { Store } from './types.js';
import type { EtcdConnectionOptions } from './etcd/config.js';

export const DEFAULT_STORE_URL = 'file://./.winha';

export interface OpenStoreOptions extends FileStoreOptions, MemoryStoreOptions, Omit<KubernetesStoreOptions, 'env'> {
  /** Where $WINHA_STORE (and, for kubernetes://, $KUBECONFIG) is read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Base for relative file:// paths (default process.cwd()). */
  cwd?: string;
  /** TLS files, user and timeouts for etcd:// (the environment fills what is unset). */
  etcd?: EtcdConnectionOptions;
}

export function resolveStoreUrl(url: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const u = url?.trim() || env['WINHA_STORE']?.trim() || DEFAULT_STORE_URL;
  return u;
}

/** The directory a file:// URL names. */
export function fileUrlPath(url: string, cwd: string = process.cwd()): string {
  let p: string;
  try {
    p = decodeURIComponent(url.slice('file://'.length));
  } catch {
    throw new InvalidError(`store URL ${url}: bad percent-encoding in the path (write % as %25)`);
  }
  if (p === '') throw new InvalidError(`store URL ${url}: no directory given (example: file://./.winha)`);
  if (/^\/[A-Za-z]:[\\/]/.test(p)) p = p.slice(1); // file:///C:/dir
  if (/^[A-Za-z]:[\\/]/.test(p)) return p;
  return path.resolve(cwd, p);
}

export async function openStore(url?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const u = resolveStoreUrl(url, options.env);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(u)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      return openMemoryStore(u.slice('memory://'.length), options);
    case 'file':
      return openFileStore(u, options);
    case 'etcd': {
      // gRPC and etcd3 are loaded only for etcd:// (they would slow every other command's start).
      const { openEtcdStore } = await import('./etcd/etcd-store.js');
      return openEtcdStore(u, { ...options, env: options.env ?? process.env });
    }
    case 'kubernetes': {
      // @kubernetes/client-node is loaded only for kubernetes:// (it would slow every other command's start).
      const { openKubernetesStore } = await import('./kubernetes/store.js');
      return openKubernetesStore(u, options);
    }
    default:
      throw new InvalidError(`store URL ${u}: unknown scheme (use file://DIR, memory://, etcd://host:port or kubernetes://)`);
  }
}

/** A file:// store, with the operator's mistakes (a file, a device, no permission) as one-line InvalidErrors. */
async function openFileStore(u: string, options: OpenStoreOptions): Promise<Store> {
  const dir = fileUrlPath(u, options.cwd);
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = undefined; // absent: the store creates it
  }
  if (st && !st.isDirectory()) throw new InvalidError(`store URL ${u}: ${dir} is not a directory`);
  try {
    return await FileStore.open(dir, options, u);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new InvalidError(`store URL ${u}: cannot use ${dir} as a store directory (${code}: ${(err as Error).message.split('\n')[0]})`);
    throw err;
  }
}
