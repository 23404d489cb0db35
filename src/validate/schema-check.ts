/**
 * Schema checks: one ajv validator per kind, compiled once per process, and
 * the translation of ajv's errors into problems a person can act on.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { KINDS, type KindName } from '../api/kinds.js';
import type { Path } from './parse.js';

export interface SchemaIssue {
  /** Path of the node to point at. */
  path: Path;
  rule: string;
  message: string;
  /**
   * Whether the data has the wrong shape (a missing field, a wrong type). A
   * value error (out of range, bad pattern, unknown field) leaves the shape
   * intact, so cross-object rules can still read the object.
   */
  structural: boolean;
}

const STRUCTURAL_KEYWORDS = new Set(['type', 'required', 'minItems', 'const']);

let compiled: Map<string, ValidateFunction> | undefined;

/** Validators generated at build time, when present (see compile-schemas.ts). */
const generatedModule = './compiled-validators.js';
const precompiled = (await import(generatedModule).catch(() => undefined)) as Record<string, ValidateFunction> | undefined;
/** Without them, the schema compiler (ajv and the schema builder: ~100 ms to load) is loaded now. */
const compileAtRunTime = precompiled ? undefined : (await import('./compile-schemas.js')).compileValidators;

/** One validator per kind: the build's precompiled ones, else compiled now (once). */
function validators(): Map<string, ValidateFunction> {
  if (compiled) return compiled;
  if (precompiled && KINDS.every((k) => typeof precompiled[k.kind] === 'function')) {
    compiled = new Map(KINDS.map((k) => [k.kind, precompiled[k.kind]!]));
  } else compiled = compileAtRunTime!();
  return compiled;
}

/** Whether the build's precompiled validators are in use (for tests). */
export function usingPrecompiledValidators(): boolean {
  validators();
  return compiled !== undefined && precompiled !== undefined && compiled.get('Cluster') === precompiled['Cluster'];
}

/** Split ajv's JSON-pointer instancePath into path segments (numbers for indices). */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** `spec.bindings[0].port` */
export function displayPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || '(document)';
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v; // 'undefined', as String(undefined); a function or symbol is not in data read from JSON or YAML
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Levenshtein distance, to suggest the field a typo meant. */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** `; did you mean "x"?` when a close allowed name exists, else "". */
export function suggestion(unknown: string, allowed: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = distance(unknown, a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(unknown.length / 3)) ? `; did you mean "${best}"?` : '';
}

/** What a pattern means, in words, for the patterns the API uses. */
function patternMeaning(path: Path, pattern: string): { rule: string; text: string } {
  const last = path[path.length - 1];
  if (last === 'siteName') return { rule: 'invalid-site-name', text: 'may contain only letters, digits and "-" (IIS kit naming rule)' };
  if (pattern.startsWith('(^((25[0-5]')) return { rule: 'schema', text: 'is not an IPv4 or IPv6 address' };
  if (pattern === '^[A-Za-z]:?$') return { rule: 'schema', text: 'must be a drive letter such as "E:"' };
  if (pattern === '^[0-9A-Fa-f]{40}$') return { rule: 'schema', text: 'must be a SHA-1 certificate thumbprint: 40 hexadecimal digits' };
  if (pattern === '^/') return { rule: 'schema', text: 'must start with "/"' };
  if (pattern.startsWith('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.')) {
    return {
      rule: 'schema',
      text: 'must be a DNS-1123 name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
    };
  }
  if (pattern.startsWith('^[a-z0-9]')) {
    return { rule: 'schema', text: 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit' };
  }
  return { rule: 'schema', text: `must match ${pattern}` };
}

function isPriority(path: Path): boolean {
  return path[path.length - 1] === 'priority';
}

function translate(e: ErrorObject): Omit<SchemaIssue, 'structural'> {
  const path = pointerToPath(e.instancePath);
  const where = displayPath(path);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = String(params['missingProperty']);
      return { path, rule: 'schema', message: `missing required field "${displayPath([...path, field])}"` };
    }
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const allowed = Object.keys((e.parentSchema as { properties?: Record<string, unknown> })?.properties ?? {});
      return {
        path: [...path, field],
        rule: 'schema',
        message: `unknown field "${displayPath([...path, field])}"${suggestion(field, allowed)}`,
      };
    }
    case 'type': {
      const want = String(params['type']);
      const words: Record<string, string> = {
        object: 'a mapping',
        array: 'a list',
        integer: 'an integer',
        number: 'a number',
        string: 'a string',
        boolean: 'true or false',
      };
      const got = typeof e.data === 'object' ? typeName(e.data) : `${typeName(e.data)} ${show(e.data)}`;
      return { path, rule: 'schema', message: `${where} must be ${words[want] ?? want}, not ${got}` };
    }
    case 'enum':
      return {
        path,
        rule: 'schema',
        message: `${where} must be one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}; got ${show(e.data)}`,
      };
    case 'const':
      return { path, rule: 'schema', message: `${where} must be ${show(params['allowedValue'])}; got ${show(e.data)}` };
    case 'pattern': {
      const m = patternMeaning(path, String(params['pattern']));
      return { path, rule: m.rule, message: `${where} ${show(e.data)} ${m.text}` };
    }
    case 'minimum':
    case 'maximum': {
      const s = e.parentSchema as { minimum?: number; maximum?: number };
      const range =
        s.minimum !== undefined && s.maximum !== undefined
          ? `${s.minimum}–${s.maximum}`
          : s.minimum !== undefined
            ? `at least ${s.minimum}`
            : `at most ${s.maximum}`;
      if (isPriority(path)) {
        return {
          path,
          rule: 'priority-out-of-range',
          message: `priority ${show(e.data)} is out of range: priorities are ${range}, lower = preferred`,
        };
      }
      return { path, rule: 'schema', message: `${where} is ${show(e.data)}; allowed ${range}` };
    }
    case 'minLength':
      return { path, rule: 'schema', message: `${where} must not be shorter than ${String(params['limit'])} characters` };
    case 'maxLength':
      return { path, rule: 'schema', message: `${where} must not be longer than ${String(params['limit'])} characters` };
    case 'minItems':
      return {
        path,
        rule: 'schema',
        message: `${where} must have at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}`,
      };
    case 'maxItems':
      return { path, rule: 'schema', message: `${where} must have at most ${String(params['limit'])} items` };
    default:
      return { path, rule: 'schema', message: `${where} ${e.message ?? 'is invalid'}` };
  }
}

/** Check an object of a known kind against its schema; no issues means valid. */
export function checkSchema(kind: KindName, value: unknown): SchemaIssue[] {
  const validate = validators().get(kind);
  if (!validate) return [{ path: ['kind'], rule: 'unknown-kind', message: `unknown kind ${kind}`, structural: true }];
  let ok: boolean;
  try {
    ok = validate(value);
  } catch (err) {
    return [{ path: [], rule: 'schema', message: `document cannot be checked: ${(err as Error).message}`, structural: true }];
  }
  if (ok) return [];
  return issuesOf(validate.errors ?? []);
}

/** ajv's errors as issues a person can act on, without repeats. */
export function issuesOf(errors: readonly ErrorObject[]): SchemaIssue[] {
  const seen = new Set<string>();
  const issues: SchemaIssue[] = [];
  for (const e of errors) {
    const issue: SchemaIssue = { ...translate(e), structural: STRUCTURAL_KEYWORDS.has(e.keyword) };
    const key = `${issue.path.join('/')}|${issue.rule}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}
