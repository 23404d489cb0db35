/**
 * kubectl's output forms for `winha get`: -o name, -o jsonpath=…, -o custom-columns=…, --sort-by.
 * Each is parsed before the store is opened, so a bad template is a usage error that touches nothing.
 */
import { readFileSync } from 'node:fs';
import { kindInfo } from '../api/kinds.js';
import type { StoredObject } from '../store/types.js';
import { JsonPathError, evaluate, executeTemplate, parsePath, parseTemplate, valueText, type Step, type TemplateNode } from './jsonpath.js';
import { renderTable } from './table.js';
import { UsageError } from './io.js';

export interface CustomColumn {
  header: string;
  path: Step[];
}

export type OutputFormat =
  | { form: 'table' | 'wide' | 'yaml' | 'json' | 'name' }
  | { form: 'jsonpath'; template: TemplateNode[] }
  | { form: 'custom-columns'; columns: CustomColumn[] };

const FORMS = 'wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=SPEC or custom-columns-file=FILE';

function usage(err: unknown): never {
  if (err instanceof JsonPathError) throw new UsageError(err.message);
  throw err;
}

function readSpec(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`-o ${flag}=${file}: cannot read the file: ${(err as Error).message} [output-invalid]`);
  }
}

/**
 * A path as custom-columns and --sort-by take it, relaxed as kubectl relaxes it:
 * `.metadata.name`, `metadata.name` and `{.metadata.name}` are the same.
 */
export function relaxedPath(text: string): Step[] {
  let p = text.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p && !p.startsWith('.') && !p.startsWith('$') && !p.startsWith('@') && !p.startsWith('[')) p = `.${p}`;
  if (!p) throw new UsageError(`"${text}" is not a JSONPath: name a field, e.g. .metadata.name [jsonpath-invalid]`);
  try {
    return parsePath(p);
  } catch (err) {
    return usage(err);
  }
}

function customColumns(spec: string): CustomColumn[] {
  const cols = spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1)
      throw new UsageError(
        `custom-columns: "${part}" is not HEADER:JSONPATH (e.g. custom-columns=NAME:.metadata.name,ACTIVE:.status.activeNode) [output-invalid]`,
      );
    return { header: part.slice(0, colon), path: relaxedPath(part.slice(colon + 1)) };
  });
  return cols;
}

/** kubectl's custom-columns-file: a line of headers, then a line of paths, whitespace between columns. */
function customColumnsFile(text: string, file: string): CustomColumn[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const headers = (lines[0] ?? '').trim().split(/\s+/);
  const paths = (lines[1] ?? '').trim().split(/\s+/);
  if (lines.length !== 2 || headers.length !== paths.length)
    throw new UsageError(`custom-columns-file ${file}: expected two lines, the headers and as many JSONPaths below them [output-invalid]`);
  return headers.map((header, i) => ({ header, path: relaxedPath(paths[i]!) }));
}

/** The -o flag of `winha get`, parsed and checked. */
export function parseOutput(flag: string | undefined): OutputFormat {
  if (flag === undefined) return { form: 'table' };
  if (flag === 'wide' || flag === 'yaml' || flag === 'json' || flag === 'name') return { form: flag };
  const eq = flag.indexOf('=');
  const [kind, arg] = eq < 0 ? [flag, undefined] : [flag.slice(0, eq), flag.slice(eq + 1)];
  const known = ['jsonpath', 'jsonpath-file', 'custom-columns', 'custom-columns-file'];
  if (!known.includes(kind)) throw new UsageError(`unknown output format "${flag}" (use ${FORMS}) [output-invalid]`);
  if (!arg) throw new UsageError(`-o ${kind} needs a value: -o ${kind}=… (e.g. -o jsonpath='{.metadata.name}') [output-invalid]`);
  try {
    if (kind === 'jsonpath') return { form: 'jsonpath', template: parseTemplate(arg) };
    if (kind === 'jsonpath-file') return { form: 'jsonpath', template: parseTemplate(readSpec(arg, kind).replace(/\r?\n$/, '')) };
    if (kind === 'custom-columns') return { form: 'custom-columns', columns: customColumns(arg) };
    return { form: 'custom-columns', columns: customColumnsFile(readSpec(arg, kind), arg) };
  } catch (err) {
    return usage(err);
  }
}

/** `kind.group/name`, as kubectl -o name and `winha apply` name objects. */
export function objectName(o: StoredObject): string {
  return `${kindInfo(o.kind)?.singular ?? o.kind.toLowerCase()}.winha.io/${o.metadata.name}`;
}

/** What -o json, yaml and jsonpath print: the object itself when one was asked for by name, else a List. */
export function documentOf(items: StoredObject[], single: boolean): unknown {
  return single && items.length === 1 ? items[0] : { apiVersion: 'v1', kind: 'List', items };
}

export function jsonpathText(template: TemplateNode[], doc: unknown): string {
  return executeTemplate(template, doc);
}

function columnCell(o: StoredObject, path: Step[]): string {
  const values = evaluate(o, path);
  return values.length ? values.map(valueText).join(',') : '<none>';
}

/** custom-columns: headers as given (kubectl does not upper-case them), `<none>` where the field is missing. */
export function customColumnsTable(columns: CustomColumn[], items: StoredObject[], header = true): string {
  const text = renderTable(
    columns.map((c) => c.header),
    items.map((o) => columns.map((c) => columnCell(o, c.path))),
    { upperCase: false },
  );
  return header ? text : text.split('\n').slice(1).join('\n');
}

/** Natural order, as kubectl sorts strings: node2 before node10. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function rank(v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : 3;
}

function compareValues(a: unknown, b: unknown): number {
  const r = rank(a) - rank(b);
  if (r !== 0) return r;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return naturalCompare(valueText(a), valueText(b));
}

/** --sort-by: by the path's first value; numbers numerically, text naturally; objects without it last, in their order. */
export function sortObjects(items: StoredObject[], path: Step[]): StoredObject[] {
  const keyed = items.map((o, i) => ({ o, i, v: evaluate(o, path)[0] }));
  keyed.sort((x, y) => {
    if (x.v === undefined || y.v === undefined) return x.v === undefined ? (y.v === undefined ? x.i - y.i : 1) : -1;
    return compareValues(x.v, y.v) || x.i - y.i;
  });
  return keyed.map((k) => k.o);
}
