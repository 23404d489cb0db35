/**
 * Reads a Scenario file (design §5) into a Scenario, or reports every problem
 * at file:line:column with a stable rule id, the way `winha validate` does
 * (same parser, same positions; the manifests a scenario names are validated
 * by the validator itself and their problems reported at their own places).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Problem } from '../../validate/problem.js';
import { decodeUtf8, isMapping, parseText, type SourceDocument } from '../../validate/parse.js';
import { InputError, readInputs } from '../../validate/sources.js';
import { validateDocuments, validateInputs } from '../../validate/validate.js';
import { parseDuration } from './duration.js';
import {
  DEFAULT_CONVERGE_WITHIN_MS,
  INVARIANT_NAMES,
  type InvariantName,
  type LeaseTiming,
  type Scenario,
  type Step,
  type WorldTimingOption,
} from './model.js';
import { SCENARIO_SCHEMA } from './schema.js';
import { DEFAULT_LEASE_TIMING, topologyOf } from '../world/topology.js';
import { Checker, schemaIssues, validatorFor } from './checker.js';
import { readStep } from './step-parser.js';

export { SCENARIO_RULES, type ScenarioRule } from './checker.js';

export interface ScenarioParseResult {
  scenario?: Scenario;
  problems: Problem[];
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
    return {
      problems: [
        {
          file: path,
          line: 1,
          column: 1,
          kind: 'Scenario',
          name: '',
          rule: 'scenario-read',
          severity: 'error',
          message: `cannot read the scenario: ${why}`,
        },
      ],
    };
  }
  const decoded = decodeUtf8(path, bytes);
  if (decoded.problem) return { problems: [decoded.problem] };
  let text = decoded.text!;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseScenarioText(path, text, { ...opts, baseDir: dirname(resolve(opts.cwd ?? process.cwd(), path)) });
}

/** Check a scenario given as text; manifests are resolved against baseDir. */
export async function parseScenarioText(
  file: string,
  text: string,
  opts: ScenarioParseOptions & { baseDir: string },
): Promise<ScenarioParseResult> {
  const parsed = parseText(file, text);
  if (parsed.problems.length > 0) return { problems: parsed.problems };
  const docs = parsed.documents;
  const first = docs[0];
  if (!first) {
    return {
      problems: [
        {
          file,
          line: 1,
          column: 1,
          kind: 'Scenario',
          name: '',
          rule: 'scenario-kind',
          severity: 'error',
          message: 'the file is empty: a scenario file holds one Scenario document',
        },
      ],
    };
  }
  const value = first.value;
  const name =
    isMapping(value) && isMapping(value['metadata']) && typeof value['metadata']['name'] === 'string' ? value['metadata']['name'] : '';
  const c = new Checker(first, name);
  for (const extra of docs.slice(1)) {
    const pos = extra.locate([]);
    c.problems.push({
      file,
      line: pos.line,
      column: pos.column,
      kind: 'Scenario',
      name,
      rule: 'scenario-kind',
      severity: 'error',
      message: 'a scenario file holds exactly one document; put other scenarios in their own files',
    });
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
  const earlier: string[] = [];
  (spec['steps'] as unknown[]).forEach((raw, i) => {
    const step = readStep(c, topology, raw, ['spec', 'steps', i], earlier);
    if (isMapping(raw) && typeof raw['name'] === 'string') earlier.push(raw['name']);
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
    c.report(
      ['spec'],
      'scenario-schema',
      'spec needs either manifests (paths relative to this file) or objects (inline manifests), not both',
    );
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
    c.report(
      ['spec', 'manifests'],
      'scenario-manifest-invalid',
      `the manifests have ${errors.length} error${errors.length === 1 ? '' : 's'} (listed with their places)`,
    );
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
    c.report(
      ['spec', 'timing'],
      'scenario-timing-unsafe',
      `renewDeadlineSeconds ${timing.renewDeadlineSeconds} must be less than leaseDurationSeconds ${timing.leaseDurationSeconds}: a holder must fence itself before a standby may take over`,
    );
  } else if (timing.retryPeriodSeconds >= timing.renewDeadlineSeconds) {
    c.report(
      ['spec', 'timing'],
      'scenario-timing-unsafe',
      `retryPeriodSeconds ${timing.retryPeriodSeconds} must be less than renewDeadlineSeconds ${timing.renewDeadlineSeconds}`,
    );
  }
  return timing;
}

/** `spec.world` (already schema-checked) in virtual ms. */
export function readWorldTiming(spec: Record<string, unknown>): WorldTimingOption | undefined {
  const w = spec['world'];
  if (!isMapping(w)) return undefined;
  const out: WorldTimingOption = {};
  const ms = (key: string, field: keyof WorldTimingOption) => {
    if (typeof w[key] === 'string') out[field] = parseDuration(w[key])!;
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
  const spec = isMapping(copy['spec']) ? copy['spec'] : {};
  spec['timing'] = { ...(isMapping(spec['timing']) ? spec['timing'] : {}), ...timing };
  copy['spec'] = spec;
  return copy;
}
