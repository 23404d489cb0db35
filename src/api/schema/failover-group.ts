/**
 * The FailoverGroup kind: the unit that moves between nodes.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum, DNS_LABEL, DNS_SUBDOMAIN } from '../schema-helpers.js';
import { Conditions, LkState } from './common.js';

export const GroupNode = Obj(
  {
    name: Str('A node of the Cluster that may run the group.', { minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
    priority: Int('Priority of the node for this group, 1–999; unique in the group; lower number = preferred.', {
      minimum: 1,
      maximum: 999,
    }),
  },
  'A node that may run the group, with its priority.',
  { required: ['name', 'priority'] },
);

export const FailoverGroupSpec = Obj(
  {
    cluster: Type.Optional(
      Str('Name of the Cluster the group runs on; may be omitted when the namespace holds exactly one Cluster.', {
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
      }),
    ),
    description: Type.Optional(Str('Free text shown by `winha describe`.', { maxLength: 1024 })),
    nodes: List(GroupNode, 'Nodes that may run the group, with priorities (LifeKeeper "extended to" servers).', {
      minItems: 1,
      maxItems: 64,
      listType: 'map',
      listMapKeys: ['name'],
    }),
    switchback: Type.Optional(
      StringEnum(['Intelligent', 'Automatic'] as const, {
        description:
          'Intelligent (sticky): the group stays where it runs. Automatic: it returns to the preferred node when that node rejoins, only after its mirrors are Mirroring again.',
        default: 'Intelligent',
      }),
    ),
    switchbackDelaySeconds: Type.Optional(
      Int(
        'Automatic switchback only: how long the preferred node must have been up without a break before the group moves back to it (damps a node that keeps crashing and returning).',
        { minimum: 0, maximum: 86400, default: 60 },
      ),
    ),
    autoFailover: Type.Optional(Bool('Whether a failure moves the group automatically to the next node.', { default: true })),
    desiredState: Type.Optional(
      StringEnum(['InService', 'OutOfService'] as const, {
        description: 'InService: keep the group running on one node. OutOfService: stop its sites and release its addresses everywhere.',
        default: 'InService',
      }),
    ),
    failurePolicy: Type.Optional(
      Obj(
        {
          restartLimit: Type.Optional(
            Int('Local recoveries allowed within restartWindowSeconds before the group fails over instead.', {
              minimum: 0,
              maximum: 100,
              default: 3,
            }),
          ),
          restartWindowSeconds: Type.Optional(
            Int('Window over which local recoveries are counted.', { minimum: 1, maximum: 604800, default: 900 }),
          ),
          failureExpirySeconds: Type.Optional(
            Int('How long a node the group failed on stays banned from it (or until `winha clear`).', {
              minimum: 0,
              maximum: 604800,
              default: 3600,
            }),
          ),
          transientRetryLimit: Type.Optional(
            Int(
              'Retries of a bring-up step that failed with a transient error, on the same node, before it counts as a failure (the last eligible node keeps retrying on a longer schedule instead of being banned).',
              { minimum: 0, maximum: 20, default: 3 },
            ),
          ),
          transientRetryDelaySeconds: Type.Optional(
            Int('Delay before the first such retry; each further retry waits twice as long (at most 60 s).', {
              minimum: 1,
              maximum: 60,
              default: 1,
            }),
          ),
        },
        "Local recovery and ban policy (as Pacemaker's migration-threshold and failure-timeout).",
      ),
    ),
    maintenance: Type.Optional(
      Bool('Group maintenance: no checks, recoveries or failovers for this group until turned off.', { default: false }),
    ),
  },
  'A failover group: the unit that moves between nodes (LifeKeeper resource hierarchy, CLUSTERPRO failover group).',
  { required: ['nodes'] },
);

export const FailoverGroupStatus = OpenObj(
  {
    observedGeneration: Type.Optional(Int('The generation of spec this status describes.')),
    activeNode: Type.Optional(Str('The node holding the group lease and serving the group.')),
    epoch: Type.Optional(Int('Epoch of the group lease; incremented on every change of holder.')),
    phase: Type.Optional(
      StringEnum(['Pending', 'Activating', 'InService', 'Deactivating', 'OutOfService', 'Failed', 'Blocked'] as const, {
        description: 'Summary phase of the group.',
      }),
    ),
    nodes: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Node name.'),
            state: LkState,
            bannedUntil: Type.Optional(Str('The node may not run the group before this time (RFC 3339).')),
            banCode: Type.Optional(Int('The kit code of the failure that banned the node (e.g. 9422).')),
            banReason: Type.Optional(Str('What failed, in words, when the node was banned.', { maxLength: 1024 })),
            failures: Type.Optional(Int('Failures counted in the current restart window.')),
            restarts: Type.Optional(
              Type.Array(Type.String(), {
                description: 'When local recoveries ran (RFC 3339), counted against restartLimit within restartWindowSeconds.',
              }),
            ),
            deactivationFailed: Type.Optional(
              Bool(
                'The last attempt to take the group out of service on this node failed (9556/9557); no other node activates while this node is alive.',
              ),
            ),
            promotable: Type.Optional(Bool('Whether the node passes the mirror gate and pre-checks now.')),
          },
          'State of the group on one node.',
          { required: ['name', 'state'] },
        ),
        'Per-node state of the group.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    lastFailover: Type.Optional(
      OpenObj(
        {
          from: Type.Optional(Str('Node the group left.')),
          to: Str('Node the group moved to.'),
          reason: Str('Why it moved: Failover, Switchover, Switchback, ….'),
          message: Type.Optional(Str('The decision, in a sentence.')),
          time: Str('When the move completed (RFC 3339).'),
          durationSeconds: Type.Optional(Type.Number({ description: 'From detection to Ready on the new node.' })),
        },
        'The last move of the group.',
        { required: ['to', 'reason', 'time'] },
      ),
    ),
    history: Type.Optional(
      List(
        OpenObj(
          {
            at: Str('When it began (RFC 3339): the takeover detected, the node fenced, the node banned.'),
            kind: StringEnum(['Start', 'Failover', 'Switchover', 'Switchback', 'Fence', 'Ban'] as const, {
              description: 'What happened: a takeover (Start, Failover, Switchover, Switchback), a self-fence or a ban.',
            }),
            from: Type.Optional(Str('The node the group left (Fence, Ban: the node fenced or banned).')),
            to: Type.Optional(Str('The node the group moved to (Fence: the holder when the store answered again).')),
            reason: Str('Why: the decision that caused it, in a sentence.', { maxLength: 1024 }),
            epoch: Type.Optional(Int('The group lease epoch it happened under (a takeover: the new term).')),
            outageSeconds: Type.Optional(
              Type.Number({
                description: 'How long the group was out of service: a takeover from detection to Ready, a fence until served again.',
              }),
            ),
          },
          'One failover, switchover, switchback, start, fence or ban of the group.',
          { required: ['at', 'kind', 'reason'] },
        ),
        'The last 50 moves, fences and bans of the group, oldest first, each written by the node that did it (winha history); unlike Events they do not expire.',
        { maxItems: 50 },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'Group status, written by the agents.',
);
