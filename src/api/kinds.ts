/**
 * The registry of WinHA kinds: names (singular, plural, short), the full
 * object schema of each, and the printer columns `winha get` and `kubectl get`
 * show. Everything that enumerates kinds (CRD generation, the validator, the
 * CLI's kind aliases) reads this table.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import {
  API_VERSION,
  ObjectMeta,
  ClusterSpec,
  ClusterStatus,
  FailoverGroupSpec,
  FailoverGroupStatus,
  VirtualIPSpec,
  VirtualIPStatus,
  MirrorSpec,
  MirrorStatus,
  IISSiteSpec,
  IISSiteStatus,
  EventFields,
} from './schema.js';

export type KindName = 'Cluster' | 'FailoverGroup' | 'VirtualIP' | 'Mirror' | 'IISSite' | 'Event';

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
  shortNames: string[];
  /** Full object schema: apiVersion, kind, metadata, spec, status (or Event's top-level fields). */
  schema: TSchema;
  /** Whether objects of the kind carry a spec (Events carry top-level fields instead). */
  hasSpec: boolean;
  printerColumns: PrinterColumn[];
  description: string;
}

function objectSchema(kind: KindName, description: string, fields: Record<string, TSchema>, required: string[]): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION, { description: `Always ${API_VERSION}.` }),
      kind: Type.Literal(kind, { description: `Always ${kind}.` }),
      metadata: ObjectMeta,
      ...fields,
    },
    { description, additionalProperties: false, required: ['apiVersion', 'kind', 'metadata', ...required] },
  );
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
    description: 'A WinHA cluster: its Windows nodes, election timing and cluster-wide settings.',
    hasSpec: true,
    schema: objectSchema(
      'Cluster',
      'A WinHA cluster: its Windows nodes, election timing and cluster-wide settings.',
      { spec: ClusterSpec, status: Type.Optional(ClusterStatus) },
      ['spec'],
    ),
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
    shortNames: ['fg', 'group', 'groups'],
    description: 'The unit that moves between nodes: its virtual IPs, mirrors and sites are active together on one node.',
    hasSpec: true,
    schema: objectSchema(
      'FailoverGroup',
      'The unit that moves between nodes: its virtual IPs, mirrors and sites are active together on one node.',
      { spec: FailoverGroupSpec, status: Type.Optional(FailoverGroupStatus) },
      ['spec'],
    ),
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
    description: 'A virtual IP address that moves with its group.',
    hasSpec: true,
    schema: objectSchema(
      'VirtualIP',
      'A virtual IP address that moves with its group.',
      { spec: VirtualIPSpec, status: Type.Optional(VirtualIPStatus) },
      ['spec'],
    ),
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
    description: 'A DataKeeper mirrored volume that holds a group\'s data.',
    hasSpec: true,
    schema: objectSchema(
      'Mirror',
      'A DataKeeper mirrored volume that holds a group\'s data.',
      { spec: MirrorSpec, status: Type.Optional(MirrorStatus) },
      ['spec'],
    ),
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
    description: 'An IIS site (Web, FTP or SMTP) protected by WinHA.',
    hasSpec: true,
    schema: objectSchema(
      'IISSite',
      'An IIS site (Web, FTP or SMTP) protected by WinHA.',
      { spec: IISSiteSpec, status: Type.Optional(IISSiteStatus) },
      ['spec'],
    ),
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
    shortNames: ['ev'],
    description: 'Something that happened, written by an agent: a failover, a failed check, a refused promotion.',
    hasSpec: false,
    schema: objectSchema(
      'Event',
      'Something that happened, written by an agent: a failover, a failed check, a refused promotion.',
      EventFields,
      ['involvedObject', 'type', 'reason', 'message'],
    ),
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
];

const byKind = new Map<string, KindInfo>(KINDS.map((k) => [k.kind, k]));
const byAlias = new Map<string, KindInfo>();
for (const k of KINDS) {
  for (const alias of [k.kind, k.singular, k.plural, ...k.shortNames]) byAlias.set(alias.toLowerCase(), k);
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
