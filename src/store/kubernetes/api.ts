/**
 * The thin layer between the store and @kubernetes/client-node: which REST
 * resource a WinHA kind is, how API objects become StoredObjects, and how API
 * errors become store errors with one-line messages.
 */
import { GROUP, VERSION } from '../../api/group.js';
import { KINDS } from '../../api/kinds.js';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  UNREACHABLE_CODE,
  UnavailableError,
  isStoreError,
  networkCause,
} from '../errors.js';
import type { ObjectMeta, StoredObject } from '../types.js';
import {
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
  setHeaderMiddleware,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';

export interface Resource {
  kind: string;
  group: string;
  version: string;
  plural: string;
}

const BY_KIND = new Map<string, Resource>(
  KINDS.map((k) => [k.kind.toLowerCase(), { kind: k.kind, group: GROUP, version: VERSION, plural: k.plural }]),
);

/** The custom resource a kind name ("FailoverGroup", case-insensitive) is stored as. */
export function resourceFor(kind: string): Resource {
  const r = BY_KIND.get(kind.toLowerCase());
  if (!r) throw new InvalidError(`kind ${kind} is not a WinHA kind (known: ${KINDS.map((k) => k.kind).join(', ')})`);
  return r;
}

/** The REST path of a resource's collection, namespaced or across all namespaces. */
export function collectionPath(r: Resource, namespace: string | undefined): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${r.group}/${r.version}${ns}/${r.plural}`;
}

/** An object as the API server returns it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

function rfc3339(t: string | Date | undefined): string {
  if (t === undefined) return '';
  return typeof t === 'string' ? t : t.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The API object as the store's StoredObject: ObjectMeta keeps the fields the
 * store defines (managedFields, finalizers and the like are server
 * bookkeeping and are left out); everything else is kept as is.
 */
export function toStored(o: KubeObject, kind: string): StoredObject {
  const { metadata: m = {}, ...rest } = o;
  const meta: ObjectMeta = {
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    uid: m.uid ?? '',
    generation: m.generation ?? 1,
    resourceVersion: m.resourceVersion ?? '',
    creationTimestamp: rfc3339(m.creationTimestamp),
  };
  if (m.labels && Object.keys(m.labels).length > 0) meta.labels = m.labels;
  if (m.annotations && Object.keys(m.annotations).length > 0) meta.annotations = m.annotations;
  if (m.deletionTimestamp !== undefined) meta.deletionTimestamp = rfc3339(m.deletionTimestamp);
  return { apiVersion: rest.apiVersion ?? `${GROUP}/${VERSION}`, kind: rest.kind ?? kind, ...rest, metadata: meta };
}

/** A Kubernetes Status object (error bodies and watch ERROR events). */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ').trim();
}

function statusOf(e: unknown): { code: number | undefined; status: KubeStatus | undefined } {
  if (typeof e !== 'object' || e === null) return { code: undefined, status: undefined };
  const x = e as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof x.code === 'number' ? x.code : typeof x.statusCode === 'number' ? x.statusCode : undefined;
  let status: KubeStatus | undefined;
  if (typeof x.body === 'string') {
    try {
      status = JSON.parse(x.body) as KubeStatus;
    } catch {
      status = { message: x.body };
    }
  } else if (typeof x.body === 'object' && x.body !== null) {
    status = x.body;
  }
  return { code, status };
}

/** The HTTP status of an API error, if it carries one. */
export function httpCode(e: unknown): number | undefined {
  return statusOf(e).code;
}

/**
 * An API error as a store error whose message starts with `what` (e.g.
 * "FailoverGroup default/web"): 404 NotFound, 409 AlreadyExists or Conflict,
 * 410 Gone, 400/415/422 Invalid, anything else (network, 401/403, 429, 5xx)
 * Unavailable. Messages never include request headers (credentials).
 */
export function toStoreError(e: unknown, what: string, server: string): Error {
  const { code, status } = statusOf(e);
  const timedOut = e instanceof Error && e.name === 'TimeoutError';
  if (code === undefined && !isStoreError(e)) {
    // No HTTP answer: say which server and why in plain words (fetch's own text is only "fetch failed").
    const why = timedOut ? 'no answer within the request timeout' : (networkCause(e) ?? 'no answer');
    return new UnavailableError(`${what}: cannot reach the Kubernetes API server ${server}: ${why} ${UNREACHABLE_CODE}`, { cause: e });
  }
  const detail = timedOut
    ? 'no answer within the request timeout'
    : oneLine(status?.message ?? (e instanceof Error && code === undefined ? e.message : `HTTP ${code ?? '?'}`));
  const msg = `${what}: ${detail}`;
  switch (code) {
    case 404:
      // A create in a namespace the cluster lacks: the object is not what is missing.
      if (status?.details?.kind === 'namespaces' && status.details.name)
        return new NotFoundError(
          `${what}: namespace ${status.details.name} does not exist on ${server} (kubectl create namespace ${status.details.name}, or kubectl apply -f the manifest, which carries its Namespace) [namespace-missing]`,
          { reason: 'NamespaceMissing' },
        );
      return new NotFoundError(`${what} not found`);
    case 409:
      return status?.reason === 'AlreadyExists' ? new AlreadyExistsError(`${what} already exists`) : new ConflictError(msg);
    case 410:
      return new GoneError(`${what}: ${detail} (list again, then watch from the list's resourceVersion)`);
    case 400:
    case 415:
    case 422:
      return new InvalidError(msg);
    default:
      return new UnavailableError(code === undefined ? `${what}: cannot reach the Kubernetes API server: ${detail}` : msg);
  }
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
const pooled = new WeakMap<KubeConfig, SecurityAuthentication>();

/**
 * kc's authentication, with one connection pool per cluster and user (client-node's own key for its agents): its
 * 2.0.1 builds a new undici Agent for every request, so each request opened a TLS connection of its own that stayed
 * alive and was never reused (measured: 436 of them, 500 MB RSS and 30 % of a core for an agent of 100 groups).
 */
export function pooledAuth(kc: KubeConfig): SecurityAuthentication {
  let auth = pooled.get(kc);
  if (auth) return auth;
  const pools = new Map<string, Dispatcher>();
  auth = {
    getName: () => kc.getName(),
    async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
      await kc.applySecurityAuthentication(ctx);
      const fresh = ctx.getDispatcher();
      if (!fresh) return;
      const key = JSON.stringify([kc.getCurrentCluster()?.name ?? '', kc.getCurrentUser()?.name ?? '']);
      const pool = pools.get(key);
      if (!pool) pools.set(key, fresh);
      else {
        ctx.setDispatcher(pool);
        fresh.close().catch(() => undefined); // never used: it holds no connection yet (and no rejection may go unheard)
      }
    },
  };
  pooled.set(kc, auth);
  return auth;
}

/**
 * kc.makeApiClient(type), plus a deadline on every request: an AbortSignal
 * that fires after timeoutMs, from sending to the last byte of the body.
 */
export function apiClient<T>(kc: KubeConfig, type: new (config: ReturnType<typeof createConfiguration>) => T, timeoutMs: number): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new InvalidError('the kubeconfig names no cluster');
  return new type(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: pooledAuth(kc) },
      middleware: [setHeaderMiddleware('User-Agent', 'winha')],
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return ctx;
          },
          post: async (res) => res,
        },
      ],
    }),
  );
}
