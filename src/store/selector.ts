/**
 * Kubernetes label selectors: equality-based (`a=b`, `a==b`, `a!=b`) and
 * set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`), comma-separated, all must match.
 */
import { InvalidError } from './errors.js';
import type { LabelSelector } from './types.js';

type Requirement = { op: 'in' | 'notin'; key: string; values: string[] } | { op: 'exists' | 'notexists'; key: string };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

const KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw new InvalidError(`label selector "${selector}": invalid key "${key}"`);
  return key;
}
function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw new InvalidError(`label selector "${selector}": invalid value "${value}"`);
  return value;
}

function parseRequirement(part: string, selector: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(part);
  if (m) return { op: 'notexists', key: checkKey(m[1]!, selector) };
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { op: m[2] as 'in' | 'notin', key: checkKey(m[1]!, selector), values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (m) {
    const value = checkValue(m[3]!, selector);
    return { op: m[2] === '!=' ? 'notin' : 'in', key: checkKey(m[1]!, selector), values: [value] };
  }
  if (/^\S+$/.test(part)) return { op: 'exists', key: checkKey(part, selector) };
  throw new InvalidError(`label selector "${selector}": cannot parse "${part}"`);
}

/** Compile a selector once; throws InvalidError on bad syntax. Undefined matches everything. */
export function compileSelector(selector: LabelSelector | undefined): LabelMatcher {
  if (selector === undefined) return () => true;
  const reqs: Requirement[] =
    typeof selector === 'string'
      ? splitTopLevel(selector).map((p) => parseRequirement(p, selector))
      : Object.entries(selector).map(([key, value]) => ({ op: 'in', key, values: [value] }));
  if (reqs.length === 0) return () => true;
  return (labels) =>
    reqs.every((r) => {
      const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = has ? labels[r.key] : undefined;
      switch (r.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'in':
          return has && r.values.includes(v!);
        case 'notin':
          return !has || !r.values.includes(v!);
      }
    });
}
