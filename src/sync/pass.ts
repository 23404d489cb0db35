/**
 * One pass of `winha sync`: read a revision's manifests, validate the whole set against the store, find drift,
 * then apply (three-way merge, prune of what the last pass applied and the repository dropped) in one guarded
 * batch. Nothing is written for a refused revision: the store keeps the last good one.
 */
import {
  ApplyRejectedError,
  apply,
  diffObjects,
  idKey,
  identity,
  liveObjects,
  planApply,
  storedKey,
  withNamespace,
  type ApplyOutcome,
} from '../apply/apply.js';
import type { ObjectStore, StoredObject } from '../store/types.js';
import { InputError, readInputs } from '../validate/sources.js';
import { validateInputs, type InputFile, type ValidationReport } from '../validate/validate.js';
import { findDrift, manifestDigest, nextInventory, pruneKeys, type DriftEntry, type InventoryEntry } from './drift.js';

type JsonMap = Record<string, unknown>;

export interface PassProblem {
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface PassInput {
  /** Absolute directory of the manifests, and the root their file names are shown relative to. */
  dir: string;
  root: string;
  /** The manifests already read by the source (a local directory's digest): validated as they are, not read again. */
  files?: InputFile[];
  prune: boolean;
  correctDrift: boolean;
  /** The inventory of the last successful pass (what drift and prune are judged against). */
  previous: readonly InventoryEntry[] | undefined;
  defaultNamespace?: string;
  /** Called after validation, before the write (the syncer checks it still holds its lease, and says "applying"). */
  beforeWrite?: () => Promise<void>;
}

export type PassResult =
  | { outcome: 'Refused'; problems: PassProblem[]; message: string }
  | {
      outcome: 'Synced';
      applied: number;
      unchanged: number;
      pruned: number;
      objects: ApplyOutcome[];
      drift: DriftEntry[];
      inventory: InventoryEntry[];
      message: string;
    };

/** At most this much of one drifted object's diff is kept in status (the Sync object must stay small). */
const DIFF_LIMIT = 4000;
/** At most this many problems are kept in status (the first ones; the event says how many in all). */
export const PROBLEM_LIMIT = 50;

function refused(problems: PassProblem[], message: string): PassResult {
  return { outcome: 'Refused', problems: problems.slice(0, PROBLEM_LIMIT), message };
}

function problemsOf(report: ValidationReport): PassProblem[] {
  return report.problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({ code: p.rule, message: p.message, ...(p.file ? { file: p.file, line: p.line, column: p.column } : {}) }));
}

export async function runPass(store: ObjectStore, input: PassInput): Promise<PassResult> {
  let files: InputFile[];
  try {
    files = input.files ?? (await readInputs([input.dir], true, input.root));
  } catch (err) {
    if (err instanceof InputError) return refused([{ code: 'unreadable', message: err.message }], err.message);
    throw err;
  }
  const live = await liveObjects(store);
  // Objects about to be pruned are no context: a group renamed in git must not clash with its own old name.
  const check = (context: readonly StoredObject[], dropped: ReadonlySet<string>): ValidationReport =>
    validateInputs(files, {
      context: context.filter((o) => !dropped.has(storedKey(o))),
      target: 'store',
      ...(input.defaultNamespace ? { defaultNamespace: input.defaultNamespace } : {}),
    });
  // The verdict is on the set with what it prunes out of the context; which objects those are comes from a first read.
  const first = check(live, new Set());
  const manifests = first.objects.map((o) => withNamespace(o.obj));
  const desired: InventoryEntry[] = manifests.map((m) => ({ ...identity(m), digest: manifestDigest(m) }));
  const prunable = input.prune ? pruneKeys(input.previous, desired) : new Set<string>();
  const report = prunable.size ? check(live, prunable) : first;
  if (!report.valid) {
    const problems = problemsOf(report);
    return refused(problems, `${problems.length} problem(s) in the revision: nothing was applied`);
  }
  if (manifests.length === 0)
    return refused(
      [{ code: 'empty-revision', message: `no WinHA objects under ${input.dir}` }],
      'the revision holds no WinHA objects (wrong --path?): nothing was applied or pruned',
    );

  // Planned and diffed over the objects read above: apply reads the store again only to write.
  const drift = findDrift(input.previous, desired, planApply(live, manifests, { pruneKeys: prunable }), input.correctDrift);
  describeDrift(live, manifests, drift);
  const skipped = new Set(drift.filter((d) => !d.corrected).map(idKey));
  const toWrite = manifests.filter((m) => !skipped.has(idKey(identity(m))));
  await input.beforeWrite?.();
  let outcomes: ApplyOutcome[];
  try {
    outcomes = await apply(store, toWrite, {
      pruneKeys: prunable,
      validate: (snapshot) => {
        const r = check(snapshot, prunable);
        return r.valid ? undefined : r;
      },
    });
  } catch (err) {
    if (err instanceof ApplyRejectedError) {
      const report = err.detail as ValidationReport;
      return refused(
        problemsOf(report),
        'the store changed while applying and the revision is now invalid against it: nothing was applied',
      );
    }
    throw err;
  }
  const count = (...actions: string[]) => outcomes.filter((o) => actions.includes(o.action)).length;
  const applied = count('created', 'configured');
  const pruned = count('pruned');
  return {
    outcome: 'Synced',
    applied,
    unchanged: count('unchanged') + skipped.size,
    pruned,
    objects: outcomes,
    drift,
    inventory: nextInventory(desired),
    message: `${manifests.length} object(s): ${applied} applied, ${count('unchanged')} unchanged, ${pruned} pruned${drift.length ? `, ${drift.length} drifted (${drift.some((d) => d.corrected) ? 'corrected' : 'reported, not corrected'})` : ''}`,
  };
}

/** The store against the repository for each drifted object, as a unified diff (what status and the event show). */
function describeDrift(live: readonly StoredObject[], manifests: readonly JsonMap[], drift: DriftEntry[]): void {
  if (drift.length === 0) return;
  const wanted = new Set(drift.map(idKey));
  const diffs = diffObjects(
    live,
    manifests.filter((m) => wanted.has(idKey(identity(m)))),
  );
  const byKey = new Map(diffs.map((d) => [idKey(d), d.patch]));
  for (const d of drift) {
    const patch = byKey.get(idKey(d)) ?? '';
    if (patch)
      d.diff = patch.length > DIFF_LIMIT ? `${patch.slice(0, DIFF_LIMIT)}\n… (${patch.length - DIFF_LIMIT} more characters)` : patch;
  }
}
