/**
 * The registry of WinHA kinds: names (singular, plural, short) and the
 * printer columns `winha get` and `kubectl get` show. Everything that
 * enumerates kinds (CRD generation, the validator, the CLI's kind aliases)
 * reads this table; the schemas are in kind-schemas.ts (kept apart so that
 * reading the registry does not load the schema builder).
 */
export type KindName = 'Cluster' | 'FailoverGroup' | 'VirtualIP' | 'Mirror' | 'IISSite' | 'Event' | 'Sync';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 = always shown; 1 = shown with `-o wide`. */
  priority?: number;
}

export interface KindInfo {
  kind: KindName;
  singular: string;
  plural: string;
  /** The CRD's short names: none that a common API already uses (kubectl would shadow or confuse them). */
  shortNames: string[];
  /** Further names only `winha` accepts (`winha get groups`), kept out of the CRD because they collide. */
  cliAliases: string[];
  /** Whether objects of the kind carry a spec (Events carry top-level fields instead). */
  hasSpec: boolean;
  printerColumns: PrinterColumn[];
  description: string;
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

function readyColumn(): PrinterColumn {
  return {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the object is Ready.',
  };
}

export const KINDS: readonly KindInfo[] = [
  {
    kind: 'Cluster',
    singular: 'cluster',
    plural: 'clusters',
    shortNames: ['cl'],
    cliAliases: [],
    description: 'A WinHA cluster: its Windows nodes, election timing and cluster-wide settings.',
    hasSpec: true,
    printerColumns: [
      { name: 'Lease', type: 'integer', jsonPath: '.spec.timing.leaseDurationSeconds', description: 'Lease duration (s).' },
      { name: 'Maintenance', type: 'boolean', jsonPath: '.spec.maintenance', description: 'Cluster maintenance.', priority: 1 },
      AGE,
    ],
  },
  {
    kind: 'FailoverGroup',
    singular: 'failovergroup',
    plural: 'failovergroups',
    shortNames: ['fg'],
    cliAliases: ['group', 'groups'],
    description: 'The unit that moves between nodes: its virtual IPs, mirrors and sites are active together on one node.',
    hasSpec: true,
    printerColumns: [
      { name: 'Active', type: 'string', jsonPath: '.status.activeNode', description: 'Node serving the group.' },
      readyColumn(),
      { name: 'Epoch', type: 'integer', jsonPath: '.status.epoch', description: 'Group lease epoch.' },
      { name: 'Desired', type: 'string', jsonPath: '.spec.desiredState', description: 'InService or OutOfService.' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary phase.', priority: 1 },
      { name: 'Switchback', type: 'string', jsonPath: '.spec.switchback', description: 'Intelligent or Automatic.', priority: 1 },
      AGE,
    ],
  },
  {
    kind: 'VirtualIP',
    singular: 'virtualip',
    plural: 'virtualips',
    shortNames: ['vip', 'vips'],
    cliAliases: [],
    description: 'A virtual IP address that moves with its group.',
    hasSpec: true,
    printerColumns: [
      { name: 'Address', type: 'string', jsonPath: '.spec.address', description: 'The virtual IP.' },
      { name: 'Group', type: 'string', jsonPath: '.spec.group', description: 'Failover group.' },
      { name: 'Node', type: 'string', jsonPath: '.status.activeNode', description: 'Node carrying the address.' },
      readyColumn(),
      AGE,
    ],
  },
  {
    kind: 'Mirror',
    singular: 'mirror',
    plural: 'mirrors',
    shortNames: ['mir'],
    cliAliases: [],
    description: "A DataKeeper mirrored volume that holds a group's data.",
    hasSpec: true,
    printerColumns: [
      { name: 'Volume', type: 'string', jsonPath: '.spec.volume', description: 'Drive letter.' },
      { name: 'Group', type: 'string', jsonPath: '.spec.group', description: 'Failover group.' },
      { name: 'Source', type: 'string', jsonPath: '.status.source', description: 'Mirror source node.' },
      { name: 'State', type: 'string', jsonPath: '.status.state', description: 'Mirror state.' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Synchronous or Asynchronous.', priority: 1 },
      AGE,
    ],
  },
  {
    kind: 'IISSite',
    singular: 'iissite',
    plural: 'iissites',
    shortNames: ['site', 'sites'],
    cliAliases: [],
    description: 'An IIS site (Web, FTP or SMTP) protected by WinHA.',
    hasSpec: true,
    printerColumns: [
      { name: 'Site', type: 'string', jsonPath: '.spec.siteName', description: 'IIS site name.' },
      { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'Web, FTP or SMTP.' },
      { name: 'Group', type: 'string', jsonPath: '.spec.group', description: 'Failover group.' },
      { name: 'Node', type: 'string', jsonPath: '.status.activeNode', description: 'Node serving the site.' },
      readyColumn(),
      AGE,
    ],
  },
  {
    kind: 'Event',
    singular: 'event',
    plural: 'events',
    shortNames: [], // `ev` is the core Event's short name
    cliAliases: ['ev'],
    description: 'Something that happened, written by an agent: a failover, a failed check, a refused promotion.',
    hasSpec: false,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type', description: 'Normal or Warning.' },
      { name: 'Reason', type: 'string', jsonPath: '.reason', description: 'Reason.' },
      { name: 'Object', type: 'string', jsonPath: '.involvedObject.name', description: 'Object concerned.' },
      { name: 'Node', type: 'string', jsonPath: '.node', description: 'Reporting node.' },
      { name: 'Code', type: 'integer', jsonPath: '.code', description: 'Code.' },
      { name: 'Message', type: 'string', jsonPath: '.message', description: 'Message.', priority: 1 },
      { name: 'Last', type: 'date', jsonPath: '.lastTimestamp', description: 'Last occurrence.' },
    ],
  },
  {
    kind: 'Sync',
    singular: 'sync',
    plural: 'syncs',
    shortNames: [],
    cliAliases: [],
    description: 'A git repository `winha sync` keeps the store equal to, and what its last pass did.',
    hasSpec: true,
    printerColumns: [
      { name: 'Source', type: 'string', jsonPath: '.spec.source', description: 'Repository.' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Applying, Synced, Refused or Failed.' },
      { name: 'Revision', type: 'string', jsonPath: '.status.lastAppliedRevision', description: 'Last revision applied whole.' },
      { name: 'Syncer', type: 'string', jsonPath: '.status.syncer', description: 'Syncer holding the lease.', priority: 1 },
      { name: 'Last', type: 'date', jsonPath: '.status.lastAttemptTime', description: 'Last pass.' },
    ],
  },
];

const byKind = new Map<string, KindInfo>(KINDS.map((k) => [k.kind, k]));
const byAlias = new Map<string, KindInfo>();
for (const k of KINDS) {
  for (const alias of [k.kind, k.singular, k.plural, ...k.shortNames, ...k.cliAliases]) byAlias.set(alias.toLowerCase(), k);
}

/** The kind registered under this exact Kind name (as in `kind:`). */
export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** Resolve what a user typed: `group`, `groups`, `fg`, `site`, `vip`, `FailoverGroup`… */
export function resolveKind(alias: string): KindInfo | undefined {
  return byAlias.get(alias.toLowerCase());
}

export function allKindAliases(): string[] {
  return [...byAlias.keys()].sort();
}
