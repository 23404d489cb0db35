/**
 * The same failure carries a different IIS kit code depending on the kit
 * operation it happens in (docs/spec/seed-iis.md §6.1–6.6): e.g. a service that
 * will not start is 9409 in restore, 9607 in recover, 9557 in remove.
 */
import { DriverError, type IisKitCode } from './errors.js';
import type { CallOptions, KitOperation } from './types.js';

const BY_CODE: Partial<Record<DriverError['code'], Partial<Record<KitOperation, IisKitCode>>>> = {
  ServiceStartFailed: { restore: 9409, recover: 9607, remove: 9557 },
  // Site missing / null index: 9414 (restore step 1), 9609 (recover), 9707 (quickCheck), 9765 (deepCheck).
  SiteNotFound: { restore: 9414, recover: 9609, quickCheck: 9707, deepCheck: 9765 },
  SiteStartFailed: { restore: 9706, recover: 9606 },
  BindingAddressMissing: { restore: 9706, recover: 9606 },
  BindingConflict: { restore: 9422, recover: 9422 },
  SiteStopFailed: { remove: 9556 },
};

/** Re-label a DriverError with the kit code of the caller's operation (restore when unspecified). */
export function withKitCode(e: unknown, o: CallOptions): unknown {
  if (!(e instanceof DriverError)) return e;
  const code = BY_CODE[e.code]?.[o.kitOperation ?? 'restore'];
  if (code === undefined || code === e.kitCode) return e;
  const data = e.toData();
  data.kitCode = code;
  return new DriverError(data);
}
