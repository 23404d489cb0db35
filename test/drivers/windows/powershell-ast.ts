/**
 * Static facts about the shipped ps/lib scripts, read from the tree-sitter-powershell AST: which cmdlet gets
 * which parameter, what is assigned where, and which host operation ($WinhaOps['op']) a node belongs to. Without
 * Windows, this is how a test proves which API a script calls and with what.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { load } from './powershell-grammar.js';

export const PS_LIB = join(import.meta.dirname, '..', '..', '..', '..', 'ps', 'lib');

export interface PsCommand {
  name: string;
  /** -Parameter (lower case, no dash) → the text of its argument ('' for a switch). */
  params: Map<string, string>;
  /** The host operation whose scriptblock holds the command; undefined at file level (runs once, when dot-sourced). */
  op: string | undefined;
  text: string;
}

export interface PsAssignment {
  left: string;
  right: Node;
  op: string | undefined;
}

export interface PsScript {
  text: string;
  commands: PsCommand[];
  assignments: PsAssignment[];
  /** The source text of each operation's scriptblock. */
  ops: Map<string, string>;
  /** Every node of a type, with its operation. */
  nodes(type: string): { node: Node; op: string | undefined }[];
}

const OP_KEY = /^\$WinhaOps\[\s*['"]([^'"]+)['"]\s*\]$/;

function opOf(n: Node): string | undefined {
  for (let a: Node | null = n.parent; a; a = a.parent) {
    if (a.type !== 'assignment_expression') continue;
    const m = OP_KEY.exec(a.child(0)?.text.trim() ?? '');
    if (m) return m[1];
  }
  return undefined;
}

function commandOf(n: Node): PsCommand {
  const params = new Map<string, string>();
  const elements = (n.childForFieldName('command_elements') ?? n.children.find((c) => c?.type === 'command_elements'))?.children ?? [];
  const args = elements.filter((c): c is Node => !!c && c.type !== 'command_argument_sep');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.type !== 'command_parameter') continue;
    const next = args[i + 1];
    const name = a.text.replace(/^-/, '').replace(/:$/, '').toLowerCase();
    if (next && next.type !== 'command_parameter') {
      params.set(name, next.text);
      i++;
    } else params.set(name, '');
  }
  const name = n.children.find((c) => c?.type === 'command_name')?.text ?? '';
  return { name, params, op: opOf(n), text: n.text };
}

export async function parseScript(file: string): Promise<PsScript> {
  const text = readFileSync(join(PS_LIB, file), 'utf8');
  const tree = (await load()).parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const all: Node[] = [];
  const walk = (n: Node) => {
    all.push(n);
    for (const c of n.children) if (c) walk(c);
  };
  walk(tree.rootNode);
  const commands = all.filter((n) => n.type === 'command').map(commandOf);
  const assignments: PsAssignment[] = [];
  const ops = new Map<string, string>();
  for (const n of all.filter((x) => x.type === 'assignment_expression')) {
    const left = n.child(0)?.text.trim() ?? '';
    const right = n.child(2);
    if (!right) continue;
    assignments.push({ left, right, op: opOf(n) });
    const m = OP_KEY.exec(left);
    if (m) ops.set(m[1]!, right.text);
  }
  return {
    text,
    commands,
    assignments,
    ops,
    nodes: (type) => all.filter((n) => n.type === type).map((node) => ({ node, op: opOf(node) })),
  };
}

/** Whether a node (a right-hand side) is a scriptblock literal. */
export function isScriptBlock(n: Node): boolean {
  for (let c: Node | null = n; c; c = c.childCount === 1 ? c.child(0) : null) if (c.type === 'script_block_expression') return true;
  return false;
}
