/**
 * The part of kubectl's JSONPath that WinHA reads: paths (printer columns, custom-columns, --sort-by) —
 * `$`, `@`, `.a.b`, `.a\.b`, `['a.b']`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..name` and filters such as
 * `[?(@.type=="Ready")]` (`==`, `!=`, or a bare `@.path` for "has the field") — and templates
 * (`-o jsonpath`): `{PATH}`, `{range PATH}…{end}` and quoted literals such as `{"\n"}`.
 * Anything else is a JsonPathError naming where it stopped, never a silent partial match.
 */

export class JsonPathError extends Error {}

type Filter = { path: Step[]; op: 'exists' } | { path: Step[]; op: '==' | '!='; value: string | number };

export type Step =
  | { field: string }
  | { index: number }
  | { slice: [number | undefined, number | undefined] }
  | { all: true }
  | { descend: string }
  | { root: true }
  | { filter: Filter };

const FIELD = /^(?:[A-Za-z0-9_\-/$]|\\.)+/;

function fail(path: string, at: number, why: string): never {
  throw new JsonPathError(`JSONPath "${path}": ${why} at character ${at + 1} [jsonpath-invalid]`);
}

function fieldName(raw: string): string {
  return raw.replace(/\\(.)/g, '$1');
}

/** A quoted literal at `text[at]` ('…' or "…", with \n \t \r \\ \" \' escapes): its value and where it ends. */
export function quoted(text: string, at: number, path = text): { value: string; end: number } {
  const q = text[at];
  let out = '';
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === q) return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[++i];
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
    if (e === undefined || map[e] === undefined) fail(path, i - 1, `unknown escape "\\${e ?? ''}" (use \\n, \\t, \\r, \\\\ or a quote)`);
    out += map[e];
  }
  return fail(path, at, 'unterminated quoted string');
}

function parseFilter(path: string, body: string, offset: number): Filter {
  const m = /^\s*(@(?:\.(?:[A-Za-z0-9_\-/$]|\\.)+)+)\s*(?:(==|!=)\s*(.+?))?\s*$/.exec(body);
  if (!m) return fail(path, offset, 'a filter must be [?(@.field)] or [?(@.field=="value")]');
  const steps = parsePath(m[1]!);
  if (m[2] === undefined) return { path: steps, op: 'exists' };
  const lit = m[3]!;
  let value: string | number;
  if (lit.startsWith('"') || lit.startsWith("'")) {
    const q = quoted(lit, 0, path);
    if (q.end !== lit.length) fail(path, offset, 'text after the quoted value in the filter');
    value = q.value;
  } else if (/^-?\d+(\.\d+)?$/.test(lit)) value = Number(lit);
  else return fail(path, offset, `filter value ${lit} must be a quoted string or a number`);
  return { path: steps, op: m[2] as '==' | '!=', value };
}

/** Parse a path strictly: every character is understood or the path is refused. */
export function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (path[0] === '$') {
    steps.push({ root: true });
    i = 1;
  } else if (path[0] === '@') i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('..')) {
      const m = FIELD.exec(rest.slice(2));
      if (!m) fail(path, i, 'a field name must follow ".."');
      steps.push({ descend: fieldName(m[0]) });
      i += 2 + m[0].length;
    } else if (rest.startsWith('.*')) {
      steps.push({ all: true });
      i += 2;
    } else if (rest[0] === '.') {
      const m = FIELD.exec(rest.slice(1));
      if (!m) fail(path, i, 'a field name must follow "."');
      steps.push({ field: fieldName(m[0]) });
      i += 1 + m[0].length;
    } else if (rest.startsWith('[*]')) {
      steps.push({ all: true });
      i += 3;
    } else if (rest.startsWith('[?(')) {
      const close = rest.indexOf(')]');
      if (close < 0) fail(path, i, 'unterminated filter (expected ")]")');
      steps.push({ filter: parseFilter(path, rest.slice(3, close), i) });
      i += close + 2;
    } else if (rest[0] === '[' && (rest[1] === "'" || rest[1] === '"')) {
      const q = quoted(rest, 1, path);
      if (rest[q.end] !== ']') fail(path, i + q.end, 'expected "]" after the quoted field name');
      steps.push({ field: q.value });
      i += q.end + 1;
    } else if (rest[0] === '[') {
      const m = /^\[(-?\d+)\]/.exec(rest);
      const s = /^\[(-?\d*):(-?\d*)\]/.exec(rest);
      if (m) steps.push({ index: Number(m[1]) });
      else if (s) steps.push({ slice: [s[1] ? Number(s[1]) : undefined, s[2] ? Number(s[2]) : undefined] });
      else fail(path, i, "unsupported subscript (use [N], [-N], [M:N], [*], ['name'] or [?(...)])");
      i += (m ?? s)![0].length;
    } else fail(path, i, `unexpected "${rest[0]}"`);
  }
  return steps;
}

function get(v: unknown, field: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[field] : undefined;
}

function descendants(v: unknown, field: string, out: unknown[]): void {
  if (typeof v !== 'object' || v === null) return;
  const own = get(v, field);
  if (own !== undefined) out.push(own);
  for (const child of Array.isArray(v) ? (v as unknown[]) : Object.values(v)) descendants(child, field, out);
}

function matches(item: unknown, f: Filter, root: unknown): boolean {
  const found = run(item, f.path, root);
  if (f.op === 'exists') return found.length > 0;
  const hit = found.some((x) => (typeof f.value === 'number' ? Number(x) === f.value : String(x) === f.value));
  return f.op === '==' ? hit : !hit;
}

function run(obj: unknown, steps: Step[], root: unknown): unknown[] {
  let current: unknown[] = [obj];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('root' in step) next.push(root);
      else if ('field' in step) {
        const x = get(v, step.field);
        if (x !== undefined) next.push(x);
      } else if ('index' in step) {
        if (!Array.isArray(v)) continue;
        const x = (v as unknown[])[step.index < 0 ? v.length + step.index : step.index];
        if (x !== undefined) next.push(x);
      } else if ('slice' in step) {
        if (Array.isArray(v)) next.push(...(v as unknown[]).slice(...step.slice));
      } else if ('all' in step) {
        if (Array.isArray(v)) next.push(...(v as unknown[]));
        else if (typeof v === 'object' && v !== null) next.push(...Object.values(v as Record<string, unknown>));
      } else if ('descend' in step) descendants(v, step.descend, next);
      else if (Array.isArray(v)) next.push(...(v as unknown[]).filter((item) => matches(item, step.filter, root)));
    }
    current = next;
  }
  return current;
}

/** All values the path selects (a filter or [*] may select several); `$` is `root`, by default `obj` itself. */
export function evaluate(obj: unknown, path: string | Step[], root: unknown = obj): unknown[] {
  return run(obj, typeof path === 'string' ? parsePath(path) : path, root);
}

/** A value as kubectl's JSONPath prints it: strings bare, objects and arrays as JSON. */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? String(v);
}

export type TemplateNode = { text: string } | { path: Step[] } | { range: Step[]; body: TemplateNode[] };

/** The body of a `{…}` starting at `open`: up to the `}` that is not inside quotes. */
function braceEnd(template: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  return fail(template, open, 'unterminated "{"');
}

/** Parse a kubectl JSONPath template: text outside braces is printed as it is. */
export function parseTemplate(template: string): TemplateNode[] {
  const stack: TemplateNode[][] = [[]];
  const ranges: { at: number }[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      stack[stack.length - 1]!.push({ text: template.slice(i) });
      break;
    }
    if (open > i) stack[stack.length - 1]!.push({ text: template.slice(i, open) });
    const close = braceEnd(template, open);
    const body = template.slice(open + 1, close).trim();
    const current = stack[stack.length - 1]!;
    if (body === 'end') {
      if (!ranges.length) fail(template, open, '{end} without {range}');
      ranges.pop();
      stack.pop();
    } else if (/^range\s/.test(body)) {
      const node = { range: parsePath(body.slice(6).trim()), body: [] as TemplateNode[] };
      current.push(node);
      stack.push(node.body);
      ranges.push({ at: open });
    } else if (body.startsWith('"') || body.startsWith("'")) {
      const q = quoted(body, 0, template);
      if (q.end !== body.length) fail(template, open, 'text after the quoted literal');
      current.push({ text: q.value });
    } else if (body === '') fail(template, open, 'empty "{}"');
    else current.push({ path: parsePath(body) });
    i = close + 1;
  }
  if (ranges.length) fail(template, ranges[ranges.length - 1]!.at, '{range} without {end}');
  return stack[0]!;
}

function render(nodes: TemplateNode[], current: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if ('text' in n) out += n.text;
    else if ('path' in n) out += run(current, n.path, root).map(valueText).join(' ');
    else {
      const found = run(current, n.range, root);
      const items = found.length === 1 && Array.isArray(found[0]) ? (found[0] as unknown[]) : found;
      for (const item of items) out += render(n.body, item, root);
    }
  }
  return out;
}

/** Execute a parsed template against a document (a List or one object). */
export function executeTemplate(nodes: TemplateNode[], doc: unknown): string {
  return render(nodes, doc, doc);
}
