/**
 * Shared parts of the WinHA API schemas: object metadata, status conditions,
 * LifeKeeper's state vocabulary and the health-check intervals several kinds embed.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, OpenObj, List, StringEnum, DNS_LABEL, DNS_SUBDOMAIN } from '../schema-helpers.js';

export const ObjectMeta = OpenObj(
  {
    name: Str('Object name, unique per kind and namespace (DNS-1123 subdomain).', {
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
    }),
    namespace: Type.Optional(
      Str('Namespace of the object; objects only reference objects of their own namespace.', {
        default: 'default',
        maxLength: 63,
        pattern: DNS_LABEL,
      }),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Labels for selection (`-l key=value`, `--prune`).' })),
    annotations: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Free-form annotations; `winha.io/last-applied` is written by `winha apply`.',
      }),
    ),
    uid: Type.Optional(Str('Unique id set by the store on creation.')),
    generation: Type.Optional(Int('Incremented by the store on every change of spec.')),
    resourceVersion: Type.Optional(Str('Opaque version set by the store; updates compare-and-swap on it.')),
    creationTimestamp: Type.Optional(Str('Creation time (RFC 3339), set by the store.')),
  },
  'Standard object metadata.',
  { required: ['name'] },
);

export const Condition = OpenObj(
  {
    type: Str('Condition type: Ready, Degraded, MirrorInSync, PromotionBlocked, Failed, Maintenance, …'),
    status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'Whether the condition holds.' }),
    reason: Type.Optional(Str('One-word CamelCase reason, e.g. MirrorNotInSync, PreviousActiveStillServing.')),
    message: Type.Optional(Str('A sentence an operator understands.')),
    code: Type.Optional(Int('The LifeKeeper / IIS-kit / DataKeeper code behind the condition, e.g. 9704.')),
    lastTransitionTime: Type.Optional(Str('When the status last changed (RFC 3339).')),
    observedGeneration: Type.Optional(Int('The generation this condition was computed for.')),
  },
  'A Kubernetes-style status condition.',
  { required: ['type', 'status'] },
);

export const Conditions = List(Condition, 'Status conditions, one per type.', { listType: 'map', listMapKeys: ['type'] });

/** LifeKeeper's resource-state vocabulary (docs/spec/seed003-core.md §6.1). */
export const LK_STATES = ['ISP', 'ISU', 'OSU', 'OSF', 'UNKNOWN'] as const;
export const LkState = StringEnum(LK_STATES, {
  description:
    'LifeKeeper state on this node: ISP in service, ISU in service unprotected, OSU out of service, OSF out of service after a failure, UNKNOWN.',
});

export const CheckIntervals = {
  quickCheckIntervalSeconds: Type.Optional(
    Int('Seconds between quick checks (service and site state). LifeKeeper uses 180; WinHA defaults to 10.', {
      minimum: 1,
      maximum: 86400,
    }),
  ),
  deepCheckIntervalSeconds: Type.Optional(
    Int('Seconds between deep checks (HTTP/FTP probe through the virtual IP); 0 disables. LifeKeeper uses 300; WinHA defaults to 60.', {
      minimum: 0,
      maximum: 86400,
    }),
  ),
};
