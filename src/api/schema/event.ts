/**
 * The fields of the Event kind (it has no spec/status; see ../kind-schemas.ts).
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, OpenObj, StringEnum } from '../schema-helpers.js';

export const EventFields = {
  involvedObject: OpenObj(
    {
      kind: Str('Kind of the object the event is about.'),
      name: Str('Name of the object.'),
      namespace: Type.Optional(Str('Namespace of the object.')),
      uid: Type.Optional(Str('uid of the object.')),
    },
    'The object the event is about.',
    { required: ['kind', 'name'] },
  ),
  node: Type.Optional(Str('Node whose agent reported the event.')),
  type: StringEnum(['Normal', 'Warning'] as const, { description: 'Normal or Warning.' }),
  reason: Str('One-word CamelCase reason: Failover, Switchover, RestoreSucceeded, QuickCheckFailed, …'),
  code: Type.Optional(Int('LifeKeeper / IIS-kit / DataKeeper code, e.g. 9407.')),
  message: Str('What happened, in a sentence.'),
  count: Type.Optional(Int('How many times it happened (repeats are folded).', { minimum: 1 })),
  firstTimestamp: Type.Optional(Str('First occurrence (RFC 3339).')),
  lastTimestamp: Type.Optional(Str('Last occurrence (RFC 3339).')),
  epoch: Type.Optional(Int('Group lease epoch under which the reporter acted.')),
};
