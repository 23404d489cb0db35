/**
 * The fields of every fault type (design §5), at run time: one table read by
 * the scenario parser (problems with a place), the world server (a bad fault
 * from another process is refused, never thrown inside the world) and
 * `winha sim fault` (flags → fault).
 */
import { HOST_DRIVER_OPERATIONS } from '../../drivers/types.js';
import type { Fault, FaultType } from '../../drivers/sim/world-faults.js';
import { isOneOf } from '../../lib/one-of.js';

export type FieldType = 'node' | 'string' | 'service' | 'operation' | 'volume' | 'address' | 'count' | 'integer' | 'boolean';

export interface FaultFieldSpec {
  type: FieldType;
  required: boolean;
  description: string;
  /** Largest value of a count (default 1,000,000); each unit of some costs the world memory. */
  max?: number;
  /** A string field's allowed values. */
  values?: readonly string[];
}

const node = (description = 'the node (host) the fault hits'): FaultFieldSpec => ({ type: 'node', required: true, description });
const opt = (type: FieldType, description: string, max?: number): FaultFieldSpec => ({
  type,
  required: false,
  description,
  ...(max ? { max } : {}),
});
const req = (type: FieldType, description: string): FaultFieldSpec => ({ type, required: true, description });
const oneOf = (values: readonly string[], description: string): FaultFieldSpec => ({ type: 'string', required: true, description, values });

/** cloudApiFault modes. */
export const CLOUD_API_FAULT_MODES = ['throttle', 'hang', 'fail'] as const;

/** Writes of one write fault: each is answered with its outcome (1,000,000 took 850 MB). */
export const MAX_WRITES = 10_000;

/** Fields per fault type, besides `type`. */
export const FAULT_FIELDS: Readonly<Record<FaultType, Readonly<Record<string, FaultFieldSpec>>>> = {
  nodeCrash: { node: node() },
  nodeRestore: { node: node() },
  agentStop: { node: node() },
  agentStart: { node: node() },
  storePartition: { node: node('the node cut from the store') },
  storeHeal: { node: node() },
  replicationPartition: { node: node(), peer: opt('node', 'the other end; every other node when omitted') },
  replicationHeal: { node: node(), peer: opt('node', 'the other end; every partition of the node when omitted') },
  serviceStop: { node: node(), service: req('service', 'W3SVC, WAS, FTPSVC or SMTPSVC') },
  siteStop: { node: node(), site: req('string', 'IIS site name') },
  siteDelete: { node: node(), site: req('string', 'IIS site name') },
  bindingSteal: { node: node(), site: req('string', 'IIS site whose first binding another site takes') },
  siteHang: {
    node: node(),
    site: req('string', "IIS site whose worker hangs: IIS says Started, nothing answers (the deep check's 9757)"),
    persistent: opt('boolean', 'the hang survives a site restart (default: a restart clears it)'),
  },
  siteStuck: {
    node: node(),
    site: req('string', 'IIS site whose worker ignores stop requests'),
    checks: opt('count', 'state reads after a stop request that still see it Started (default 10: the kit gives up with 9556)'),
  },
  ipConflict: { address: req('address', 'the address a foreign host claims'), claimantMac: opt('string', 'MAC of the foreign host') },
  ipConflictClear: { address: req('address', 'the address the foreign host releases') },
  commandFail: {
    node: node(),
    times: req('count', 'how many driver operations fail'),
    operation: opt('operation', 'only this HostDriver operation fails'),
    hang: opt('boolean', 'the operations hang until their deadline (a Timeout) instead of failing at once'),
  },
  commandHeal: {
    node: node(),
    operation: opt('operation', 'cancel only the failures of this HostDriver operation (default: all of the node)'),
  },
  clockSkew: { node: node(), offsetMs: req('integer', 'wall-clock offset in milliseconds (0 heals)') },
  cloudApiFault: {
    mode: oneOf(CLOUD_API_FAULT_MODES, 'throttle (503 RequestLimitExceeded), hang (no answer) or fail (an EC2 error)'),
    times: req('count', 'how many EC2 requests misbehave'),
    code: opt('string', 'fail: the EC2 error code (default InternalError, e.g. UnauthorizedOperation)'),
    status: opt('integer', 'fail: the HTTP status of the error (default 500 for InternalError, else 400)'),
  },
  cloudApiHeal: {},
  cloudAssignDelay: { ms: req('integer', 'milliseconds before an accepted secondary-IP assignment is visible (0: at once)') },
  cloudDrift: {
    address: req('address', "the cloud-routed address moved behind WinHA's back"),
    node: node('the node the cloud now sends its traffic to'),
  },
  write: {
    node: node('the node the client writes on'),
    volume: req('volume', 'drive letter, e.g. E'),
    count: opt('count', 'number of writes (default 1)', MAX_WRITES),
    block: opt('integer', 'block number (random when omitted)'),
  },
};

export const FAULT_TYPES = Object.keys(FAULT_FIELDS) as FaultType[];

const SERVICES = ['W3SVC', 'WAS', 'FTPSVC', 'SMTPSVC'];

export interface FieldIssue {
  /** Field name ('' for the whole fault, 'type' for the type). */
  field: string;
  message: string;
}

/** Check one field value; returns a message or undefined. */
function fieldProblem(name: string, spec: FaultFieldSpec, v: unknown): string | undefined {
  switch (spec.type) {
    case 'node':
    case 'string':
      if (spec.values)
        return typeof v === 'string' && spec.values.includes(v) ? undefined : `${name} must be one of ${spec.values.join(', ')}`;
      return typeof v === 'string' && v.length > 0 && v.length <= 256
        ? undefined
        : `${name} must be a non-empty string (${spec.description})`;
    case 'address':
      return typeof v === 'string' && /^[0-9A-Fa-f:.]{2,45}$/.test(v) ? undefined : `${name} must be an IP address`;
    case 'service':
      return typeof v === 'string' && SERVICES.includes(v) ? undefined : `${name} must be one of ${SERVICES.join(', ')}`;
    case 'operation':
      return isOneOf(HOST_DRIVER_OPERATIONS, v)
        ? undefined
        : `${name} must be a HostDriver operation (${HOST_DRIVER_OPERATIONS.join(', ')})`;
    case 'volume':
      return typeof v === 'string' && /^[A-Za-z]:?$/.test(v) ? undefined : `${name} must be a drive letter such as "E" or "E:"`;
    case 'count': {
      const max = spec.max ?? 1_000_000;
      return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max ? undefined : `${name} must be an integer from 1 to ${max}`;
    }
    case 'integer':
      return Number.isInteger(v) && Math.abs(v as number) <= 1e12 ? undefined : `${name} must be an integer`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `${name} must be true or false`;
  }
}

/**
 * Read a fault from plain data. Either a Fault, or the issues (unknown type,
 * missing or unknown fields, wrong values), each naming its field.
 */
export function parseFault(value: unknown): { fault: Fault; issues?: undefined } | { fault?: undefined; issues: FieldIssue[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { issues: [{ field: '', message: 'a fault is a mapping with a type and its fields' }] };
  }
  const o = value as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string' || !(type in FAULT_FIELDS)) {
    return { issues: [{ field: 'type', message: `unknown fault type ${JSON.stringify(type)}; known: ${FAULT_TYPES.join(', ')}` }] };
  }
  const fields = FAULT_FIELDS[type as FaultType];
  const issues: FieldIssue[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    if (!(name in o) || o[name] === undefined) {
      if (spec.required) issues.push({ field: name, message: `fault ${type} needs ${name} (${spec.description})` });
      continue;
    }
    const problem = fieldProblem(name, spec, o[name]);
    if (problem) issues.push({ field: name, message: problem });
  }
  for (const name of Object.keys(o)) {
    if (name !== 'type' && !(name in fields)) {
      issues.push({ field: name, message: `fault ${type} has no field ${name} (fields: ${Object.keys(fields).join(', ')})` });
    }
  }
  if (issues.length > 0) return { issues };
  const fault: Record<string, unknown> = { type };
  for (const name of Object.keys(fields)) if (o[name] !== undefined) fault[name] = o[name];
  if (typeof fault['volume'] === 'string') fault['volume'] = fault['volume'].slice(0, 1).toUpperCase();
  return { fault: fault as Fault };
}

/** Nodes a fault names (for reference checks). */
export function nodesOfFault(f: Fault): string[] {
  const out: string[] = [];
  if ('node' in f) out.push(f.node);
  if ('peer' in f && f.peer !== undefined) out.push(f.peer);
  return out;
}

/** One line: `nodeCrash node=node1`. */
export function describeFault(f: Fault): string {
  const rest = Object.entries(f)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return rest ? `${f.type} ${rest}` : f.type;
}
