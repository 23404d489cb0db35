/**
 * JSON Schema of the `Scenario` kind (design §5), one schema per step action
 * so a problem is reported in the terms of that action. The parser
 * (./parser.ts) checks the document against SCENARIO_SCHEMA, then
 * each step against STEP_SCHEMAS[its action], then what a schema cannot say
 * (one action per step, references to the manifests, durations' sense).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { API_VERSION } from '../../api/group.js';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../../api/schema-helpers.js';
import { HOST_DRIVER_OPERATIONS } from '../../drivers/types.js';
import { DURATION_PATTERN } from './duration.js';
import { INVARIANT_NAMES, MIRROR_STATE_NAMES } from './model.js';

const closed = { additionalProperties: false } as const;
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 253, description });
const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });
const Enum = (values: readonly string[], description: string) => Type.Unsafe<string>({ type: 'string', enum: [...values], description });
const Outcome = Type.Optional(
  Enum(['accepted', 'refused', 'any'], 'What the step expects of the command: accepted (default), refused, or any.'),
);

const EventMatch = Type.Object(
  {
    reason: Type.Optional(Type.String({ description: 'Event reason, e.g. Failover.' })),
    group: Type.Optional(Name('Group the event is about (or one of its resources).')),
    node: Type.Optional(Name('Node whose agent reported it.')),
    code: Type.Optional(Type.Integer({ description: 'LifeKeeper / IIS-kit code, e.g. 9407.' })),
    type: Type.Optional(Enum(['Normal', 'Warning'], 'Event type.')),
    messageContains: Type.Optional(Type.String({ description: 'Case-insensitive substring of the message.' })),
    since: Type.Optional(Name('Only events written since the step of this name started (an earlier step).')),
    min: Type.Optional(Type.Integer({ minimum: 0, description: 'At least this many matching event writes (event only; default 1).' })),
    max: Type.Optional(Type.Integer({ minimum: 0, description: 'At most this many matching event writes (event only).' })),
  },
  { ...closed, description: 'Which events match; since, min and max count event writes (creations and updates).' },
);

const ConditionFields = {
  group: Type.Optional(Name('A FailoverGroup (name or namespace/name).')),
  activeNode: Type.Optional(Name('The node the group status names as active.')),
  ready: Type.Optional(Type.Boolean({ description: 'Whether the group is Ready.' })),
  phase: Type.Optional(
    Type.String({ description: 'Group phase: Pending, Activating, InService, Deactivating, OutOfService, Failed, Blocked.' }),
  ),
  condition: Type.Optional(
    Type.Object(
      {
        type: Type.String({ description: 'Condition type, e.g. PromotionBlocked.' }),
        status: Type.Optional(Enum(['True', 'False', 'Unknown'], 'Condition status (quote it in YAML: "True").')),
        reason: Type.Optional(Type.String({ description: 'Condition reason, e.g. MirrorNotInSync.' })),
        code: Type.Optional(Type.Integer({ description: 'Code behind the condition.' })),
        messageContains: Type.Optional(Type.String({ description: "Case-insensitive substring of the condition's message." })),
        messageMatches: Type.Optional(
          Type.String({ minLength: 1, description: 'JavaScript regular expression the condition message must match.' }),
        ),
      },
      { ...closed, required: ['type'], description: 'A status condition of the group.' },
    ),
  ),
  nodeStates: Type.Optional(
    Type.Record(Type.String({ pattern: DNS_LABEL }), Enum(['ISP', 'ISU', 'OSU', 'OSF', 'UNKNOWN'], 'LifeKeeper state.'), {
      description: 'Per-node LifeKeeper state of the group.',
    }),
  ),
  lease: Type.Optional(
    Type.Object(
      {
        holder: Type.Optional(Type.String({ maxLength: 253, description: 'Node holding the group lease ("" when released).' })),
        epoch: Type.Optional(Type.Integer({ minimum: 0, description: 'The lease epoch (fencing token), exactly.' })),
        maxEpoch: Type.Optional(Type.Integer({ minimum: 0, description: 'The lease epoch is at most this (no takeover loop).' })),
      },
      { ...closed, description: "The group's lease in the store." },
    ),
  ),
  mirror: Type.Optional(Name('A Mirror (name or namespace/name).')),
  state: Type.Optional(
    Type.String({ description: 'Mirror state (Mirroring, Resync, Paused, Broken, ResyncPending, None) or site state (Started, Stopped).' }),
  ),
  source: Type.Optional(Name('The node that must be the mirror source.')),
  targets: Type.Optional(
    Type.Record(Type.String({ pattern: DNS_LABEL }), Type.String({ description: 'Mirror state name.' }), {
      description: "Per target node: the state of the one live source's mirror to it (multi-target).",
    }),
  ),
  event: Type.Optional(EventMatch),
  noEvent: Type.Optional(EventMatch),
  site: Type.Optional(Name('An IIS site name.')),
  node: Type.Optional(Name('The node whose site is meant.')),
  address: Type.Optional(Type.String({ description: 'An IP address.' })),
  holders: Type.Optional(Type.Array(Type.String(), { description: 'Exactly the hosts that must answer for the address (empty: nobody).' })),
  cloudRoute: Type.Optional(Type.String({ description: 'A cloud-routed address (a VirtualIP with a cloud provider).' })),
  routedTo: Type.Optional(
    Type.Array(Type.String(), { description: "Exactly the nodes the cloud network sends the address's traffic to (empty: none)." }),
  ),
};

/** The subjects a condition may be about; exactly one per waitFor/expect. */
export const CONDITION_SUBJECTS = ['group', 'mirror', 'event', 'noEvent', 'site', 'address', 'cloudRoute'] as const;

/** Which fields belong to which subject. */
export const SUBJECT_FIELDS: Record<(typeof CONDITION_SUBJECTS)[number], readonly string[]> = {
  group: ['group', 'activeNode', 'ready', 'phase', 'condition', 'nodeStates', 'lease'],
  mirror: ['mirror', 'state', 'source', 'targets'],
  event: ['event'],
  noEvent: ['noEvent'],
  site: ['site', 'node', 'state'],
  address: ['address', 'holders'],
  cloudRoute: ['cloudRoute', 'routedTo'],
};

export const MANUAL_ACTIONS = [
  'startSite',
  'stopSite',
  'startService',
  'stopService',
  'addAddress',
  'removeAddress',
  'switchoverMirror',
] as const;

/** Schema of each step action (the value under the action's key). */
export const STEP_SCHEMAS: Record<string, TSchema> = {
  waitFor: Type.Object(
    { ...ConditionFields, within: Duration('Fail the step if the condition does not hold within this long.') },
    {
      ...closed,
      required: ['within'],
      description: 'Advance time until the condition holds.',
    },
  ),
  expect: Type.Object(
    { ...ConditionFields, for: Type.Optional(Duration('The condition must hold continuously this long.')) },
    {
      ...closed,
      description: 'Assert a condition now (or for a while).',
    },
  ),
  fault: Type.Object(
    { type: Type.String({ description: 'Fault type (design §5).' }) },
    { required: ['type'], description: 'Inject a fault.' },
  ),
  write: Type.Object(
    {
      node: Name('Node the client writes on.'),
      volume: Type.String({ pattern: '^[A-Za-z]:?$', description: 'Drive letter.' }),
      count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Number of writes.' })),
      block: Type.Optional(Type.Integer({ minimum: 0, description: 'Block number.' })),
    },
    { ...closed, required: ['node', 'volume'], description: 'Client writes to a mirrored volume (the write fault).' },
  ),
  sleep: Duration('Let time pass.'),
  switchover: Type.Object(
    {
      group: Name('Group.'),
      to: Name('Target node.'),
      force: Type.Optional(Type.Boolean({ description: 'winha switchover --force.' })),
      outcome: Outcome,
    },
    { ...closed, required: ['group', 'to'], description: 'winha switchover GROUP --to NODE [--force].' },
  ),
  clear: Type.Object(
    { group: Name('Group.'), node: Type.Optional(Name('Only this node.')), outcome: Outcome },
    { ...closed, required: ['group'], description: 'winha clear: lift failure bans.' },
  ),
  maintenance: Type.Object(
    {
      enabled: Type.Boolean({ description: 'on (true) or off (false).' }),
      group: Type.Optional(Name('Group.')),
      node: Type.Optional(Name('Node.')),
      outcome: Outcome,
    },
    { ...closed, required: ['enabled'], description: 'winha maintenance on|off [--group G | --node N] (neither: the whole cluster).' },
  ),
  desiredState: Type.Object(
    { group: Name('Group.'), state: Enum(['InService', 'OutOfService'], 'Desired state.'), outcome: Outcome },
    { ...closed, required: ['group', 'state'], description: "Change a group's desiredState and apply." },
  ),
  manual: Type.Object(
    {
      node: Name('The host a person acts on.'),
      action: Enum(MANUAL_ACTIONS, 'What the person does.'),
      site: Type.Optional(Type.String({ description: 'Site (startSite, stopSite).' })),
      service: Type.Optional(Enum(['W3SVC', 'WAS', 'FTPSVC', 'SMTPSVC'], 'Service (startService, stopService).')),
      address: Type.Optional(Type.String({ description: 'Address (addAddress, removeAddress).' })),
      prefixLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 128, description: 'Prefix length (addAddress; default 24).' })),
      interface: Type.Optional(Type.String({ description: "Interface alias (addAddress; default the VIP's)." })),
      volume: Type.Optional(Type.String({ pattern: '^[A-Za-z]:?$', description: 'Drive letter (switchoverMirror).' })),
      force: Type.Optional(Type.Boolean({ description: 'switchoverMirror even when not Mirroring.' })),
      outcome: Outcome,
    },
    { ...closed, required: ['node', 'action'], description: 'A change made by hand on one host, outside WinHA (drift, split brain).' },
  ),
};

export const STEP_ACTIONS = Object.keys(STEP_SCHEMAS);

const Timing = Type.Object(
  {
    leaseDurationSeconds: Type.Optional(Type.Integer({ minimum: 2, maximum: 3600, description: 'Lease duration.' })),
    renewDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'Renew deadline.' })),
    retryPeriodSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: 'Retry period.' })),
  },
  { ...closed, description: 'Lease timing applied to every Cluster of the scenario.' },
);

const WorldTiming = Type.Object(
  {
    switchoverUnreachable: Type.Optional(
      Duration(
        "DataKeeper's switchover when the source does not answer: the target tries to reach it first (default 35s; 30–40 s on real DataKeeper).",
      ),
    ),
    switchover: Type.Optional(Duration("DataKeeper's switchover when the source answers (default 1s).")),
    serviceStart: Type.Optional(Duration('A Windows service from StartPending to Running (default 1500ms).')),
    serviceStop: Type.Optional(Duration('A Windows service from StopPending to Stopped (default 800ms).')),
    addressDetection: Type.Optional(Duration('Duplicate address detection: a new address stays Tentative this long (default 1s).')),
    resyncBlocksPerSecond: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'DataKeeper resync speed in 64 KB blocks per second (default 2048).' }),
    ),
  },
  { ...closed, description: 'Timing of the simulated hosts: what Windows, IIS and DataKeeper take, not what WinHA chooses.' },
);

export const SCENARIO_SCHEMA = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: 'winha.io/v1alpha1' }),
    kind: Type.Literal('Scenario', { description: 'Scenario' }),
    metadata: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN, description: 'Scenario name.' }),
        namespace: Type.Optional(Type.String({ description: 'Ignored.' })),
        labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Labels.' })),
        annotations: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Annotations.' })),
      },
      { ...closed, required: ['name'], description: 'Metadata.' },
    ),
    spec: Type.Object(
      {
        manifests: Type.Optional(
          Type.Array(Type.String({ minLength: 1 }), {
            minItems: 1,
            description: 'Manifest files or directories, relative to the scenario file.',
          }),
        ),
        objects: Type.Optional(
          Type.Array(Type.Object({}, { description: 'A WinHA object.' }), { minItems: 1, description: 'Inline manifests.' }),
        ),
        timing: Type.Optional(Timing),
        world: Type.Optional(WorldTiming),
        seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Default seed (--seed wins).' })),
        convergeWithin: Type.Optional(Duration('Bound of the converges invariant (default 120s).')),
        steps: Type.Array(Type.Object({}, { description: 'One action.' }), { minItems: 1, description: 'What happens, in order.' }),
        invariants: Type.Optional(
          Type.Array(Enum(INVARIANT_NAMES, 'Invariant.'), { description: 'Invariants checked after every step and event.' }),
        ),
      },
      { ...closed, required: ['steps'], description: 'The scenario.' },
    ),
  },
  { ...closed, required: ['apiVersion', 'kind', 'metadata', 'spec'], description: 'A WinHA simulation scenario (design §5).' },
);

export { MIRROR_STATE_NAMES, HOST_DRIVER_OPERATIONS };
