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
            StringEnum(['local', 'azureLoadBalancer', 'awsSecondaryIp', 'awsRouteTable', 'awsElasticIp'] as const, {
              description:
                "How clients reach the address. local: added to the interface and announced by ARP (on-premises). azureLoadBalancer: an Azure internal load balancer frontend with floating IP; the active node answers its health probe on probePort and holds the address locally. awsSecondaryIp: a secondary private IP reassigned to the active node's network interface. awsRouteTable: a /32 route in routeTableIds pointed at the active node's interface. awsElasticIp: the Elastic IP allocationId associated with the active node's primary private IP.",
              default: 'local',
            }),
          ),
          probePort: Type.Optional(
            Int('azureLoadBalancer: the TCP port the load balancer probes; the agent listens on it only while the node is active.', {
              minimum: 1024,
              maximum: 65535,
            }),
          ),
          routeTableIds: Type.Optional(
            List(
              Str('A VPC route table (rtb-...).', { pattern: '^rtb-[0-9a-f]{8,17}$', maxLength: 21 }),
              'awsRouteTable: the route tables whose /32 route for the address follows the active node.',
              {
                minItems: 1,
                maxItems: 20,
              },
            ),
          ),
          allocationId: Type.Optional(
            Str('awsElasticIp: the Elastic IP allocation (eipalloc-...) whose public address is spec.address.', {
              pattern: '^eipalloc-[0-9a-f]{8,17}$',
              maxLength: 26,
            }),
          ),
          region: Type.Optional(
            Str('AWS region of the VPC; by default the region the instance metadata service reports.', {
              pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$',
              maxLength: 32,
            }),
          ),
        },
        'How the address reaches clients: on the local segment, or through a cloud network that ignores ARP.',
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
            cloudRoutedHere: Type.Optional(Bool("The active node: whether the cloud (AWS) sends the address's traffic to it.")),
            probeAnswered: Type.Optional(Bool('Whether the node answers the Azure load balancer probe (only the active node should).')),
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
