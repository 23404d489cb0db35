/**
 * The steps of a scenario file: each one action (wait, fault, operator, manual,
 * expect...), checked against its schema and against what the manifests declare.
 * The document around them is read by ./parser.ts.
 */
import { isMapping, type Path } from '../../validate/parse.js';
import { suggestion } from '../../validate/schema-check.js';
import { parseDuration } from './duration.js';
import { parseFault, nodesOfFault } from '../world/fault-spec.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import {
  MIRROR_STATE_NAMES,
  type Condition,
  type EventMatch,
  type ManualAction,
  type MirrorStateName,
  type OperatorAction,
  type Step,
} from './model.js';
import { CONDITION_SUBJECTS, STEP_ACTIONS, STEP_SCHEMAS, SUBJECT_FIELDS } from './schema.js';
import { driveLetter, isCloudRouted, resolveRef, vipInterface, type Topology } from '../world/topology.js';
import { schemaIssues, validatorFor, type Checker } from './checker.js';
import { isOneOf } from '../../lib/one-of.js';

/** `earlier`: the names of the steps before this one (what an event condition's `since` may name). */
export function readStep(c: Checker, t: Topology, raw: unknown, at: Path, earlier: readonly string[] = []): Step | undefined {
  if (!isMapping(raw)) {
    c.report(at, 'scenario-step', `a step is a mapping with one action (${STEP_ACTIONS.join(', ')})`);
    return undefined;
  }
  const keys = Object.keys(raw).filter((k) => k !== 'name');
  const unknown = keys.filter((k) => !STEP_ACTIONS.includes(k));
  for (const k of unknown)
    c.report([...at, k], 'scenario-step', `unknown step action ${k}${suggestion(k, STEP_ACTIONS)} (actions: ${STEP_ACTIONS.join(', ')})`);
  const actions = keys.filter((k) => STEP_ACTIONS.includes(k));
  if (unknown.length > 0) return undefined;
  if (actions.length !== 1) {
    c.report(
      at,
      'scenario-step',
      actions.length === 0
        ? `the step has no action (${STEP_ACTIONS.join(', ')})`
        : `one action per step; this one has ${actions.join(', ')}: split it into ${actions.length} steps`,
    );
    return undefined;
  }
  if ('name' in raw && typeof raw['name'] !== 'string') {
    c.report([...at, 'name'], 'scenario-schema', 'a step name must be a string');
    return undefined;
  }
  const action = actions[0]!;
  const body = raw[action];
  const bodyAt = [...at, action];
  const before = c.problems.length;
  for (const i of schemaIssues(validatorFor(STEP_SCHEMAS[action]!), body)) c.report([...bodyAt, ...i.path], i.rule, i.message);
  if (c.problems.length > before) return undefined;
  const base: { name?: string; place: ReturnType<Checker['place']> } = { place: c.place(at) };
  if (typeof raw['name'] === 'string') base.name = raw['name'];
  const b = body as Record<string, unknown>;
  const group = (path: Path, ref: string) => {
    const g = resolveRef(t.groups, ref);
    if (!g)
      c.report(
        path,
        'scenario-reference',
        unknownRef(
          'group',
          ref,
          t.groups.map((x) => x.name),
        ),
      );
    return g;
  };
  const nodeOf = (path: Path, name: string, members?: readonly string[]) => {
    const all = members ?? t.nodes.map((n) => n.name);
    if (!all.includes(name))
      c.report(
        path,
        'scenario-reference',
        `node ${name} is not ${members ? 'a node of the group' : 'declared by any Cluster'} (nodes: ${all.join(', ')})`,
      );
  };
  const outcome = (): 'accepted' | 'refused' | 'any' => (b['outcome'] as 'accepted' | 'refused' | 'any' | undefined) ?? 'accepted';
  switch (action) {
    case 'waitFor':
    case 'expect': {
      const condition = readCondition(c, t, b, bodyAt, earlier);
      if (!condition || c.problems.length > before) return undefined;
      if (action === 'waitFor') return { ...base, type: 'waitFor', condition, withinMs: parseDuration(b['within'] as string)! };
      return { ...base, type: 'expect', condition, forMs: typeof b['for'] === 'string' ? parseDuration(b['for'])! : 0 };
    }
    case 'fault':
    case 'write': {
      const parsed = parseFault(action === 'write' ? { type: 'write', ...b } : b);
      if (!parsed.fault) {
        for (const i of parsed.issues) c.report(i.field ? [...bodyAt, i.field] : bodyAt, 'scenario-fault', i.message);
        return undefined;
      }
      checkFaultRefs(c, t, parsed.fault, bodyAt);
      return c.problems.length > before ? undefined : { ...base, type: 'fault', fault: parsed.fault };
    }
    case 'sleep':
      return { ...base, type: 'sleep', ms: parseDuration(body as string)! };
    case 'switchover': {
      const g = group([...bodyAt, 'group'], b['group'] as string);
      if (g)
        nodeOf(
          [...bodyAt, 'to'],
          b['to'] as string,
          g.nodes.map((n) => n.name),
        );
      if (c.problems.length > before) return undefined;
      return {
        ...base,
        type: 'operator',
        operator: { action: 'switchover', group: b['group'] as string, to: b['to'] as string, force: b['force'] === true },
        outcome: outcome(),
      };
    }
    case 'clear': {
      const g = group([...bodyAt, 'group'], b['group'] as string);
      if (g && typeof b['node'] === 'string')
        nodeOf(
          [...bodyAt, 'node'],
          b['node'],
          g.nodes.map((n) => n.name),
        );
      if (c.problems.length > before) return undefined;
      const op: OperatorAction = { action: 'clear', group: b['group'] as string };
      if (typeof b['node'] === 'string') op.node = b['node'];
      return { ...base, type: 'operator', operator: op, outcome: outcome() };
    }
    case 'maintenance': {
      if (typeof b['group'] === 'string') group([...bodyAt, 'group'], b['group']);
      if (typeof b['node'] === 'string') nodeOf([...bodyAt, 'node'], b['node']);
      if (c.problems.length > before) return undefined;
      const op: OperatorAction = { action: 'maintenance', enabled: b['enabled'] as boolean };
      if (typeof b['group'] === 'string') op.group = b['group'];
      if (typeof b['node'] === 'string') op.node = b['node'];
      return { ...base, type: 'operator', operator: op, outcome: outcome() };
    }
    case 'desiredState': {
      group([...bodyAt, 'group'], b['group'] as string);
      if (c.problems.length > before) return undefined;
      return {
        ...base,
        type: 'operator',
        operator: { action: 'setDesiredState', group: b['group'] as string, state: b['state'] as 'InService' | 'OutOfService' },
        outcome: outcome(),
      };
    }
    case 'manual': {
      const manual = readManual(c, t, b, bodyAt);
      return manual && c.problems.length === before ? { ...base, type: 'manual', manual, outcome: outcome() } : undefined;
    }
  }
  return undefined;
}

function unknownRef(what: string, ref: string, known: string[]): string {
  return `${what} ${ref} is not declared by the scenario's manifests${suggestion(ref, known)}${known.length ? ` (${what}s: ${[...new Set(known)].join(', ')})` : ''}; with several namespaces write namespace/name`;
}

function readCondition(c: Checker, t: Topology, b: Record<string, unknown>, at: Path, earlier: readonly string[]): Condition | undefined {
  const subjects = CONDITION_SUBJECTS.filter((s) => s in b);
  if (subjects.length !== 1) {
    c.report(
      at,
      'scenario-step',
      subjects.length === 0
        ? `say what to check: one of ${CONDITION_SUBJECTS.join(', ')}`
        : `one subject per condition; this one has ${subjects.join(' and ')}: split it into ${subjects.length} steps`,
    );
    return undefined;
  }
  const subject = subjects[0]!;
  const allowed = new Set([...SUBJECT_FIELDS[subject], 'within', 'for']);
  for (const k of Object.keys(b)) {
    if (!allowed.has(k))
      c.report(
        [...at, k],
        'scenario-step',
        `${k} does not apply to a ${subject} condition (its fields: ${SUBJECT_FIELDS[subject].join(', ')})`,
      );
  }
  const eventMatch = (m: Record<string, unknown>, path: Path): EventMatch => {
    if (typeof m['group'] === 'string' && !resolveRef(t.groups, m['group']))
      c.report(
        [...path, 'group'],
        'scenario-reference',
        unknownRef(
          'group',
          m['group'],
          t.groups.map((g) => g.name),
        ),
      );
    const { since: _s, min: _min, max: _max, ...match } = m;
    return match;
  };
  switch (subject) {
    case 'group': {
      const g = resolveRef(t.groups, b['group'] as string);
      if (!g) {
        c.report(
          [...at, 'group'],
          'scenario-reference',
          unknownRef(
            'group',
            b['group'] as string,
            t.groups.map((x) => x.name),
          ),
        );
        return undefined;
      }
      const members = g.nodes.map((n) => n.name);
      const cond: Extract<Condition, { kind: 'group' }> = { kind: 'group', group: b['group'] as string };
      if (typeof b['activeNode'] === 'string') {
        if (!members.includes(b['activeNode']))
          c.report(
            [...at, 'activeNode'],
            'scenario-reference',
            `node ${b['activeNode']} is not a node of group ${g.name} (nodes: ${members.join(', ')})`,
          );
        cond.activeNode = b['activeNode'];
      }
      if (typeof b['ready'] === 'boolean') cond.ready = b['ready'];
      if (typeof b['phase'] === 'string') cond.phase = b['phase'];
      if (isMapping(b['condition'])) {
        cond.condition = { ...(b['condition'] as NonNullable<typeof cond.condition>) };
        const re = cond.condition.messageMatches;
        if (re !== undefined) {
          try {
            new RegExp(re);
          } catch (e) {
            c.report([...at, 'condition', 'messageMatches'], 'scenario-schema', `not a regular expression: ${(e as Error).message}`);
          }
        }
      }
      if (isMapping(b['lease'])) {
        const lease = { ...(b['lease'] as NonNullable<typeof cond.lease>) };
        if (lease.holder !== undefined && lease.holder !== '' && !members.includes(lease.holder))
          c.report(
            [...at, 'lease', 'holder'],
            'scenario-reference',
            `node ${lease.holder} is not a node of group ${g.name} (nodes: ${members.join(', ')}; "" for a released lease)`,
          );
        if (lease.epoch !== undefined && lease.maxEpoch !== undefined && lease.epoch > lease.maxEpoch)
          c.report([...at, 'lease', 'epoch'], 'scenario-step', `epoch ${lease.epoch} can never hold with maxEpoch ${lease.maxEpoch}`);
        if (Object.keys(lease).length === 0)
          c.report([...at, 'lease'], 'scenario-step', 'say what to check about the lease: holder, epoch or maxEpoch');
        cond.lease = lease;
      }
      if (isMapping(b['nodeStates'])) {
        for (const n of Object.keys(b['nodeStates']))
          if (!members.includes(n)) c.report([...at, 'nodeStates', n], 'scenario-reference', `node ${n} is not a node of group ${g.name}`);
        cond.nodeStates = { ...(b['nodeStates'] as Record<string, string>) };
      }
      if (Object.keys(cond).length === 2)
        c.report(
          at,
          'scenario-step',
          `say what to check about group ${cond.group}: activeNode, ready, phase, condition, nodeStates or lease`,
        );
      return cond;
    }
    case 'mirror': {
      const m = resolveRef(t.mirrors, b['mirror'] as string);
      if (!m) {
        c.report(
          [...at, 'mirror'],
          'scenario-reference',
          unknownRef(
            'mirror',
            b['mirror'] as string,
            t.mirrors.map((x) => x.name),
          ),
        );
        return undefined;
      }
      const cond: Extract<Condition, { kind: 'mirror' }> = { kind: 'mirror', mirror: b['mirror'] as string };
      if (typeof b['state'] === 'string') {
        if (!isOneOf(MIRROR_STATE_NAMES, b['state'])) {
          c.report(
            [...at, 'state'],
            'scenario-schema',
            `mirror state must be one of ${MIRROR_STATE_NAMES.join(', ')}; got ${JSON.stringify(b['state'])}`,
          );
        }
        cond.state = b['state'] as MirrorStateName;
      }
      if (typeof b['source'] === 'string') {
        const eps = m.endpoints.map((e) => e.node);
        if (!eps.includes(b['source']))
          c.report(
            [...at, 'source'],
            'scenario-reference',
            `node ${b['source']} is no endpoint of mirror ${m.name} (endpoints: ${eps.join(', ')})`,
          );
        cond.source = b['source'];
      }
      if (b['targets'] && typeof b['targets'] === 'object') {
        const eps = m.endpoints.map((e) => e.node);
        for (const [n, st] of Object.entries(b['targets'] as Record<string, unknown>)) {
          if (!eps.includes(n))
            c.report(
              [...at, 'targets', n],
              'scenario-reference',
              `node ${n} is no endpoint of mirror ${m.name} (endpoints: ${eps.join(', ')})`,
            );
          if (!isOneOf(MIRROR_STATE_NAMES, st))
            c.report(
              [...at, 'targets', n],
              'scenario-schema',
              `mirror state must be one of ${MIRROR_STATE_NAMES.join(', ')}; got ${JSON.stringify(st)}`,
            );
        }
        cond.targets = { ...(b['targets'] as Record<string, MirrorStateName>) };
      }
      if (cond.state === undefined && cond.source === undefined && cond.targets === undefined)
        c.report(at, 'scenario-step', `say what to check about mirror ${cond.mirror}: state, source or targets`);
      return cond;
    }
    case 'event':
    case 'noEvent': {
      const m = b[subject] as Record<string, unknown>;
      const cond: Extract<Condition, { kind: 'event' }> = {
        kind: 'event',
        match: eventMatch(m, [...at, subject]),
        absent: subject === 'noEvent',
      };
      if (typeof m['since'] === 'string') {
        const since = m['since'];
        const count = earlier.filter((n) => n === since).length;
        if (count !== 1)
          c.report(
            [...at, subject, 'since'],
            'scenario-reference',
            count === 0
              ? `since names no earlier step: ${since}${suggestion(since, [...earlier])}${earlier.length ? ` (earlier steps: ${[...new Set(earlier)].join(', ')})` : ' (give a step a name: first)'}`
              : `since: ${count} earlier steps are named ${since}; give them distinct names`,
          );
        cond.since = since;
      }
      for (const k of ['min', 'max'] as const) {
        if (typeof m[k] !== 'number') continue;
        if (subject === 'noEvent')
          c.report([...at, subject, k], 'scenario-step', `${k} does not apply to noEvent (it means max: 0); use event with min/max`);
        cond[k] = m[k];
      }
      if (cond.min !== undefined && cond.max !== undefined && cond.min > cond.max)
        c.report([...at, subject, 'min'], 'scenario-step', `min ${cond.min} is more than max ${cond.max}`);
      return cond;
    }
    case 'site': {
      const state = b['state'];
      if (typeof b['node'] !== 'string') c.report(at, 'scenario-step', 'a site condition needs node (where to look)');
      else if (!t.nodes.some((n) => n.name === b['node']))
        c.report([...at, 'node'], 'scenario-reference', `node ${b['node']} is not declared by any Cluster`);
      if (state !== 'Started' && state !== 'Stopped') {
        c.report(
          state === undefined ? at : [...at, 'state'],
          'scenario-schema',
          `a site condition needs state: Started or Stopped${state === undefined ? '' : `; got ${JSON.stringify(state)}`}`,
        );
        return undefined;
      }
      return { kind: 'site', site: b['site'] as string, node: String(b['node']), state };
    }
    case 'address': {
      if (!Array.isArray(b['holders'])) {
        c.report(at, 'scenario-step', 'an address condition needs holders: the hosts that must answer for it ([] for nobody)');
        return undefined;
      }
      const holders = b['holders'] as string[];
      holders.forEach((h, i) => {
        if (!h.startsWith('foreign:') && !t.nodes.some((n) => n.name === h))
          c.report([...at, 'holders', i], 'scenario-reference', `node ${h} is not declared by any Cluster`);
      });
      return { kind: 'address', address: b['address'] as string, holders: [...holders] };
    }
    case 'cloudRoute': {
      const address = b['cloudRoute'] as string;
      if (!t.vips.some((v) => v.address === address && isCloudRouted(v)))
        c.report(
          [...at, 'cloudRoute'],
          'scenario-reference',
          `${address} is not the address of a VirtualIP with a cloud provider (cloud-routed: ${
            t.vips
              .filter(isCloudRouted)
              .map((v) => v.address)
              .join(', ') || 'none'
          })`,
        );
      if (!Array.isArray(b['routedTo'])) {
        c.report(at, 'scenario-step', 'a cloudRoute condition needs routedTo: the nodes the cloud must send it to ([] for none)');
        return undefined;
      }
      const nodes = b['routedTo'] as string[];
      nodes.forEach((n, i) => {
        if (!t.nodes.some((x) => x.name === n))
          c.report([...at, 'routedTo', i], 'scenario-reference', `node ${n} is not declared by any Cluster`);
      });
      return { kind: 'cloudRoute', address, nodes: [...nodes] };
    }
  }
}

function checkFaultRefs(c: Checker, t: Topology, f: Fault, at: Path): void {
  const nodes = t.nodes.map((n) => n.name);
  for (const field of ['node', 'peer'] as const) {
    const v = (f as Record<string, unknown>)[field];
    if (typeof v === 'string' && !nodes.includes(v))
      c.report([...at, field], 'scenario-reference', `node ${v} is not declared by any Cluster (nodes: ${nodes.join(', ')})`);
  }
  if (f.type === 'cloudDrift') {
    const vip = t.vips.find((v) => v.address === f.address);
    if (!vip || !isCloudRouted(vip) || vip.provider?.type === 'azureLoadBalancer')
      c.report(
        [...at, 'address'],
        'scenario-reference',
        `cloudDrift needs the address of a VirtualIP with an AWS provider (awsSecondaryIp, awsRouteTable, awsElasticIp)${
          vip?.provider?.type === 'azureLoadBalancer' ? `: ${f.address} is behind an Azure load balancer, whose probe picks the node` : ''
        }`,
      );
  }
  if (f.type === 'write') {
    const hasVolume = t.mirrors.some((m) => m.volume === f.volume && m.endpoints.some((e) => e.node === f.node));
    if (!hasVolume)
      c.report(
        [...at, 'volume'],
        'scenario-reference',
        `node ${f.node} has no mirrored volume ${f.volume}: (volumes come from the Mirrors' endpoints)`,
      );
  }
  void nodesOfFault;
}

function readManual(c: Checker, t: Topology, b: Record<string, unknown>, at: Path): ManualAction | undefined {
  const node = b['node'] as string;
  if (!t.nodes.some((n) => n.name === node)) c.report([...at, 'node'], 'scenario-reference', `node ${node} is not declared by any Cluster`);
  const need = (field: string, action: string): boolean => {
    if (b[field] === undefined) {
      c.report(at, 'scenario-step', `manual ${action} needs ${field}`);
      return false;
    }
    return true;
  };
  const action = b['action'] as ManualAction['action'];
  switch (action) {
    case 'startSite':
    case 'stopSite':
      return need('site', action) ? { action, node, site: b['site'] as string } : undefined;
    case 'startService':
    case 'stopService':
      return need('service', action) ? { action, node, service: b['service'] as 'W3SVC' } : undefined;
    case 'removeAddress':
      return need('address', action) ? { action, node, address: b['address'] as string } : undefined;
    case 'addAddress': {
      if (!need('address', action)) return undefined;
      const address = b['address'] as string;
      const vip = t.vips.find((v) => v.address === address);
      const iface = typeof b['interface'] === 'string' ? b['interface'] : vip ? vipInterface(vip, node) : undefined;
      if (!iface) {
        c.report(at, 'scenario-step', `manual addAddress of ${address} (no VirtualIP of the manifests) needs interface`);
        return undefined;
      }
      return {
        action,
        node,
        address,
        prefixLength: typeof b['prefixLength'] === 'number' ? b['prefixLength'] : (vip?.prefixLength ?? 24),
        interface: iface,
      };
    }
    case 'switchoverMirror':
      return need('volume', action) ? { action, node, volume: driveLetter(b['volume'] as string), force: b['force'] === true } : undefined;
  }
}
