/**
 * kubernetes://[CONTEXT][?namespace=NS] — the store on a Kubernetes API server.
 *
 *  - WinHA kinds are custom resources (crds/, group winha.io) with the status
 *    subresource; resourceVersion is the API server's, passed through.
 *  - update/updateStatus with metadata.resourceVersion are a compare-and-swap
 *    (409 → Conflict). Without one they are unconditional, as our contract
 *    says; custom resources refuse unconditional updates, so we read the
 *    current resourceVersion and retry on a lost race.
 *  - 404 → NotFound, 409 AlreadyExists, 410 → Gone, 400/422 → Invalid,
 *    anything else → Unavailable (errors.ts of this directory).
 *  - Watches: watch.ts. Merge patches: mergePatch() sends
 *    application/merge-patch+json (custom resources reject client-node's
 *    default strategic merge patch with 415).
 *  - Leases: coordination.k8s.io/v1 Lease in the URL's namespace;
 *    holderIdentity, leaseDurationSeconds, acquireTime, renewTime, and
 *    leaseTransitions = our epoch. Expiry is LeaseClient's (lease-client.ts):
 *    judged on our own monotonic clock, never from renewTime.
 *
 * Authentication: a kubeconfig ($KUBECONFIG, then ~/.kube/config, or
 * options.kubeconfig) or, inside a pod, the service account (in-cluster).
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch as KubeWatch } from '@kubernetes/client-node';
import { SystemClock, type Clock } from '../../lib/clock.js';
import { SeededRandom, freshSeed, type Random } from '../../lib/random.js';
import { ConflictError, InvalidError, UnavailableError, describeObject, isStoreError } from '../errors.js';
import { guardByListing, guardMisplaced } from '../ops.js';
import { LeaseClient } from '../lease-client.js';
import { identify } from '../objects.js';
import { compileSelector } from '../selector.js';
import type {
  BatchOp,
  BatchResult,
  DeleteOptions,
  LabelSelector,
  ListOptions,
  ListResult,
  ObjectInput,
  ObjectStore,
  Store,
  StoredObject,
  Watch,
  WatchOptions,
} from '../types.js';
import {
  apiClient,
  collectionPath,
  DEFAULT_REQUEST_TIMEOUT_MS,
  resourceFor,
  toStoreError,
  toStored,
  type KubeObject,
  type Resource,
} from './api.js';
import { KubernetesLeaseBackend } from './leases.js';
import { loadKubeConfig, parseKubernetesUrl, storeNamespace } from './config.js';

export { parseKubernetesUrl, storeNamespace, type KubernetesTarget } from './config.js';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './api.js';
export { kubernetesLeaseName } from './leases.js';
import { KubernetesWatch } from './watch.js';

export interface KubernetesStoreOptions {
  /** Domain time: lease observation, synthesized bookmarks, renewTime. Tests inject a VirtualClock. */
  clock?: Clock;
  /** Real time for watch reconnect backoff (default: the system clock). */
  ioClock?: Clock;
  random?: Random;
  /** A kubeconfig file; default $KUBECONFIG, then ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** A watch connection with no byte for this long is replaced (default 90 s). */
  watchInactivityMs?: number;
  /**
   * Every other request (get, list, writes, leases) gives up after this long
   * with Unavailable (default 5 s, as etcd://). client-node sets no timeout of
   * its own: on a connection that went silent (a pulled cable, a dead NAT
   * entry) a request would wait forever, and an agent with it.
   */
  requestTimeoutMs?: number;
}

function selectorString(sel: LabelSelector | undefined): string | undefined {
  if (sel === undefined) return undefined;
  compileSelector(sel); // InvalidError on bad syntax, the same message as the other backends
  if (typeof sel === 'string') return sel.trim() === '' ? undefined : sel;
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Fields the server manages; our input may carry them (from a get) but they are not ours to send. */
function requestBody(input: ObjectInput, namespace: string, keepStatus: boolean): KubeObject {
  const { metadata, status, ...rest } = input;
  const meta: NonNullable<KubeObject['metadata']> = { name: metadata.name, namespace };
  if (metadata.labels) meta.labels = metadata.labels;
  if (metadata.annotations) meta.annotations = metadata.annotations;
  if (metadata.resourceVersion) meta.resourceVersion = metadata.resourceVersion;
  if (metadata.uid) meta.uid = metadata.uid;
  const body: KubeObject = { ...rest, metadata: meta };
  if (keepStatus && status !== undefined) body['status'] = status;
  return body;
}

const UNCONDITIONAL_RETRIES = 10;

export class KubernetesObjectStore implements ObjectStore {
  private readonly api: CustomObjectsApi;
  private readonly server: string;
  /** Open watches, closed with the store. */
  readonly watches = new Set<Watch>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly defaultNamespace: string,
    /** The URL's ?namespace=: lists and watches that name no namespace stay in it (a namespaced Role allows no more). */
    private readonly scope: string | undefined,
    private readonly deps: {
      clock: Clock;
      ioClock: Clock;
      random: Random;
      inactivityMs: number;
      requestTimeoutMs: number;
      closed: () => boolean;
    },
  ) {
    this.api = apiClient(kc, CustomObjectsApi, deps.requestTimeoutMs);
    this.server = kc.getCurrentCluster()?.server ?? '?';
  }

  private target(kind: string, namespace: string, name: string): { r: Resource; what: string; ref: Record<string, string> } {
    const r = resourceFor(kind);
    return {
      r,
      what: describeObject(r.kind, namespace, name),
      ref: { group: r.group, version: r.version, plural: r.plural, namespace, name },
    };
  }

  private check(): void {
    if (this.deps.closed()) throw new UnavailableError('the kubernetes store is closed');
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredObject> {
    this.check();
    const { r, what, ref } = this.target(kind, namespace, name);
    try {
      return toStored((await this.api.getNamespacedCustomObject(ref as never)) as KubeObject, r.kind);
    } catch (e) {
      throw toStoreError(e, what, this.server);
    }
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    return this.listAt(kind, this.scoped(options), {});
  }

  private scoped<T extends { namespace?: string }>(options: T): T {
    return options.namespace || !this.scope ? options : { ...options, namespace: this.scope };
  }

  private async listAt(kind: string, options: ListOptions, at: { resourceVersion?: string; exact?: boolean }): Promise<ListResult> {
    this.check();
    const r = resourceFor(kind);
    const labelSelector = selectorString(options.labelSelector);
    const base = { group: r.group, version: r.version, plural: r.plural };
    const extra: Record<string, string> = {};
    if (labelSelector) extra['labelSelector'] = labelSelector;
    if (at.resourceVersion !== undefined) {
      extra['resourceVersion'] = at.resourceVersion;
      if (at.exact) extra['resourceVersionMatch'] = 'Exact';
    }
    try {
      const res = (
        options.namespace
          ? await this.api.listNamespacedCustomObject({ ...base, namespace: options.namespace, ...extra })
          : await this.api.listClusterCustomObject({ ...base, ...extra })
      ) as { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
      return {
        items: (res.items ?? []).map((o) => toStored(o, r.kind)),
        resourceVersion: res.metadata?.resourceVersion ?? '0',
      };
    } catch (e) {
      throw toStoreError(e, `list ${r.plural}${options.namespace ? ` in ${options.namespace}` : ''}`, this.server);
    }
  }

  watch(kind: string, given: WatchOptions = {}): Watch {
    const options = this.scoped(given);
    const r = resourceFor(kind);
    const labelSelector = selectorString(options.labelSelector);
    const w: Watch = new KubernetesWatch(
      {
        kubeConfig: this.kc,
        resource: r,
        namespace: options.namespace,
        labelSelector,
        list: (at) =>
          this.listAt(
            kind,
            { ...(options.namespace ? { namespace: options.namespace } : {}), ...(labelSelector ? { labelSelector } : {}) },
            at,
          ),
        clock: this.deps.clock,
        ioClock: this.deps.ioClock,
        random: this.deps.random,
        inactivityMs: this.deps.inactivityMs,
        onClose: () => this.watches.delete(w),
      },
      options,
    );
    if (this.deps.closed()) w.close();
    else this.watches.add(w);
    return w;
  }

  async create(input: ObjectInput): Promise<StoredObject> {
    this.check();
    const { kind, namespace, name } = this.identify(input);
    const { r, what, ref } = this.target(kind, namespace, name);
    if (input.metadata.resourceVersion) throw new InvalidError(`${what}: resourceVersion must not be set on create`);
    try {
      const body = requestBody({ ...input, metadata: { ...input.metadata, uid: undefined } }, namespace, false);
      body.apiVersion = `${r.group}/${r.version}`;
      body.kind = r.kind;
      return toStored((await this.api.createNamespacedCustomObject({ ...ref, body } as never)) as KubeObject, r.kind);
    } catch (e) {
      throw toStoreError(e, what, this.server);
    }
  }

  async update(input: ObjectInput): Promise<StoredObject> {
    return this.replace(input, false);
  }

  async updateStatus(input: ObjectInput): Promise<StoredObject> {
    return this.replace(input, true);
  }

  private identify(input: ObjectInput): { kind: string; namespace: string; name: string } {
    const id = identify(input);
    if (input.metadata.namespace === undefined) id.namespace = this.defaultNamespace;
    return id;
  }

  private async replace(input: ObjectInput, status: boolean): Promise<StoredObject> {
    this.check();
    const { kind, namespace, name } = this.identify(input);
    const { r, what, ref } = this.target(kind, namespace, name);
    const send = async (rv: string): Promise<StoredObject> => {
      const body = requestBody({ ...input, metadata: { ...input.metadata, resourceVersion: rv } }, namespace, status);
      body.apiVersion = `${r.group}/${r.version}`;
      body.kind = r.kind;
      const call = status
        ? this.api.replaceNamespacedCustomObjectStatus.bind(this.api)
        : this.api.replaceNamespacedCustomObject.bind(this.api);
      return toStored((await call({ ...ref, body } as never)) as KubeObject, r.kind);
    };
    if (input.metadata.resourceVersion) {
      try {
        return await send(input.metadata.resourceVersion);
      } catch (e) {
        throw toStoreError(e, what, this.server);
      }
    }
    // Unconditional: custom resources require a resourceVersion, so take the current one; retry if someone else wrote first.
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(kind, namespace, name);
      if (input.metadata.uid && input.metadata.uid !== cur.metadata.uid) {
        throw new ConflictError(`${what}: uid ${input.metadata.uid} does not match the stored object's ${cur.metadata.uid}`);
      }
      try {
        return await send(cur.metadata.resourceVersion);
      } catch (e) {
        const err = toStoreError(e, what, this.server);
        if (!isStoreError(err, 'Conflict') || attempt >= UNCONDITIONAL_RETRIES) throw err;
      }
    }
  }

  /**
   * The API server answers a custom resource's DELETE with a Status, not the
   * object, so: read the object, delete exactly that version (adding its
   * resourceVersion and uid as preconditions; if the caller gave none and
   * someone wrote in between, read again), then read the DELETED event from a
   * watch starting at that version, which carries the deletion's revision.
   */
  async delete(kind: string, namespace: string, name: string, options: DeleteOptions = {}): Promise<StoredObject> {
    this.check();
    const { r, what, ref } = this.target(kind, namespace, name);
    const given = options.preconditions ?? {};
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(kind, namespace, name);
      if (given.uid && given.uid !== cur.metadata.uid)
        throw new ConflictError(`${what}: uid precondition ${given.uid} does not match ${cur.metadata.uid}`);
      if (given.resourceVersion && given.resourceVersion !== cur.metadata.resourceVersion) {
        throw new ConflictError(
          `${what}: resourceVersion precondition ${given.resourceVersion} does not match ${cur.metadata.resourceVersion}`,
        );
      }
      const preconditions = { resourceVersion: cur.metadata.resourceVersion, uid: cur.metadata.uid };
      try {
        await this.api.deleteNamespacedCustomObject({ ...ref, body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions } } as never);
      } catch (e) {
        const err = toStoreError(e, what, this.server);
        if (isStoreError(err, 'Conflict') && !given.resourceVersion && attempt < UNCONDITIONAL_RETRIES) continue;
        throw err;
      }
      return (await this.deletedEvent(r, namespace, name, cur.metadata.resourceVersion)) ?? cur;
    }
  }

  /** The DELETED event of namespace/name after resourceVersion `from`, or undefined if it does not come within 5 s. */
  private deletedEvent(r: Resource, namespace: string, name: string, from: string): Promise<StoredObject | undefined> {
    return new Promise((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (o: StoredObject | undefined): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        controller?.abort();
        resolve(o);
      };
      const timer = this.deps.ioClock.setTimer(5000, () => finish(undefined));
      new KubeWatch(this.kc)
        .watch(
          collectionPath(r, namespace),
          { resourceVersion: from, fieldSelector: `metadata.name=${name}` },
          (type: string, obj: unknown) => {
            if (type === 'DELETED') finish(toStored(obj as KubeObject, r.kind));
          },
          () => finish(undefined),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          () => finish(undefined),
        );
    });
  }

  async batch(ops: BatchOp[]): Promise<BatchResult[]> {
    if (ops[0]?.op === 'guard') return guardByListing(this, ops[0], ops.slice(1));
    const out: BatchResult[] = [];
    for (const op of ops) {
      try {
        if (op.op === 'guard') throw guardMisplaced();
        const object =
          op.op === 'create'
            ? await this.create(op.object)
            : op.op === 'update'
              ? await this.update(op.object)
              : op.op === 'updateStatus'
                ? await this.updateStatus(op.object)
                : await this.delete(op.kind, op.namespace, op.name, op.options);
        out.push({ ok: true, object });
      } catch (e) {
        out.push({ ok: false, error: e as Error });
      }
    }
    return out;
  }

  /**
   * A JSON merge patch (RFC 7386) of the object or its status, sent as
   * application/merge-patch+json. With `resourceVersion`, it applies only
   * to that version (Conflict otherwise).
   */
  async mergePatch(
    kind: string,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options: { subresource?: 'status'; resourceVersion?: string } = {},
  ): Promise<StoredObject> {
    this.check();
    const { r, what, ref } = this.target(kind, namespace, name);
    const body = options.resourceVersion
      ? { ...patch, metadata: { ...((patch['metadata'] as object | undefined) ?? {}), resourceVersion: options.resourceVersion } }
      : patch;
    const headers = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    try {
      const res: unknown =
        options.subresource === 'status'
          ? await this.api.patchNamespacedCustomObjectStatus({ ...ref, body } as never, headers)
          : await this.api.patchNamespacedCustomObject({ ...ref, body } as never, headers);
      return toStored(res as KubeObject, r.kind);
    } catch (e) {
      throw toStoreError(e, what, this.server);
    }
  }
}

export class KubernetesStore implements Store {
  readonly objects: KubernetesObjectStore;
  readonly leases: LeaseClient;
  readonly namespace: string;
  private closedFlag = false;

  constructor(
    readonly url: string,
    options: KubernetesStoreOptions = {},
  ) {
    const target = parseKubernetesUrl(url);
    const kc = loadKubeConfig(target, options, url);
    this.namespace = storeNamespace(target, kc);
    const clock = options.clock ?? new SystemClock();
    const deps = {
      clock,
      ioClock: options.ioClock ?? new SystemClock(),
      random: options.random ?? new SeededRandom(freshSeed()),
      inactivityMs: options.watchInactivityMs ?? 90_000,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      closed: () => this.closedFlag,
    };
    this.objects = new KubernetesObjectStore(kc, this.namespace, target.namespace, deps);
    this.leases = new LeaseClient(new KubernetesLeaseBackend(kc, this.namespace, deps.closed, deps.requestTimeoutMs), clock);
  }

  async close(): Promise<void> {
    this.closedFlag = true;
    for (const w of [...this.objects.watches]) w.close();
  }
}

export function openKubernetesStore(url: string, options: KubernetesStoreOptions = {}): Store {
  return new KubernetesStore(url, options);
}
