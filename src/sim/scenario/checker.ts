/**
 * What the scenario parser and its step checks share: the stable rule ids, the
 * schema check in the scenario's words, and the Checker that places problems
 * at file:line:column.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Problem } from '../../validate/problem.js';
import type { Path, SourceDocument } from '../../validate/parse.js';
import { displayPath, pointerToPath, suggestion } from '../../validate/schema-check.js';
import { DURATION_PATTERN } from './duration.js';

/** Rule ids of scenario problems (stable; besides the validator's own ids for YAML and manifests). */
export const SCENARIO_RULES = {
  'scenario-read': 'The scenario file cannot be read.',
  'scenario-kind': 'The file does not hold exactly one winha.io/v1alpha1 Scenario.',
  'scenario-schema': 'A field of the scenario is missing, unknown, or of the wrong type or value.',
  'scenario-duration': 'A duration is not a number and a unit (ms, s, m, h), e.g. 30s.',
  'scenario-step': 'A step is not exactly one known action, or its fields do not fit the action.',
  'scenario-fault': 'A fault has an unknown type or wrong fields.',
  'scenario-manifest-missing': 'A manifest path of the scenario cannot be read.',
  'scenario-manifest-invalid': "The scenario's manifests have validation errors.",
  'scenario-reference': 'A step names a group, node, mirror or volume the manifests do not declare.',
  'scenario-timing-unsafe': 'renewDeadline ≥ leaseDuration or retryPeriod ≥ renewDeadline.',
} as const;
export type ScenarioRule = keyof typeof SCENARIO_RULES;

let ajv: Ajv | undefined;
const compiled = new Map<unknown, ValidateFunction>();
export function validatorFor(schema: object): ValidateFunction {
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
export function schemaIssues(validate: ValidateFunction, value: unknown): { path: Path; rule: ScenarioRule; message: string }[] {
  if (validate(value)) return [];
  const out: { path: Path; rule: ScenarioRule; message: string }[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
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
        const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        issue = {
          path: [...path, field],
          rule: 'scenario-schema',
          message: `unknown field ${field} in ${where}${suggestion(field, allowed)} (fields: ${allowed.join(', ')})`,
        };
        break;
      }
      case 'type':
        issue = { path, rule: 'scenario-schema', message: `${where} must be ${String(p['type'])}, not ${show(e.data)}` };
        break;
      case 'enum':
        issue = {
          path,
          rule: 'scenario-schema',
          message: `${where} must be one of ${(p['allowedValues'] as unknown[]).join(', ')}; got ${show(e.data)}`,
        };
        break;
      case 'const':
        issue = {
          path,
          rule: path[0] === 'apiVersion' || path[0] === 'kind' ? 'scenario-kind' : 'scenario-schema',
          message: `${where} must be ${show(p['allowedValue'])}; got ${show(e.data)}`,
        };
        break;
      case 'pattern':
        issue =
          p['pattern'] === DURATION_PATTERN
            ? {
                path,
                rule: 'scenario-duration',
                message: `${where} ${show(e.data)} is no duration: write a number and a unit (ms, s, m, h), e.g. 30s or 500ms`,
              }
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
export class Checker {
  readonly problems: Problem[] = [];
  constructor(
    readonly doc: SourceDocument,
    readonly name: string,
  ) {}

  report(path: Path, rule: ScenarioRule, message: string): void {
    const pos = this.doc.locate(path);
    this.problems.push({
      file: this.doc.file,
      line: pos.line,
      column: pos.column,
      kind: 'Scenario',
      name: this.name,
      rule,
      severity: 'error',
      message,
    });
  }

  place(path: Path): { file: string; line: number; column: number } {
    const pos = this.doc.locate(path);
    return { file: this.doc.file, line: pos.line, column: pos.column };
  }
}
