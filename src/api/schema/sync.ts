/**
 * The Sync kind: what `winha sync` keeps equal to a git repository, and what it last did.
 * The syncer writes both parts (spec from its flags, status after every pass); people read them.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum } from '../schema-helpers.js';
import { Conditions } from './common.js';

export const SyncSpec = Obj(
  {
    source: Str('The repository: a git URL (credentials never included) or a directory on the syncing node.', {
      minLength: 1,
      maxLength: 4096,
    }),
    ref: Type.Optional(Str('Branch, tag or commit synced (git URLs; default: the remote default branch).', { maxLength: 256 })),
    path: Type.Optional(Str('Directory inside the repository holding the manifests.', { maxLength: 1024, default: '.' })),
    intervalSeconds: Type.Optional(Int('Seconds between passes when nothing else triggers one.', { minimum: 5, default: 60 })),
    prune: Type.Optional(Bool('Delete objects this sync applied that the repository no longer has.', { default: false })),
    correctDrift: Type.Optional(
      Bool('Write back objects changed in the store since the last sync (else only report them).', { default: true }),
    ),
  },
  'Where the manifests come from and how they are kept.',
  { required: ['source'] },
);

const ObjectRef = {
  kind: Str('Kind of the object.'),
  namespace: Str('Namespace of the object.'),
  name: Str('Name of the object.'),
};

export const SyncStatus = OpenObj(
  {
    phase: Type.Optional(
      StringEnum(['Applying', 'Synced', 'Refused', 'Failed'] as const, {
        description:
          'Applying: a pass is writing a revision. Synced: the store equals the last good revision. Refused: the newest revision is invalid and was not applied (the last good one stays). Failed: the source or the store could not be reached (retried with backoff).',
      }),
    ),
    syncer: Type.Optional(Str('Identity of the syncer holding the sync lease at the last pass.')),
    revision: Type.Optional(Str('Revision (commit) of the last attempt.')),
    subject: Type.Optional(Str('Commit subject of the last attempted revision.')),
    lastAttemptTime: Type.Optional(Str('When the last pass ended (RFC 3339).')),
    lastAppliedRevision: Type.Optional(Str('The last revision applied whole (the store equals it).')),
    lastSuccessTime: Type.Optional(Str('When the last successful pass ended (RFC 3339).')),
    applied: Type.Optional(Int('Objects created or changed by the last successful pass.', { minimum: 0 })),
    unchanged: Type.Optional(Int('Objects already equal to the repository at the last successful pass.', { minimum: 0 })),
    pruned: Type.Optional(Int('Objects deleted by the last successful pass.', { minimum: 0 })),
    consecutiveFailures: Type.Optional(Int('Passes refused or failed since the last success.', { minimum: 0 })),
    message: Type.Optional(Str('What the last pass did or why it failed, in a sentence.')),
    problems: Type.Optional(
      List(
        OpenObj(
          {
            code: Str('Stable problem id, as `winha validate` prints it.'),
            message: Str('What is wrong.'),
            file: Type.Optional(Str('File, relative to the repository root.')),
            line: Type.Optional(Int('Line (1-based).')),
            column: Type.Optional(Int('Column (1-based).')),
          },
          'One validation problem.',
          { required: ['code', 'message'] },
        ),
        'Why the last attempted revision was refused (empty when it was applied).',
        { listType: 'atomic' },
      ),
    ),
    drift: Type.Optional(
      List(
        OpenObj(
          {
            ...ObjectRef,
            change: StringEnum(['Modified', 'Deleted'] as const, { description: 'How the object differed from the repository.' }),
            diff: Type.Optional(Str('Unified diff, store against the repository (truncated).')),
            corrected: Bool('Whether this pass wrote the repository version back.'),
          },
          'One object changed in the store since the last sync.',
          { required: ['kind', 'namespace', 'name', 'change', 'corrected'] },
        ),
        'Objects changed outside the sync, found by the last pass.',
        { listType: 'atomic' },
      ),
    ),
    inventory: Type.Optional(
      List(
        OpenObj(
          { ...ObjectRef, digest: Str('sha256 of the manifest as last applied (drift is judged against it).') },
          'One object applied by the sync.',
          { required: ['kind', 'namespace', 'name', 'digest'] },
        ),
        'Every object the last successful pass applied: what prune may delete.',
        { listType: 'atomic' },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'What the syncer last did (written by the elected syncer).',
);
