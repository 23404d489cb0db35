/**
 * What the cross-object rules see: every WinHA object of the input, with its
 * identity and its place, and a way to report a problem at any of its fields.
 */
import type { KindName } from '../api/kinds.js';
import type { Problem, Severity } from './problem.js';
import type { Path, Position, SourceDocument } from './parse.js';

export interface Entry {
  kind: KindName;
  namespace: string;
  name: string;
  /** The object as written (no defaults filled in). */
  obj: Record<string, unknown>;
  /** Whether its shape is right (types, required fields); rules read the content of such objects only. */
  valid: boolean;
  /** Where it came from; absent for context objects (already in the store). */
  doc?: SourceDocument;
}

export interface RuleContext {
  entries: readonly Entry[];
  /** Valid objects of a kind, per namespace. */
  valid(kind: KindName): readonly Entry[];
  /** Every object (valid or not) of a kind in a namespace. */
  inNamespace(kind: KindName, namespace: string): readonly Entry[];
  /** Any declared object (valid or not) of kind/namespace/name: enough to resolve a reference. */
  declared(kind: KindName, namespace: string, name: string): Entry | undefined;
  /** Every entry sharing its kind/namespace/name with another (input order). */
  duplicates(): readonly Entry[][];
  /** An index several rules share, built once per run. */
  memo<T>(name: string, build: () => T): T;
  report(entry: Entry, path: Path, rule: string, message: string, severity?: Severity): void;
  /** "file:line:column" of a field, for messages that point at a second place. */
  placeOf(entry: Entry, path: Path): string;
}

export type Rule = (ctx: RuleContext) => void;

export function key(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function positionOf(entry: Entry, path: Path): Position {
  if (!entry.doc) return { line: 0, column: 0 };
  return entry.doc.locate([...entry.doc.base, ...path]);
}

export function makeProblem(entry: Entry, path: Path, rule: string, message: string, severity: Severity): Problem {
  const pos = positionOf(entry, path);
  return {
    file: entry.doc?.file ?? '(store)',
    line: pos.line,
    column: pos.column,
    kind: entry.kind,
    name: entry.name,
    rule,
    severity,
    message,
  };
}
