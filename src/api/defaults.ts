/**
 * Defaults, read from the schema (the single source of truth) rather than
 * repeated as literals. `withDefaults` fills every default the schema declares.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { KINDS } from './kinds.js';
import { ClusterSpec, FailoverGroupSpec, IISSiteSpec, SiteBinding, ObjectMeta } from './schema.js';

type SchemaNode = { default?: unknown; properties?: Record<string, SchemaNode> };

function defaultAt(schema: unknown, ...path: string[]): unknown {
  let node = schema as SchemaNode | undefined;
  for (const p of path) node = node?.properties?.[p];
  return node?.default;
}

export const DEFAULT_NAMESPACE = defaultAt(ObjectMeta, 'namespace') as string;
export const DEFAULT_TIMING = {
  leaseDurationSeconds: defaultAt(ClusterSpec, 'timing', 'leaseDurationSeconds') as number,
  renewDeadlineSeconds: defaultAt(ClusterSpec, 'timing', 'renewDeadlineSeconds') as number,
  retryPeriodSeconds: defaultAt(ClusterSpec, 'timing', 'retryPeriodSeconds') as number,
};
export const DEFAULT_SITE_SERVICE = defaultAt(IISSiteSpec, 'service') as 'Web';
export const DEFAULT_HOST_HEADER = defaultAt(SiteBinding, 'hostHeader') as string;
export const DEFAULT_SWITCHBACK = defaultAt(FailoverGroupSpec, 'switchback') as 'Intelligent';
/** WinHA's check defaults (design §4): quick 10 s, deep 60 s; LifeKeeper's own are 180/300 s. */
export const DEFAULT_CHECKS = { quickCheckIntervalSeconds: 10, deepCheckIntervalSeconds: 60 };

let defaulters: Map<string, ValidateFunction> | undefined;

/** A deep copy of a WinHA object with every schema default filled in. */
export function withDefaults<T>(obj: T): T {
  if (!defaulters) {
    const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
    defaulters = new Map(KINDS.map((k) => [k.kind, ajv.compile(k.schema)]));
  }
  const copy = structuredClone(obj) as T & { kind?: string };
  defaulters.get(String(copy.kind))?.(copy);
  return copy;
}
