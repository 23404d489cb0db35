/**
 * Store errors: typed classes with a stable `code` (the Kubernetes status
 * reasons), so callers branch on codes and people read a one-line message that
 * names the object.
 */

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Unavailable' | 'Invalid';

/** Finer stable reasons, for operators and scripts: why the store is Unavailable or Invalid. */
export type StoreErrorReason =
  | 'NoSpace'
  | 'PermissionDenied'
  | 'ReadOnly'
  | 'NotAStore'
  | 'Corrupt'
  | 'LockTimeout'
  | 'IO'
  /** Kubernetes: the object's namespace does not exist (retrying does not help). */
  | 'NamespaceMissing';

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  readonly reason: StoreErrorReason | undefined;

  constructor(message: string, options?: { reason?: StoreErrorReason; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options?.reason;
  }
}

/** The object or lease does not exist. */
export class NotFoundError extends StoreError {
  readonly code = 'NotFound' as const;
  override readonly name = 'NotFoundError';
}

/** create() of a name that is taken. */
export class AlreadyExistsError extends StoreError {
  readonly code = 'AlreadyExists' as const;
  override readonly name = 'AlreadyExistsError';
}

/** A compare-and-swap or precondition lost: re-read and retry. */
export class ConflictError extends StoreError {
  readonly code = 'Conflict' as const;
  override readonly name = 'ConflictError';
}

/** The requested resourceVersion is older than the retained history: relist, then watch again. */
export class GoneError extends StoreError {
  readonly code = 'Gone' as const;
  override readonly name = 'GoneError';
}

/** The store cannot be reached or is closed; retrying later may work. */
export class UnavailableError extends StoreError {
  readonly code = 'Unavailable' as const;
  override readonly name = 'UnavailableError';
}

/** The request itself is malformed (missing name, bad selector, bad URL). */
export class InvalidError extends StoreError {
  readonly code = 'Invalid' as const;
  override readonly name = 'InvalidError';
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

/** "FailoverGroup default/web" — how messages name an object. */
export function describeObject(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** Appended to every "cannot reach the store" message: one code for scripts and runbooks. */
export const UNREACHABLE_CODE = '[store-unreachable]';

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found (DNS unavailable)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'TLS handshake failed',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: the server certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: the server certificate chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: the server certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS: the server certificate is not trusted',
  CERT_HAS_EXPIRED: 'TLS: the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the server certificate does not name this host',
};

/**
 * Why a connection failed, in plain words, from the error codes on an error
 * and its causes or, for gRPC's flattened text, in its message; undefined when
 * none is known (callers then say only that the server did not answer).
 */
export function networkCause(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let cur: unknown = e; typeof cur === 'object' && cur !== null && !seen.has(cur);) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code];
    const errors = (cur as { errors?: unknown }).errors; // AggregateError: one per address tried
    if (Array.isArray(errors))
      for (const sub of errors) {
        const why = networkCause(sub);
        if (why) return why;
      }
    cur = (cur as { cause?: unknown }).cause;
  }
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  for (const code of Object.keys(NETWORK_CODES)) if (new RegExp(`\\b${code}\\b`).test(text)) return NETWORK_CODES[code];
  return undefined;
}
