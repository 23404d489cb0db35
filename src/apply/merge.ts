/**
 * kubectl's client-side three-way merge, for objects whose lists are atomic
 * (custom resources: JSON merge patch semantics, no strategic merge keys).
 *
 *   last    what the previous `winha apply` wrote (the winha.io/last-applied annotation)
 *   desired what the manifest says now
 *   live    what the store holds (may carry fields other writers set)
 *
 * A field in `desired` is set; a field in `last` but not in `desired` was
 * removed from the manifest and is deleted; any other live field (set by an
 * agent, an operator, another tool) is left alone.
 */

import { jsonEqual } from '../lib/json.js';

export { jsonEqual };

export const LAST_APPLIED_ANNOTATION = 'winha.io/last-applied';

type JsonMap = Record<string, unknown>;

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON merge patch (RFC 7386) that turns live into the applied state:
 * null deletes a field.
 */
export function threeWayPatch(last: unknown, desired: unknown, live: unknown): JsonMap {
  const patch: JsonMap = {};
  const l = isMap(last) ? last : {};
  const d = isMap(desired) ? desired : {};
  const v = isMap(live) ? live : {};
  for (const [k, dv] of Object.entries(d)) {
    if (dv === undefined) continue;
    const lv = v[k];
    if (isMap(dv) && isMap(lv)) {
      const sub = threeWayPatch(l[k], dv, lv);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!jsonEqual(dv, lv)) {
      patch[k] = structuredClone(dv);
    }
  }
  for (const k of Object.keys(l)) {
    if (!(k in d) && k in v) patch[k] = null;
  }
  return patch;
}

/** Apply a JSON merge patch to a copy of target. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: JsonMap = isMap(target) ? structuredClone(target) : {};
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) delete out[k];
    else out[k] = applyMergePatch(out[k], pv);
  }
  return out;
}

/** The parts of an object that `apply` manages (what people write in manifests). */
export function appliedConfig(obj: JsonMap): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'status') continue;
    if (k === 'metadata' && isMap(v)) {
      const meta: JsonMap = {};
      for (const [mk, mv] of Object.entries(v)) {
        if (['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'managedFields'].includes(mk)) continue;
        if (mk === 'annotations' && isMap(mv)) {
          const ann = { ...mv };
          delete ann[LAST_APPLIED_ANNOTATION];
          if (Object.keys(ann).length) meta[mk] = ann;
          continue;
        }
        meta[mk] = mv;
      }
      out[k] = meta;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** The last-applied configuration recorded on a live object, if any. */
export function lastApplied(live: JsonMap | undefined): JsonMap | undefined {
  const ann = isMap(live?.['metadata']) ? live['metadata']['annotations'] : undefined;
  const raw = isMap(ann) ? ann[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    return isMap(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `apply` would write: live merged with the manifest, recording the
 * manifest as the new last-applied configuration. Without a live object, the
 * manifest itself (with the annotation).
 */
export function mergeForApply(desired: JsonMap, live: JsonMap | undefined): JsonMap {
  const config = appliedConfig(desired);
  const record = JSON.stringify(config);
  if (!live) {
    const out = structuredClone(config);
    const meta = (out['metadata'] ?? {}) as JsonMap;
    meta['annotations'] = { ...(meta['annotations'] ?? {}), [LAST_APPLIED_ANNOTATION]: record };
    out['metadata'] = meta;
    return out;
  }
  const last = lastApplied(live) ?? {};
  const patch = threeWayPatch(last, config, live);
  const merged = applyMergePatch(live, patch) as JsonMap;
  const meta = (merged['metadata'] ?? {}) as JsonMap;
  meta['annotations'] = { ...(meta['annotations'] ?? {}), [LAST_APPLIED_ANNOTATION]: record };
  merged['metadata'] = meta;
  return merged;
}
