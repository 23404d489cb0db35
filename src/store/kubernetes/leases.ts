/**
 * coordination.k8s.io/v1 Leases as the read + CAS backend of LeaseClient (lease-client.ts): holderIdentity,
 * leaseDurationSeconds, acquireTime, renewTime, and leaseTransitions = our epoch; a list of them for the agents'
 * shared look at every group lease.
 */
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ConflictError, InvalidError, UnavailableError, isStoreError } from '../errors.js';
import type { LeaseBackend } from '../lease-client.js';
import type { LeaseRecord } from '../types.js';
import { apiClient, DEFAULT_REQUEST_TIMEOUT_MS, toStoreError } from './api.js';

/** Lease names in our API may contain "/" ("group/web"); Kubernetes names may not: "/" becomes ".". */
export function kubernetesLeaseName(name: string): string {
  const k = name.toLowerCase().replace(/\//g, '.');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(k) || k.length > 253) {
    throw new InvalidError(`lease ${name}: not a valid Kubernetes object name even with "/" as "."`);
  }
  return k;
}

function timeString(t: unknown): string {
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? t : '';
}

/** Microseconds since the epoch of an RFC 3339 time ('' and junk: 0). */
function micros(t: string): number {
  const m = /\.(\d+)Z$/.exec(t);
  const ms = Date.parse(t.replace(/\.\d+Z$/, 'Z'));
  if (Number.isNaN(ms)) return 0;
  return ms * 1000 + (m ? Number(m[1]!.padEnd(6, '0').slice(0, 6)) : 0);
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits (what the API server parses). */
function microTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`;
}

/** A Lease has no field for the holder's software version: it rides as an annotation (absent: unknown). */
const HOLDER_VERSION = 'winha.io/holder-version';

/** coordination.k8s.io/v1 Leases as the read + CAS backend of LeaseClient. */
export class KubernetesLeaseBackend implements LeaseBackend {
  private readonly api: CoordinationV1Api;
  private readonly server: string;
  /** No multi-object write: a holder's renewals go out one Lease per request, this many at once. */
  readonly parallelWrites = 8;
  /** The renewTime last read or written per lease, in microseconds. */
  private readonly lastRenew = new Map<string, number>();

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly closed: () => boolean,
    requestTimeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    this.api = apiClient(kc, CoordinationV1Api, requestTimeoutMs);
    this.server = kc.getCurrentCluster()?.server ?? '?';
  }

  private record(name: string, l: V1Lease): LeaseRecord {
    const s = l.spec ?? {};
    this.lastRenew.set(name, micros(timeString(s.renewTime)));
    return {
      name,
      holder: s.holderIdentity ?? '',
      epoch: s.leaseTransitions ?? 0,
      acquireTime: timeString(s.acquireTime),
      renewTime: timeString(s.renewTime),
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      revision: l.metadata?.resourceVersion ?? '',
      ...(l.metadata?.annotations?.[HOLDER_VERSION] ? { holderVersion: l.metadata.annotations[HOLDER_VERSION] } : {}),
    };
  }

  async readLease(name: string): Promise<LeaseRecord | null> {
    if (this.closed()) throw new UnavailableError('the kubernetes store is closed');
    try {
      return this.record(name, await this.api.readNamespacedLease({ name: kubernetesLeaseName(name), namespace: this.namespace }));
    } catch (e) {
      const err = toStoreError(e, `lease ${name}`, this.server);
      if (isStoreError(err, 'NotFound')) return null;
      throw err;
    }
  }

  /**
   * Every Lease of the namespace whose name starts with `prefix`, in one request (one snapshot). A record is named
   * as the API names it: WinHA's own lease names are already valid Kubernetes names (lower case, no "/"), so they
   * come back as asked for; any other is simply not found by its caller, which then reads it on its own.
   */
  async listLeases(prefix: string): Promise<LeaseRecord[]> {
    if (this.closed()) throw new UnavailableError('the kubernetes store is closed');
    try {
      const list = await this.api.listNamespacedLease({ namespace: this.namespace });
      return list.items.filter((l) => l.metadata?.name?.startsWith(prefix)).map((l) => this.record(l.metadata!.name!, l));
    } catch (e) {
      throw toStoreError(e, `leases ${prefix}*`, this.server);
    }
  }

  async writeLease(next: Omit<LeaseRecord, 'revision'>, expectedRevision: string | null): Promise<LeaseRecord> {
    if (this.closed()) throw new UnavailableError('the kubernetes store is closed');
    const k8sName = kubernetesLeaseName(next.name);
    // Every write must change the record (a renewal restarts every observer's count), but our
    // clock's timestamps have second precision and an identical replace is a no-op for the
    // API server: renewTime moves at least one microsecond past the last one seen.
    const renew = Math.max(micros(next.renewTime), (this.lastRenew.get(next.name) ?? -1) + 1);
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: k8sName,
        namespace: this.namespace,
        ...(expectedRevision ? { resourceVersion: expectedRevision } : {}),
        ...(next.holderVersion ? { annotations: { [HOLDER_VERSION]: next.holderVersion } } : {}),
      },
      spec: {
        holderIdentity: next.holder,
        leaseDurationSeconds: next.leaseDurationSeconds,
        acquireTime: microTime(micros(next.acquireTime)) as unknown as Date,
        renewTime: microTime(renew) as unknown as Date,
        leaseTransitions: next.epoch,
      },
    };
    try {
      const res =
        expectedRevision === null
          ? await this.api.createNamespacedLease({ namespace: this.namespace, body })
          : await this.api.replaceNamespacedLease({ name: k8sName, namespace: this.namespace, body });
      return this.record(next.name, res);
    } catch (e) {
      const err = toStoreError(e, `lease ${next.name}`, this.server);
      // Someone else created, changed or deleted it first: we lost the race.
      if (isStoreError(err, 'AlreadyExists') || isStoreError(err, 'NotFound'))
        throw new ConflictError(`lease ${next.name}: ${err.message}`);
      throw err;
    }
  }
}
