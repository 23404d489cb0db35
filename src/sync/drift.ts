/**
 * What `winha sync` decides before it writes, as pure functions: which objects drifted (changed in the store since
 * the last sync while the repository kept them as they were), what the new inventory is, what may be pruned.
 */
import { createHash } from 'node:crypto';
import { idKey, type ApplyOutcome } from '../apply/apply.js';
import { canonicalJson } from '../lib/json.js';

export interface ObjectId {
  kind: string;
  namespace: string;
  name: string;
}

export interface InventoryEntry extends ObjectId {
  digest: string;
}

export interface DriftEntry extends ObjectId {
  change: 'Modified' | 'Deleted';
  corrected: boolean;
  diff?: string;
}

/** sha256 of a manifest (namespace and defaults filled in by the caller): what "git did not change it" compares. */
export function manifestDigest(manifest: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}

/**
 * Drift: an object the last successful sync applied with this very digest (the repository has not changed it since)
 * that apply would now create (someone deleted it) or change (someone edited it). An object whose manifest changed in
 * git is an update, not drift, whatever the store holds; an object new to the repository is not drift either.
 */
export function findDrift(
  previous: readonly InventoryEntry[] | undefined,
  desired: readonly InventoryEntry[],
  outcomes: readonly ApplyOutcome[],
  correct: boolean,
): DriftEntry[] {
  const before = new Map((previous ?? []).map((e) => [idKey(e), e.digest]));
  const action = new Map(outcomes.map((o) => [idKey(o), o.action]));
  const out: DriftEntry[] = [];
  for (const d of desired) {
    const k = idKey(d);
    if (before.get(k) !== d.digest) continue;
    const a = action.get(k);
    if (a !== 'created' && a !== 'configured') continue;
    out.push({ kind: d.kind, namespace: d.namespace, name: d.name, change: a === 'created' ? 'Deleted' : 'Modified', corrected: correct });
  }
  return out;
}

/** The objects of the previous inventory the repository no longer has: prune candidates (apply checks they still exist). */
export function pruneKeys(previous: readonly InventoryEntry[] | undefined, desired: readonly ObjectId[]): Set<string> {
  const keep = new Set(desired.map(idKey));
  return new Set((previous ?? []).map(idKey).filter((k) => !keep.has(k)));
}

/**
 * The inventory after a pass: every object of the revision. A drifted object left uncorrected keeps its entry (its
 * digest is the repository's, so the drift is found again next pass and reported until someone acts).
 */
export function nextInventory(desired: readonly InventoryEntry[]): InventoryEntry[] {
  return [...desired].sort((a, b) => (idKey(a) < idKey(b) ? -1 : idKey(a) > idKey(b) ? 1 : 0));
}
