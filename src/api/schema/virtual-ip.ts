/**
 * The VirtualIP kind: a virtual IP address that moves with its group.
 * Part of the API's single source of truth; re-exported by ../schema.ts.
 */
import { Type, Str, Int, Bool, Obj, OpenObj, List, StringEnum, DNS_LABEL, DNS_SUBDOMAIN, IP_ADDRESS } from '../schema-helpers.js';
import { CheckIntervals, Conditions } from './common.js';

export const VirtualIPSpec = Obj(
  {
    group: Str('The FailoverGroup this address moves with.', { minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN }),
    address: Str('The virtual IP address (IPv4 or IPv6) clients connect to.', { pattern: IP_ADDRESS, maxLength: 45 }),
    prefixLength: Int('Prefix length of the address on the interface (e.g. 24 for 255.255.255.0).', {
      minimum: 1,
      maximum: 128,
    }),
    interface: Type.Optional(
      Str('Interface alias that carries the address on every node unless overridden.', {
        minLength: 1,
        maxLength: 256,
        default: 'Ethernet',
      }),
    ),
    backupInterface: Type.Optional(
      Str('Interface on the same network to retry on when local recovery on the main one fails (LifeKeeper IP local recovery).', {
        minLength: 1,
        maxLength: 256,
      }),
    ),
    nodeInterfaces: Type.Optional(
      List(
        Obj(
          {
            node: Str('Node the override applies to.', { minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
            interface: Str('Interface alias on that node.', { minLength: 1, maxLength: 256 }),
            backupInterface: Type.Optional(Str('Backup interface alias on that node.', { minLength: 1, maxLength: 256 })),
          },
          'Interface override for one node.',
          { required: ['node', 'interface'] },
        ),
        'Per-node interface overrides.',
        { listType: 'map', listMapKeys: ['node'] },
      ),
    ),
    localRecovery: Type.Optional(
      Bool('Re-add the address on the current (then the backup) interface before failing the group over.', { default: true }),
    ),
    provider: Type.Optional(
      Obj(
        {
          type: Type.Optional(
            StringEnum(['arp', 'azureLoadBalancer', 'awsRoute', 'awsElasticIP'] as const, {
              description:
                'arp: the address is added to the interface and announced on the segment. azureLoadBalancer: also answer the load balancer probe on probePort while active. awsRoute / awsElasticIP: reserved for cloud providers.',
              default: 'arp',
            }),
          ),
          probePort: Type.Optional(
            Int('TCP port the Azure load balancer probes; answered only on the active node.', { minimum: 1024, maximum: 65535 }),
          ),
        },
        'How the address is made reachable.',
      ),
    ),
    ...CheckIntervals,
  },
  'A virtual IP address that moves with its group.',
  { required: ['group', 'address', 'prefixLength'] },
);

export const VirtualIPStatus = OpenObj(
  {
    observedGeneration: Type.Optional(Int('The generation of spec this status describes.')),
    activeNode: Type.Optional(Str('Node where the address is expected.')),
    nodes: Type.Optional(
      List(
        OpenObj(
          {
            name: Str('Node name.'),
            present: Bool('Whether the address is configured on the node.'),
            addressState: Type.Optional(
              StringEnum(['Preferred', 'Tentative', 'Duplicate', 'Deprecated', 'Invalid'] as const, {
                description: 'Windows AddressState of the address on the node.',
              }),
            ),
            interface: Type.Optional(Str('Interface alias carrying the address.')),
          },
          'The address as seen on one node.',
          { required: ['name', 'present'] },
        ),
        'Per-node observation.',
        { listType: 'map', listMapKeys: ['name'] },
      ),
    ),
    conditions: Type.Optional(Conditions),
  },
  'VirtualIP status, written by the agents.',
);
