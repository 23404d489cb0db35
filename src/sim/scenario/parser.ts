/**
 * Reads a Scenario file (design §5) into a Scenario, or reports every problem
 * at file:line:column with a stable rule id, the way `winha validate` does
 * (same parser, same positions; the manifests a scenario names are validated
 * by the validator itself and their problems reported at their own places).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Problem } from '../../validate/problem.js';
import { decodeUtf8, isMapping, parseText, type Path, type SourceDocument } from '../../validate/parse.js';
import { displayPath, pointerToPath, suggestion } from '../../validate/schema-check.js';
import { InputError, readInputs } from '../../validate/sources.js';
import { validateDocuments, validateInputs } from '../../validate/validate.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { parseFault, nodesOfFault } from '../world/fault-spec.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import {
  DEFAULT_CONVERGE_WITHIN_MS,
  INVARIANT_NAMES,
  MIRROR_STATE_NAMES,
  type Condition,
  type EventMatch,
  type InvariantName,
  type LeaseTiming,
  type ManualAction,
  type MirrorStateName,
  type OperatorAction,
  type Scenario,
  type Step,
  type WorldTimingOption,
} from './model.js';
import { CONDITION_SUBJECTS, SCENARIO_SCHEMA, STEP_ACTIONS, STEP_SCHEMAS, SUBJECT_FIELDS } from './schema.js';
import { DEFAULT_LEASE_TIMING, driveLetter, resolveRef, topologyOf, vipInterface, type Topology } from '../world/topology.js';

/** Rule ids of scenario problems (stable; besides the validator's own ids for YAML and manifests). */
export const SCENARIO_RULES = {
  'scenario-read': 'The scenario file cannot be read.',
  'scenario-kind': 'The file does not hold exactly one winha.io/v1alpha1 Scenario.',
  'scenario-schema': 'A field of the scenario is missing, unknown, or of the wrong type or value.',
  'scenario-duration': 'A duration is not a number and a unit (ms, s, m, h), e.g. 30s.',
  'scenario-step': 'A step is not exactly one known action, or its fields do not fit the action.',
  'scenario-fault': 'A fault has an unknown type or wrong fields.',
  'scenario-manifest-missing': 'A manifest path of the scenario cannot be read.',
  'scenario-manifest-invalid': 'The scenario\'s manifests have validation errors.',
  'scenario-reference': 'A step names a group, node, mirror or volume the manifests do not declare.',
  'scenario-timing-unsafe': 'renewDeadline ≥ leaseDuration or retryPeriod ≥ renewDeadline.',
} as const;
export type ScenarioRule = keyof typeof SCENARIO_RULES;

export interface ScenarioParseResult {
  scenario?: Scenario;
  problems: Problem[];
}

let ajv: Ajv | undefined;
const compiled = new Map<unknown, ValidateFunction>();
function validatorFor(schema: object): ValidateFunction {
  ajv ??= new Ajv({ allErrors: true, strict: false, verbose: true });
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'a mapping';
  return String(v);
}

/** ajv errors → (path, rule, message), in the scenario's words. */
function schemaIssues(validate: ValidateFunction, value: unknown): { path: Path; rule: ScenarioRule; message: string }[] {
  if (validate(value)) return [];
  const out: { path: Path; rule: ScenarioRule; message: string }[] = [];
  const seen = new Set<string>();
  for (const e of (validate.errors ?? []) as ErrorObject[]) {
    const path = pointerToPath(e.instancePath);
    const where = displayPath(path);
    const p = e.params as Record<string, unknown>;
    let issue: { path: Path; rule: ScenarioRule; message: string };
    switch (e.keyword) {
      case 'required':
        issue = { path, rule: 'scenario-schema', message: `${where} needs ${String(p['missingProperty'])}` };
        break;
      case 'additionalProperties': {
        const field = String(p['additionalProperty']);
        const allowed = Object.keys(((e.parentSchema as { properties?: object }).properties) ?? {});
        issue = { path: [...path, field], rule: 'scenario-schema', message: `unknown field ${field} in ${where}${suggestion(field, allowed)} (fields: ${allowed.join(', ')})` };
        break;
      }
      case 'type':
        issue = { path, rule: 'scenario-schema', message: `${where} must be ${String(p['type'])}, not ${show(e.data)}` };
        break;
      case 'enum':
        issue = { path, rule: 'scenario-schema', message: `${where} must be one of ${(p['allowedValues'] as unknown[]).join(', ')}; got ${show(e.data)}` };
        break;
      case 'const':
        issue = { path, rule: path[0] === 'apiVersion' || path[0] === 'kind' ? 'scenario-kind' : 'scenario-schema', message: `${where} must be ${show(p['allowedValue'])}; got ${show(e.data)}` };
        break;
      case 'pattern':
        issue = p['pattern'] === DURATION_PATTERN
          ? { path, rule: 'scenario-duration', message: `${where} ${show(e.data)} is no duration: write a number and a unit (ms, s, m, h), e.g. 30s or 500ms` }
          : { path, rule: 'scenario-schema', message: `${where} ${show(e.data)} must match ${String(p['pattern'])}` };
        break;
      default:
        issue = { path, rule: 'scenario-schema', message: `${where} ${e.message ?? 'is invalid'}` };
    }
    const k = `${issue.path.join('/')}|${issue.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(issue);
    }
  }
  return out;
}

/** Everything the step checks need: where to report, what the manifests declare. */
class Checker {
  readonly problems: Problem[] = [];
  constructor(
    readonly doc: SourceDocument,
    readonly name: string,
  ) {}

  report(path: Path, rule: ScenarioRule | string, message: string): void {
    const pos = this.doc.locate(path);
    this.problems.push({ file: this.doc.file, line: pos.line, column: pos.column, kind: 'Scenario', name: this.name, rule, severity: 'error', message });
  }

  place(path: Path): { file: string; line: number; column: number } {
    const pos = this.doc.locate(path);
    return { file: this.doc.file, line: pos.line, column: pos.column };
  }
}

export interface ScenarioParseOptions {
  /** Directory that shown file names are relative to (default process.cwd()). */
  cwd?: string;
}

/** Read and check a scenario file. Never throws for bad input. */
export async function parseScenarioFile(path: string, opts: ScenarioParseOptions = {}): Promise<ScenarioParseResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { problems: [{ file: path, line: 1, column: 1, kind: 'Scenario', name: '', rule: 'scenario-read', severity: 'error', message: `cannot read the scenario: ${why}` }] };
  }
  const decoded = decodeUtf8(path, bytes);
  if (decoded.problem) return { problems: [decoded.problem] };
  let text = decoded.text!;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseScenarioText(path, text, { ...opts, baseDir: dirname(resolve(opts.cwd ?? process.cwd(), path)) });
}

/** Check a scenario given as text; manifests are resolved against baseDir. */
export async function parseScenarioText(file: string, text: string, opts: ScenarioParseOptions & { baseDir: string }): Promise<ScenarioParseResult> {
  const parsed = parseText(file, text);
  if (parsed.problems.length > 0) return { problems: parsed.problems };
  const docs = parsed.documents;
  const first = docs[0];
  if (!first) {
    return { problems: [{ file, line: 1, column: 1, kind: 'Scenario', name: '', rule: 'scenario-kind', severity: 'error', message: 'the file is empty: a scenario file holds one Scenario document' }] };
  }
  const value = first.value;
  const name = isMapping(value) && isMapping(value['metadata']) && typeof value['metadata']['name'] === 'string' ? value['metadata']['name'] : '';
  const c = new Checker(first, name);
  for (const extra of docs.slice(1)) {
    const pos = extra.locate([]);
    c.problems.push({ file, line: pos.line, column: pos.column, kind: 'Scenario', name, rule: 'scenario-kind', severity: 'error', message: 'a scenario file holds exactly one document; put other scenarios in their own files' });
  }
  if (!isMapping(value)) {
    c.report([], 'scenario-kind', 'the document is not a mapping: expected apiVersion: winha.io/v1alpha1, kind: Scenario');
    return { problems: c.problems };
  }
  for (const i of schemaIssues(validatorFor(SCENARIO_SCHEMA), value)) c.report(i.path, i.rule, i.message);
  if (c.problems.length > 0) return { problems: c.problems };

  const spec = value['spec'] as Record<string, unknown>;
  const loaded = await loadObjects(c, spec, file, opts);
  if (!loaded) return { problems: c.problems };

  const timing = readTiming(c, spec);
  const objects = loaded.objects.map((o) => applyTiming(o, timing));
  const topology = topologyOf(objects);
  const steps: Step[] = [];
  (spec['steps'] as unknown[]).forEach((raw, i) => {
    const step = readStep(c, topology, raw, ['spec', 'steps', i]);
    if (step) steps.push(step);
  });
  if (c.problems.length > 0) return { problems: c.problems };
  const scenario: Scenario = {
    name,
    file,
    manifestPaths: loaded.paths,
    manifestFiles: loaded.files,
    objects,
    steps,
    invariants: (spec['invariants'] as InvariantName[] | undefined) ?? [...INVARIANT_NAMES],
    convergeWithinMs: typeof spec['convergeWithin'] === 'string' ? parseDuration(spec['convergeWithin'])! : DEFAULT_CONVERGE_WITHIN_MS,
  };
  if (timing) scenario.timing = timing;
  const world = readWorldTiming(spec);
  if (world) scenario.world = world;
  if (typeof spec['seed'] === 'number') scenario.seed = spec['seed'];
  return { scenario, problems: [] };
}

async function loadObjects(
  c: Checker,
  spec: Record<string, unknown>,
  file: string,
  opts: ScenarioParseOptions & { baseDir: string },
): Promise<{ objects: Record<string, unknown>[]; paths: string[]; files: string[] } | undefined> {
  const manifests = spec['manifests'] as string[] | undefined;
  const inline = spec['objects'] as Record<string, unknown>[] | undefined;
  if ((manifests === undefined) === (inline === undefined)) {
    c.report(['spec'], 'scenario-schema', 'spec needs either manifests (paths relative to this file) or objects (inline manifests), not both');
    return undefined;
  }
  if (inline) {
    const docs: SourceDocument[] = inline.map((obj, i) => c.doc.at(obj, ['spec', 'objects', i]));
    const report = validateDocuments(docs);
    const errors = report.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      c.problems.push(...errors);
      return undefined;
    }
    return { objects: report.objects.map((o) => o.obj), paths: [], files: [] };
  }
  const files: string[] = [];
  const inputs = [];
  for (const [i, p] of manifests!.entries()) {
    const abs = isAbsolute(p) ? p : resolve(opts.baseDir, p);
    try {
      const read = await readInputs([abs], true, opts.cwd ?? process.cwd());
      if (read.length === 0) {
        c.report(['spec', 'manifests', i], 'scenario-manifest-missing', `${p} holds no manifest (.yaml, .yml, .json)`);
        continue;
      }
      inputs.push(...read);
      files.push(abs);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      c.report(['spec', 'manifests', i], 'scenario-manifest-missing', `${p} (relative to ${file}): ${e.message}`);
    }
  }
  if (c.problems.length > 0) return undefined;
  const report = validateInputs(inputs);
  const errors = report.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    c.problems.push(...errors);
    c.report(['spec', 'manifests'], 'scenario-manifest-invalid', `the manifests have ${errors.length} error${errors.length === 1 ? '' : 's'} (listed with their places)`);
    return undefined;
  }
  if (!report.objects.some((o) => o.obj['kind'] === 'Cluster')) {
    c.report(['spec', 'manifests'], 'scenario-manifest-invalid', 'the manifests declare no Cluster: a simulated world needs its nodes');
    return undefined;
  }
  return { objects: report.objects.map((o) => o.obj), paths: manifests!, files };
}

function readTiming(c: Checker, spec: Record<string, unknown>): LeaseTiming | undefined {
  const t = spec['timing'] as Partial<LeaseTiming> | undefined;
  if (!t) return undefined;
  const timing: LeaseTiming = { ...DEFAULT_LEASE_TIMING, ...t };
  // design §4: self-fencing must come before the lease can expire, and renewals before the deadline.
  if (timing.renewDeadlineSeconds >= timing.leaseDurationSeconds) {
    c.report(['spec', 'timing'], 'scenario-timing-unsafe', `renewDeadlineSeconds ${timing.renewDeadlineSeconds} must be less than leaseDurationSeconds ${timing.leaseDurationSeconds}: a holder must fence itself before a standby may take over`);
  } else if (timing.retryPeriodSeconds >= timing.renewDeadlineSeconds) {
    c.report(['spec', 'timing'], 'scenario-timing-unsafe', `retryPeriodSeconds ${timing.retryPeriodSeconds} must be less than renewDeadlineSeconds ${timing.renewDeadlineSeconds}`);
  }
  return timing;
}

/** `spec.world` (already schema-checked) in virtual ms. */
export function readWorldTiming(spec: Record<string, unknown>): WorldTimingOption | undefined {
  const w = spec['world'];
  if (!isMapping(w)) return undefined;
  const out: WorldTimingOption = {};
  const ms = (key: string, field: keyof WorldTimingOption) => {
    if (typeof w[key] === 'string') out[field] = parseDuration(w[key] as string)!;
  };
  ms('switchoverUnreachable', 'switchoverUnreachableMs');
  ms('switchover', 'switchoverMs');
  ms('serviceStart', 'serviceStartMs');
  ms('serviceStop', 'serviceStopMs');
  ms('addressDetection', 'dadMs');
  if (typeof w['resyncBlocksPerSecond'] === 'number') out.resyncBlocksPerSecond = w['resyncBlocksPerSecond'];
  return out;
}

function applyTiming(o: Record<string, unknown>, timing: LeaseTiming | undefined): Record<string, unknown> {
  const copy = structuredClone(o);
  if (!timing || copy['kind'] !== 'Cluster') return copy;
  const spec = (isMapping(copy['spec']) ? copy['spec'] : {}) as Record<string, unknown>;
  spec['timing'] = { ...(isMapping(spec['timing']) ? spec['timing'] : {}), ...timing };
  copy['spec'] = spec;
  return copy;
}

// ───────────── steps ─────────────

function readStep(c: Checker, t: Topology, raw: unknown, at: Path): Step | undefined {
  if (!isMapping(raw)) {
    c.report(at, 'scenario-step', `a step is a mapping with one action (${STEP_ACTIONS.join(', ')})`);
    return undefined;
  }
  const keys = Object.keys(raw).filter((k) => k !== 'name');
  const unknown = keys.filter((k) => !STEP_ACTIONS.includes(k));
  for (const k of unknown) c.report([...at, k], 'scenario-step', `unknown step action ${k}${suggestion(k, STEP_ACTIONS)} (actions: ${STEP_ACTIONS.join(', ')})`);
  const actions = keys.filter((k) => STEP_ACTIONS.includes(k));
  if (unknown.length > 0) return undefined;
  if (actions.length !== 1) {
    c.report(at, 'scenario-step', actions.length === 0 ? `the step has no action (${STEP_ACTIONS.join(', ')})` : `one action per step; this one has ${actions.join(', ')}: split it into ${actions.length} steps`);
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
    if (!g) c.report(path, 'scenario-reference', unknownRef('group', ref, t.groups.map((x) => x.name)));
    return g;
  };
  const nodeOf = (path: Path, name: string, members?: readonly string[]) => {
    const all = members ?? t.nodes.map((n) => n.name);
    if (!all.includes(name)) c.report(path, 'scenario-reference', `node ${name} is not ${members ? 'a node of the group' : 'declared by any Cluster'} (nodes: ${all.join(', ')})`);
  };
  const outcome = (): 'accepted' | 'refused' | 'any' => (b['outcome'] as 'accepted' | 'refused' | 'any' | undefined) ?? 'accepted';
  switch (action) {
    case 'waitFor':
    case 'expect': {
      const condition = readCondition(c, t, b, bodyAt);
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
      if (g) nodeOf([...bodyAt, 'to'], b['to'] as string, g.nodes.map((n) => n.name));
      if (c.problems.length > before) return undefined;
      return { ...base, type: 'operator', operator: { action: 'switchover', group: b['group'] as string, to: b['to'] as string, force: b['force'] === true }, outcome: outcome() };
    }
    case 'clear': {
      const g = group([...bodyAt, 'group'], b['group'] as string);
      if (g && typeof b['node'] === 'string') nodeOf([...bodyAt, 'node'], b['node'], g.nodes.map((n) => n.name));
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
      return { ...base, type: 'operator', operator: { action: 'setDesiredState', group: b['group'] as string, state: b['state'] as 'InService' | 'OutOfService' }, outcome: outcome() };
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

function readCondition(c: Checker, t: Topology, b: Record<string, unknown>, at: Path): Condition | undefined {
  const subjects = CONDITION_SUBJECTS.filter((s) => s in b);
  if (subjects.length !== 1) {
    c.report(at, 'scenario-step', subjects.length === 0
      ? `say what to check: one of ${CONDITION_SUBJECTS.join(', ')}`
      : `one subject per condition; this one has ${subjects.join(' and ')}: split it into ${subjects.length} steps`);
    return undefined;
  }
  const subject = subjects[0]!;
  const allowed = new Set([...SUBJECT_FIELDS[subject], 'within', 'for']);
  for (const k of Object.keys(b)) {
    if (!allowed.has(k)) c.report([...at, k], 'scenario-step', `${k} does not apply to a ${subject} condition (its fields: ${SUBJECT_FIELDS[subject].join(', ')})`);
  }
  const eventMatch = (m: Record<string, unknown>, path: Path): EventMatch => {
    if (typeof m['group'] === 'string' && !resolveRef(t.groups, m['group'])) c.report([...path, 'group'], 'scenario-reference', unknownRef('group', m['group'], t.groups.map((g) => g.name)));
    return { ...m } as EventMatch;
  };
  switch (subject) {
    case 'group': {
      const g = resolveRef(t.groups, b['group'] as string);
      if (!g) {
        c.report([...at, 'group'], 'scenario-reference', unknownRef('group', b['group'] as string, t.groups.map((x) => x.name)));
        return undefined;
      }
      const members = g.nodes.map((n) => n.name);
      const cond: Extract<Condition, { kind: 'group' }> = { kind: 'group', group: b['group'] as string };
      if (typeof b['activeNode'] === 'string') {
        if (!members.includes(b['activeNode'])) c.report([...at, 'activeNode'], 'scenario-reference', `node ${b['activeNode']} is not a node of group ${g.name} (nodes: ${members.join(', ')})`);
        cond.activeNode = b['activeNode'];
      }
      if (typeof b['ready'] === 'boolean') cond.ready = b['ready'];
      if (typeof b['phase'] === 'string') cond.phase = b['phase'];
      if (isMapping(b['condition'])) cond.condition = { ...(b['condition'] as NonNullable<typeof cond.condition>) };
      if (isMapping(b['nodeStates'])) {
        for (const n of Object.keys(b['nodeStates'])) if (!members.includes(n)) c.report([...at, 'nodeStates', n], 'scenario-reference', `node ${n} is not a node of group ${g.name}`);
        cond.nodeStates = { ...(b['nodeStates'] as Record<string, string>) };
      }
      if (Object.keys(cond).length === 2) c.report(at, 'scenario-step', `say what to check about group ${cond.group}: activeNode, ready, phase, condition or nodeStates`);
      return cond;
    }
    case 'mirror': {
      const m = resolveRef(t.mirrors, b['mirror'] as string);
      if (!m) {
        c.report([...at, 'mirror'], 'scenario-reference', unknownRef('mirror', b['mirror'] as string, t.mirrors.map((x) => x.name)));
        return undefined;
      }
      const cond: Extract<Condition, { kind: 'mirror' }> = { kind: 'mirror', mirror: b['mirror'] as string };
      if (typeof b['state'] === 'string') {
        if (!(MIRROR_STATE_NAMES as readonly string[]).includes(b['state'])) {
          c.report([...at, 'state'], 'scenario-schema', `mirror state must be one of ${MIRROR_STATE_NAMES.join(', ')}; got ${JSON.stringify(b['state'])}`);
        }
        cond.state = b['state'] as MirrorStateName;
      }
      if (typeof b['source'] === 'string') {
        const eps = m.endpoints.map((e) => e.node);
        if (!eps.includes(b['source'])) c.report([...at, 'source'], 'scenario-reference', `node ${b['source']} is no endpoint of mirror ${m.name} (endpoints: ${eps.join(', ')})`);
        cond.source = b['source'];
      }
      if (cond.state === undefined && cond.source === undefined) c.report(at, 'scenario-step', `say what to check about mirror ${cond.mirror}: state or source`);
      return cond;
    }
    case 'event':
    case 'noEvent':
      return { kind: 'event', match: eventMatch(b[subject] as Record<string, unknown>, [...at, subject]), absent: subject === 'noEvent' };
    case 'site': {
      const state = b['state'];
      if (typeof b['node'] !== 'string') c.report(at, 'scenario-step', 'a site condition needs node (where to look)');
      else if (!t.nodes.some((n) => n.name === b['node'])) c.report([...at, 'node'], 'scenario-reference', `node ${b['node']} is not declared by any Cluster`);
      if (state !== 'Started' && state !== 'Stopped') {
        c.report(state === undefined ? at : [...at, 'state'], 'scenario-schema', `a site condition needs state: Started or Stopped${state === undefined ? '' : `; got ${JSON.stringify(state)}`}`);
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
        if (!h.startsWith('foreign:') && !t.nodes.some((n) => n.name === h)) c.report([...at, 'holders', i], 'scenario-reference', `node ${h} is not declared by any Cluster`);
      });
      return { kind: 'address', address: b['address'] as string, holders: [...holders] };
    }
  }
}

function checkFaultRefs(c: Checker, t: Topology, f: Fault, at: Path): void {
  const nodes = t.nodes.map((n) => n.name);
  for (const field of ['node', 'peer'] as const) {
    const v = (f as Record<string, unknown>)[field];
    if (typeof v === 'string' && !nodes.includes(v)) c.report([...at, field], 'scenario-reference', `node ${v} is not declared by any Cluster (nodes: ${nodes.join(', ')})`);
  }
  if (f.type === 'write') {
    const hasVolume = t.mirrors.some((m) => m.volume === f.volume && m.endpoints.some((e) => e.node === f.node));
    if (!hasVolume) c.report([...at, 'volume'], 'scenario-reference', `node ${f.node} has no mirrored volume ${f.volume}: (volumes come from the Mirrors' endpoints)`);
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
      return { action, node, address, prefixLength: typeof b['prefixLength'] === 'number' ? b['prefixLength'] : vip?.prefixLength ?? 24, interface: iface };
    }
    case 'switchoverMirror':
      return need('volume', action) ? { action, node, volume: driveLetter(b['volume'] as string), force: b['force'] === true } : undefined;
  }
}
