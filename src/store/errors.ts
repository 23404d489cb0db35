/**
 * Store errors: typed classes with a stable `code` (the Kubernetes status
 * reasons), so callers branch on codes and people read a one-line message that
 * names the object.
 */

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Unavailable' | 'Invalid';

/** Finer stable reasons, for operators and scripts: why the store is Unavailable or Invalid. */
export type StoreErrorReason = 'NoSpace' | 'PermissionDenied' | 'ReadOnly' | 'NotAStore' | 'Corrupt' | 'LockTimeout' | 'IO';

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
