/**
 * The Cluster kind: the nodes of one WinHA cluster and its cluster-wide settings.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum, DNS_LABEL } from '../schema-helpers.js';
import { CheckIntervals, Conditions } from './common.js';

export const ClusterNode = Obj(
  {
    name: Str('Node name (the Windows host name, lower case); agents run with `--node NAME`.', {
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
    }),
    address: Str('Management address of the node (IP or DNS name); the safety check probes it before a takeover.', {
      minLength: 1,
      maxLength: 253,
    }),
    interfaces: Type.Optional(
      List(
        Obj(
          {
            name: Str('Interface alias as Windows names it, e.g. "Ethernet" or "Public".', { minLength: 1, maxLength: 256 }),
            role: Type.Optional(
              StringEnum(['public', 'replication', 'heartbeat'] as const, {
                description: 'What the interface carries: client traffic and virtual IPs, DataKeeper replication, or heartbeats.',
                default: 'public',
              }),
            ),
          },
          'A network interface of the node.',
          { required: ['name'] },
        ),
        'Network interfaces of the node that WinHA may use.',
      ),
    ),
    maintenance: Type.Optional(
      Bool('Node maintenance: the agent on this node takes no action and runs no checks; groups do not move to it.', {
        default: false,
      }),
    ),
  },
  'A Windows Server node of the cluster.',
  { required: ['name', 'address'] },
);

export const ClusterSpec = Obj(
  {
    nodes: List(ClusterNode, 'The nodes of the cluster.', { minItems: 1, maxItems: 64, listType: 'map', listMapKeys: ['name'] }),
    timing: Type.Optional(
      Obj(
        {
          leaseDurationSeconds: Type.Optional(
            Int('How long a lease stays valid without renewal; a standby takes over only after observing it unrenewed this long.', {
              minimum: 2,
              maximum: 3600,
              default: 15,
            }),
          ),
          renewDeadlineSeconds: Type.Optional(
            Int(
              'A holder that cannot renew within this many seconds takes its resources out of service (self-fencing). Must be < leaseDurationSeconds.',
              {
                minimum: 1,
                maximum: 3600,
                default: 10,
              },
            ),
          ),
          retryPeriodSeconds: Type.Optional(
            Int('Seconds between lease renewals and election attempts. Must be < renewDeadlineSeconds.', {
              minimum: 1,
              maximum: 600,
              default: 2,
            }),
          ),
        },
        'Leader-election timing, as client-go names it (defaults 15/10/2).',
      ),
    ),
    checks: Type.Optional(Obj(CheckIntervals, 'Default health-check intervals for every site of the cluster.')),
    safetyCheck: Type.Optional(
      Obj(
        {
          enabled: Type.Optional(
            Bool('Before taking over after a lease expiry, probe whether the previous active still serves (LifeKeeper safety check).', {
              default: true,
            }),
          ),
          probeTimeoutSeconds: Type.Optional(
            Int(
              'Timeout of each safety probe (per address), independent of the operation timeout. A probe that errors or times out is unknown and blocks the takeover (PromotionBlocked/SafetyCheckFailed) until a later probe answers.',
              { minimum: 1, maximum: 30, default: 3 },
            ),
          ),
        },
        'LifeKeeper safety check (docs/spec/seed003-core.md §4): an expired lease proves the agent is silent, not that the host stopped serving.',
      ),
    ),
    shutdownStrategy: Type.Optional(
      StringEnum(['DoNotSwitchover', 'Switchover'] as const, {
        description: 'What a graceful node shutdown does to the groups it serves (LifeKeeper server property).',
        default: 'DoNotSwitchover',
      }),
    ),
    maintenance: Type.Optional(
      Bool('Cluster-wide maintenance: no agent takes any action or runs checks until it is turned off.', { default: false }),
    ),
  },
  'The nodes of one WinHA cluster and its cluster-wide settings.',
  { required: ['nodes'] },
);

export const ClusterStatus = OpenObj(
  {
    observedGeneration: Type.Optional(Int('The generation of spec this status describes.')),
    nodes: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Node name.'),
            state: StringEnum(['Alive', 'Dead', 'Unknown'] as const, { description: 'Whether the node agent renews its node lease.' }),
            agentVersion: Type.Optional(Str('Version of the agent on the node.')),
            lastHeartbeatTime: Type.Optional(Str('Last renewal of the node lease seen (RFC 3339).')),
          },
          'Status of one node.',
          { required: ['name', 'state'] },
        ),
        'Per-node status.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'Cluster status, written by the agents.',
);
