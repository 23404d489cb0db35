/**
 * From file bytes to documents, with exact source positions.
 *
 * Two parsers, one answer:
 *  - the fast path parses with js-yaml (about 10× faster) and keeps the text,
 *    so a position is computed only when a problem needs one;
 *  - the careful path parses with `yaml`, which keeps a node tree with source
 *    ranges. It is used to locate problems, and to parse outright any file that
 *    js-yaml refuses (syntax errors, duplicate keys, tabs) or that contains
 *    aliases (so an alias bomb is refused by a bounded expansion, never
 *    expanded), or that is too large to trust the fast path's size check.
 */
import jsyaml from 'js-yaml';
import { createRequire } from 'node:module';
// yaml beside js-yaml: its node tree keeps source ranges (file:line:column of a problem), which js-yaml's values have not.
import type { Document } from 'yaml';

/**
 * The `yaml` library is loaded on first need (a problem to place, a file the
 * fast path refuses): a clean run never pays its ~20 ms load time.
 */
type YamlLib = typeof import('yaml');
let yamlLib: YamlLib | undefined;
const requireCjs = createRequire(import.meta.url);
function Y(): YamlLib {
  return (yamlLib ??= requireCjs('yaml') as YamlLib);
}
import type { Problem } from './problem.js';
import { jsonEqual } from '../lib/json.js';
import { MAX_NESTING, nestingOverflow } from './nesting.js';

/** 1-based line and column (in UTF-16 units) of a text offset. */
function lineColumn(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

export type Path = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export interface ParseLimits {
  /** Largest document accepted, in bytes (etcd's default request limit, 1.5 MiB). */
  maxDocumentBytes: number;
  /** Most aliases a document may dereference. */
  maxAliases: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxDocumentBytes: 1_572_864,
  maxAliases: 100,
};

/** One YAML/JSON document of a file. */
export interface SourceDocument {
  file: string;
  /** Index of the document in its file (0-based, empty documents included). */
  index: number;
  value: unknown;
  /** Where this value sits in its document: [] for a document, ['items', i] for an item of a `kind: List`. */
  base: Path;
  locate(path: Path): Position;
  /** The same place in the file holding another value (an item of a `kind: List`). */
  at(value: unknown, base: Path): SourceDocument;
}

/** A document and the locator of its file (a class, so ten thousand documents share one locate method). */
class FileDocument implements SourceDocument {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly value: unknown,
    readonly base: Path,
    private readonly locator: FileLocator,
  ) {}
  locate(path: Path): Position {
    return this.locator.locate(this.index, path);
  }
  at(value: unknown, base: Path): SourceDocument {
    return new FileDocument(this.file, this.index, value, base, this.locator);
  }
}

export interface ParsedFile {
  documents: SourceDocument[];
  problems: Problem[];
}

/** Whether the text may hold an alias (`*name` after space or a flow indicator). */
const ALIAS_TOKEN = /(?:^|[\s[{,:-])\*[^\s,[\]{}]/m;

type Counter = InstanceType<YamlLib['LineCounter']>;

/** Where a document sits in its file: its parse tree and how to turn its offsets into file positions. */
interface LocatedDocument {
  doc: Document.Parsed;
  counter: Counter;
  /** Lines before the document's text (its text was parsed on its own). */
  lineOffset: number;
}

/**
 * Lazily built position index of one file, shared by its documents. To place
 * a problem it parses only the problem's document (cut at the `---` / `...`
 * markers, which YAML forbids inside any content) and checks that the piece
 * parses to the same value the fast path read; otherwise it parses the whole
 * file once.
 */
export class FileLocator {
  private whole?: { docs: Document.Parsed[]; counter: Counter };
  private pieces = new Map<number, LocatedDocument | null>();
  private segments?: { start: number; line: number; end: number }[];

  constructor(
    private readonly text: string,
    /** Values the fast path read, by document index (to verify a piece). */
    private readonly values?: readonly unknown[],
  ) {}

  /** Seed with a whole-file parse done elsewhere (the careful path). */
  static fromParsed(text: string, docs: Document.Parsed[], counter: Counter): FileLocator {
    const l = new FileLocator(text);
    l.whole = { docs, counter };
    return l;
  }

  private wholeFile(): { docs: Document.Parsed[]; counter: Counter } {
    if (!this.whole) {
      const counter = new (Y().LineCounter)();
      let docs = Y().parseAllDocuments(this.text, { lineCounter: counter, keepSourceTokens: false }) as Document.Parsed[];
      if (!Array.isArray(docs)) docs = [];
      this.whole = { docs, counter };
    }
    return this.whole;
  }

  /** Document text ranges, split at marker lines. */
  private documentSegments(): { start: number; line: number; end: number }[] {
    if (this.segments) return this.segments;
    const segs: { start: number; line: number; end: number }[] = [];
    const text = this.text;
    let open: { start: number; line: number } | undefined = { start: 0, line: 0 };
    let hasContent = false;
    let pos = 0;
    let line = 0;
    while (pos <= text.length) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl;
      const l = text.slice(pos, end);
      const marker = /^(---|\.\.\.)(?=[ \t\r]|$)/.exec(l)?.[1];
      if (marker === '---') {
        if (open && hasContent) segs.push({ ...open, end: pos });
        open = { start: pos, line };
        hasContent = true;
      } else if (marker === '...') {
        if (open && hasContent) segs.push({ ...open, end: pos });
        open = undefined;
        hasContent = false;
      } else if (!/^\s*(#.*)?\r?$/.test(l)) {
        if (!open) open = { start: pos, line };
        hasContent = true;
      }
      if (nl < 0) break;
      pos = nl + 1;
      line++;
    }
    if (open && hasContent) segs.push({ ...open, end: text.length });
    this.segments = segs;
    return segs;
  }

  private piece(index: number): LocatedDocument | null {
    if (this.pieces.has(index)) return this.pieces.get(index)!;
    let located: LocatedDocument | null = null;
    const seg = this.values ? this.documentSegments()[index] : undefined;
    if (seg && this.values!.length === this.documentSegments().length) {
      const counter = new (Y().LineCounter)();
      const [doc] = Y().parseAllDocuments(this.text.slice(seg.start, seg.end), { lineCounter: counter }) as Document.Parsed[];
      if (doc && doc.errors.length === 0 && jsonEqual(doc.toJS({ maxAliasCount: 100 }), this.values![index])) {
        located = { doc, counter, lineOffset: seg.line };
      }
    }
    this.pieces.set(index, located);
    return located;
  }

  /** Position of the node at `path` in document `index`, or of its nearest existing ancestor. */
  locate(index: number, path: Path): Position {
    let located = this.piece(index);
    if (!located) {
      const { docs, counter } = this.wholeFile();
      const doc = docs[index];
      if (!doc) return { line: 1, column: 1 };
      located = { doc, counter, lineOffset: 0 };
    }
    const { doc, counter, lineOffset } = located;
    let node: unknown = doc.contents;
    let offset = doc.contents && Y().isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : (doc.range?.[0] ?? 0);
    for (const key of path) {
      const step = childOf(node, key);
      if (!step) break;
      node = step.node;
      if (step.offset !== undefined) offset = step.offset;
    }
    const pos = counter.linePos(offset);
    return { line: pos.line + lineOffset, column: pos.col };
  }
}

/** The child at `key`, with the offset to report: a value's start, or its key's start when the value is empty. */
function childOf(node: unknown, key: string | number): { node: unknown; offset?: number } | undefined {
  if (Y().isMap(node)) {
    for (const pair of node.items) {
      if (!Y().isPair(pair)) continue;
      const k = Y().isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(key)) {
        const v = pair.value;
        const kr = Y().isNode(pair.key) ? pair.key.range : undefined;
        // A scalar is reported where its value starts; a mapping or list (and an
        // empty value) where its key is, which is the line a person looks for.
        if (Y().isScalar(v) && v.range && !(v.source === '' && v.value === null)) return { node: v, offset: v.range[0] };
        return { node: v, offset: kr ? kr[0] : Y().isNode(v) && v.range ? v.range[0] : undefined };
      }
    }
    return undefined;
  }
  if (Y().isSeq(node) && typeof key === 'number') {
    const item = node.items[key];
    if (Y().isNode(item) && item.range) return { node: item, offset: item.range[0] };
    return undefined;
  }
  return undefined;
}

function problemAt(file: string, pos: Position, rule: string, message: string): Problem {
  return { file, line: pos.line, column: pos.column, kind: '', name: '', rule, severity: 'error', message };
}

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Line and column (1-based, in characters) of a byte offset in a buffer. */
function positionOfByte(buf: Uint8Array, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = Buffer.from(buf.subarray(lineStart, offset)).toString('utf8');
  return { line, column: [...prefix].length + 1 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decode bytes as UTF-8, or report where they stop being UTF-8. */
export function decodeUtf8(file: string, buf: Uint8Array): { text?: string; problem?: Problem } {
  // Fast native decoding; only text showing a replacement character gets the strict check
  // (it may be a real U+FFFD, or a byte that is not UTF-8).
  const loose = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  if (!loose.includes('\uFFFD')) return { text: loose.charCodeAt(0) === 0xfeff ? loose.slice(1) : loose };
  try {
    return { text: utf8.decode(buf) };
  } catch {
    const at = firstInvalidUtf8(buf);
    const pos = positionOfByte(buf, at < 0 ? 0 : at);
    const byte = at >= 0 ? buf[at]! : 0;
    return {
      problem: problemAt(
        file,
        pos,
        'invalid-utf8',
        `the file is not valid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} at offset ${at} starts no valid character; save the file as UTF-8`,
      ),
    };
  }
}

/** Whether text encodes to at most max UTF-8 bytes (a character is 1–3 bytes per UTF-16 unit). */
function byteLengthAtMost(text: string, max: number): boolean {
  if (text.length * 3 <= max) return true;
  if (text.length > max) return false;
  return Buffer.byteLength(text) <= max;
}

/** Parse a file's text into documents (see the module comment for the two paths). */
export function parseText(file: string, text: string, limits: ParseLimits = DEFAULT_LIMITS): ParsedFile {
  const deep = nestingOverflow(text);
  if (deep >= 0) {
    const pos = lineColumn(text, deep);
    const msg = `nesting deeper than ${MAX_NESTING} levels; no manifest needs that many (refused before parsing, which would exhaust the stack)`;
    return { documents: [], problems: [problemAt(file, pos, 'nesting-too-deep', msg)] };
  }
  if (byteLengthAtMost(text, limits.maxDocumentBytes) && !(text.includes('*') && ALIAS_TOKEN.test(text))) {
    let values: unknown[] | undefined;
    try {
      values = jsyaml.loadAll(text, undefined, { schema: jsyaml.CORE_SCHEMA, json: false });
    } catch {
      values = undefined;
    }
    if (values) {
      const locator = new FileLocator(text, values);
      const documents: SourceDocument[] = [];
      values.forEach((value, index) => {
        if (value === null || value === undefined) return;
        documents.push(new FileDocument(file, index, value, [], locator));
      });
      return { documents, problems: [] };
    }
  }
  return parseCarefully(file, text, limits);
}

const YAML_MESSAGES: Record<string, string> = {
  TAB_AS_INDENT: 'tab characters are not allowed for indentation in YAML; indent with spaces',
  DUPLICATE_KEY: 'duplicate key: a key may appear only once in a mapping; the second value would silently win in other tools',
};

function parseCarefully(file: string, text: string, limits: ParseLimits): ParsedFile {
  const counter = new (Y().LineCounter)();
  const problems: Problem[] = [];
  const documents: SourceDocument[] = [];
  let docs: Document.Parsed[];
  try {
    docs = Y().parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false }) as Document.Parsed[];
  } catch (err) {
    const deep = err instanceof RangeError;
    problems.push(
      problemAt(
        file,
        { line: 1, column: 1 },
        deep ? 'nesting-too-deep' : 'yaml-syntax',
        deep ? 'nesting too deep to parse' : `cannot parse: ${(err as Error).message}`,
      ),
    );
    return { documents, problems };
  }
  if (!Array.isArray(docs)) docs = [];
  const locator = FileLocator.fromParsed(text, docs, counter);
  const at = (offset: number): Position => {
    const p = counter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  docs.forEach((doc, index) => {
    const start = doc.range?.[0] ?? 0;
    const end = doc.range?.[2] ?? doc.range?.[1] ?? start;
    if (!byteLengthAtMost(text.slice(start, end), limits.maxDocumentBytes)) {
      const bytes = Buffer.byteLength(text.slice(start, end));
      problems.push(
        problemAt(file, at(start), 'document-too-large', `document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes} bytes`),
      );
      return;
    }
    if (doc.errors.length > 0) {
      // One clear problem per error, at its place.
      for (const e of doc.errors) {
        const rule = e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
        const msg = YAML_MESSAGES[e.code] ?? e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        problems.push(problemAt(file, at(e.pos[0]), rule, msg));
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliases });
    } catch (err) {
      const aliasLike = err instanceof ReferenceError || /alias/i.test((err as Error).message);
      problems.push(
        problemAt(
          file,
          at(start),
          aliasLike ? 'alias-limit' : 'yaml-syntax',
          aliasLike
            ? `document expands too many aliases (limit ${limits.maxAliases}); refused without expanding (a YAML "billion laughs" bomb?)`
            : `cannot read document: ${(err as Error).message}`,
        ),
      );
      return;
    }
    if (value === null || value === undefined) return;
    documents.push(new FileDocument(file, index, value, [], locator));
  });
  return { documents, problems };
}

/** Whether a parsed value is a plain mapping. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
