/** kubernetes://[CONTEXT][?namespace=NS]: the URL's parts, the kubeconfig it selects, and the namespace it means. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidError, isStoreError } from '../errors.js';
import { DEFAULT_NAMESPACE } from '../objects.js';

/** Where the kubeconfig comes from (the store's options). */
export interface KubeConfigSource {
  kubeconfig?: string;
  env?: Record<string, string | undefined>;
}

export interface KubernetesTarget {
  context: string | undefined;
  namespace: string | undefined;
}

/** kubernetes://[CONTEXT][?namespace=NS] → its parts (CONTEXT may be any kubeconfig context name, percent-encoded). */
export function parseKubernetesUrl(url: string): KubernetesTarget {
  const rest = url.replace(/^kubernetes:\/\//i, '');
  const q = rest.indexOf('?');
  const ctx = decodeURIComponent(q < 0 ? rest : rest.slice(0, q)).replace(/\/+$/, '');
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  for (const k of params.keys()) {
    if (k !== 'namespace') throw new InvalidError(`store URL ${url}: unknown parameter "${k}" (only namespace)`);
  }
  const ns = params.get('namespace') ?? undefined;
  if (ns !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
    throw new InvalidError(`store URL ${url}: invalid namespace "${ns}"`);
  return { context: ctx === '' ? undefined : ctx, namespace: ns };
}

export function loadKubeConfig(target: KubernetesTarget, options: KubeConfigSource, url: string): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const candidates = options.kubeconfig
    ? [options.kubeconfig]
    : env['KUBECONFIG']
      ? env['KUBECONFIG'].split(path.delimiter).filter((p) => p !== '')
      : [path.join(env['HOME'] ?? env['USERPROFILE'] ?? os.homedir(), '.kube', 'config')];
  const file = candidates.find((p) => fs.existsSync(p));
  try {
    if (file) kc.loadFromFile(file);
    else if (env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
    else throw new InvalidError(`store URL ${url}: no kubeconfig (tried ${candidates.join(', ')}) and not running in a pod`);
  } catch (e) {
    if (isStoreError(e)) throw e;
    throw new InvalidError(`store URL ${url}: cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (target.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      throw new InvalidError(`store URL ${url}: no context "${target.context}" in the kubeconfig`);
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) throw new InvalidError(`store URL ${url}: the kubeconfig's current context names no cluster`);
  return kc;
}

/**
 * The namespace objects without one and Leases live in, as kubectl chooses it:
 * the URL's ?namespace=, else the kubeconfig context's namespace, else "default".
 */
export function storeNamespace(target: KubernetesTarget, kc: KubeConfig): string {
  if (target.namespace !== undefined) return target.namespace;
  const fromContext = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return fromContext !== undefined && fromContext !== '' ? fromContext : DEFAULT_NAMESPACE;
}

/** The namespace a kubernetes:// URL means (reads the kubeconfig only when the URL names none). */
export function kubernetesNamespace(url: string, source: KubeConfigSource): string {
  const target = parseKubernetesUrl(url);
  return target.namespace ?? storeNamespace(target, loadKubeConfig(target, source, url));
}
