/** What `winha status` (and the dashboard) show of each Sync: where the store's objects come from and whether it equals them. */
import type { StoredObject } from '../store/types.js';
import type { SyncSpec, SyncStatus } from '../api/types.js';
import { shortRevision } from '../lib/revision.js';

export interface StatusSync {
  namespace: string;
  name: string;
  source: string;
  ref: string | null;
  path: string;
  phase: string;
  /** The revision the store equals (null before the first success). */
  appliedRevision: string | null;
  /** The revision last tried, when it is not the applied one (refused, failed or being applied). */
  pendingRevision: string | null;
  lastAttemptTime: string | null;
  syncer: string | null;
  message: string | null;
  problems: number;
  drifted: number;
}

export function syncView(o: StoredObject): StatusSync {
  const spec = (o.spec ?? {}) as Partial<SyncSpec>;
  const st = (o.status ?? {}) as SyncStatus;
  const applied = st.lastAppliedRevision ?? null;
  return {
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    source: spec.source ?? '',
    ref: spec.ref ?? null,
    path: spec.path ?? '.',
    phase: st.phase ?? 'Pending',
    appliedRevision: applied,
    pendingRevision: st.revision && st.revision !== applied ? st.revision : null,
    lastAttemptTime: st.lastAttemptTime ?? null,
    syncer: st.syncer ?? null,
    message: st.message ?? null,
    problems: st.problems?.length ?? 0,
    drifted: st.drift?.filter((d) => !d.corrected).length ?? 0,
  };
}

/** A sync whose newest revision did not reach the store is a problem: the cluster is not what git says. */
export function syncProblems(syncs: readonly StatusSync[]): string[] {
  const out: string[] = [];
  for (const s of syncs) {
    if (s.phase === 'Refused')
      out.push(
        `sync ${s.name}: revision ${s.pendingRevision ? shortRevision(s.pendingRevision) : '?'} refused (${s.problems} problem(s)); the store keeps ${s.appliedRevision ? shortRevision(s.appliedRevision) : 'what it had'}`,
      );
    else if (s.phase === 'Failed') out.push(`sync ${s.name} failed: ${s.message ?? 'no reason given'}`);
    if (s.drifted) out.push(`sync ${s.name}: ${s.drifted} object(s) differ from the repository (not corrected)`);
  }
  return out;
}
