/**
 * The Mirror kind: a DataKeeper mirrored volume that holds a group's data.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum, DNS_LABEL, DNS_SUBDOMAIN, IP_ADDRESS } from '../schema-helpers.js';
import { Conditions } from './common.js';
import { MIRROR_STATES } from '../mirror-states.js';

export const MirrorSpec = Obj(
  {
    group: Str('The FailoverGroup this mirrored volume moves with.', { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN }),
    volume: Str('Drive letter of the mirrored volume, e.g. "E:" (the same letter on every node; never the system volume).', {
      pattern: '^[A-Za-z]:?$',
    }),
    endpoints: List(
      Obj(
        {
          node: Str('Node holding a copy of the volume.', { minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
          address: Str('Replication IP address of the node for this mirror.', { pattern: IP_ADDRESS, maxLength: 45 }),
        },
        'A node taking part in the mirror and the address DataKeeper replicates over.',
        { required: ['node', 'address'] },
      ),
      'Replication endpoints: one per node of the group.',
      { minItems: 2, maxItems: 16, listType: 'map', listMapKeys: ['node'] },
    ),
    mode: Type.Optional(
      StringEnum(['Synchronous', 'Asynchronous'] as const, {
        description:
          'Synchronous: a write completes only once it is on the target (no acknowledged write lost on failover; use on a LAN). Asynchronous: writes queue to the target (use on a WAN).',
        default: 'Synchronous',
      }),
    ),
    asyncFailover: Type.Optional(
      StringEnum(['Allow', 'Refuse'] as const, {
        description:
          "Asynchronous mirrors only: whether a target may be promoted automatically after its source is lost, although writes still queued on the source are then lost (docs/spec/seed003-datakeeper.md §2.5). Allow (LifeKeeper's behaviour) promotes it with a Warning event saying how many writes may be lost; Refuse blocks the promotion (PromotionBlocked AsyncFailoverRefused) until `winha switchover --force`. A switchover with the source reachable flushes the queue first and is allowed either way.",
        default: 'Allow',
      }),
    ),
    compressionLevel: Type.Optional(
      Int('DataKeeper compression, 0 (none) to 9 (smallest packets); 3–5 balance CPU and bandwidth.', {
        minimum: 0,
        maximum: 9,
        default: 0,
      }),
    ),
    bandwidthLimitKbps: Type.Optional(
      Int('Replication bandwidth limit in Kb/s (DataKeeper BandwidthThrottle); 0 = unlimited.', { minimum: 0, default: 0 }),
    ),
    writeQueue: Type.Optional(
      Obj(
        {
          highWater: Type.Optional(Int('WriteQueueHighWater: queued writes before the mirror pauses.', { minimum: 0, default: 20000 })),
          byteLimitMB: Type.Optional(
            Int('WriteQueueByteLimitMB: bytes queued before the mirror pauses; 0 = no byte limit.', { minimum: 0, default: 0 }),
          ),
          blockWritesOnLimitReached: Type.Optional(
            Bool('Block writes instead of pausing the mirror when the queue limit is reached.', { default: false }),
          ),
        },
        'Asynchronous write-queue tuning (DataKeeper registry parameters).',
      ),
    ),
    resyncReads: Type.Optional(Int('ResyncReads: 64 KB blocks in flight during a resync.', { minimum: 1, maximum: 1024, default: 20 })),
  },
  "A DataKeeper mirrored volume that holds a group's data.",
  { required: ['group', 'volume', 'endpoints'] },
);

export const MirrorStatus = OpenObj(
  {
    observedGeneration: Type.Optional(Int('The generation of spec this status describes.')),
    source: Type.Optional(Str('Node that is mirror source.')),
    sourceEpoch: Type.Optional(Int('Group epoch under which the current source became source.')),
    recordedBy: Type.Optional(Str('Node that recorded `targets` (the mirror gate trusts them only when it is the source).')),
    unsupervisedBy: Type.Optional(
      Str(
        'The source, seen serving after its lease expired with no agent recording the mirror: `targets` may be stale, so no target is promoted without --force until that source records again.',
      ),
    ),
    targets: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Target node.'),
            state: Int('Mirror state of this target as the source sees it (1 = Mirroring).', { minimum: -1, maximum: 5 }),
            queuedWrites: Type.Optional(
              Int('Asynchronous mirrors: writes queued on the source for this target when the source last recorded it (absent: unknown).', {
                minimum: 0,
              }),
            ),
          },
          'One target as the source recorded it.',
          { required: ['name', 'state'] },
        ),
        'Target states as the source recorded them: the mirror gate reads them after the source is lost.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    state: Type.Optional(StringEnum(Object.values(MIRROR_STATES), { description: 'Mirror state as the source reports it.' })),
    nodes: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Node name.'),
            role: StringEnum(['Source', 'Target', 'None'] as const, { description: 'DataKeeper role of the volume on the node.' }),
            state: Int(
              'DataKeeper mirror state code: -1 invalid, 0 none, 1 mirroring, 2 resyncing, 3 broken, 4 paused, 5 resync pending.',
              {
                minimum: -1,
                maximum: 5,
              },
            ),
            resyncPercent: Type.Optional(Type.Number({ description: 'Resync progress, 0–100.', minimum: 0, maximum: 100 })),
            locked: Type.Optional(Bool('Whether the target volume is locked.')),
          },
          'The mirror as seen on one node.',
          { required: ['name', 'role', 'state'] },
        ),
        'Per-node observation.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'Mirror status, written by the agents.',
);
