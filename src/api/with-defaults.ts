/** A copy of an object with every default its schema declares filled in. */
import { Ajv, type ValidateFunction } from 'ajv';
import { KIND_SCHEMAS } from './kind-schemas.js';

let defaulters: Map<string, ValidateFunction> | undefined;

/** A deep copy of a WinHA object with every schema default filled in. */
export function withDefaults<T>(obj: T): T {
  if (!defaulters) {
    const ajv = new Ajv({ useDefaults: true, strict: false, allErrors: true });
    defaulters = new Map(Object.entries(KIND_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]));
  }
  const copy = structuredClone(obj) as T & { kind?: string };
  defaulters.get(String(copy.kind))?.(copy);
  return copy;
}
