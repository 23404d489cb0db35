/**
 * The tree-sitter-powershell grammar (its shipped .wasm, through web-tree-sitter)
 * as a syntax checker: lists every ERROR or MISSING node of a script.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

let parser: Parser | undefined;

/** The loaded parser (shared with the static checks in powershell-ast.ts). */
export async function load(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  const require = createRequire(import.meta.url);
  const language = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

export interface SyntaxProblem {
  kind: 'ERROR' | 'MISSING';
  line: number;
  column: number;
  text: string;
}

export async function powershellSyntaxProblems(script: string): Promise<SyntaxProblem[]> {
  const p = await load();
  const tree = p.parse(script);
  if (!tree) throw new Error('tree-sitter returned no tree');
  const problems: SyntaxProblem[] = [];
  const lines = script.split('\n');
  const walk = (n: Node) => {
    if (n.type === 'ERROR' || n.isMissing) {
      problems.push({
        kind: n.isMissing ? 'MISSING' : 'ERROR',
        line: n.startPosition.row + 1,
        column: n.startPosition.column,
        text: lines[n.startPosition.row] ?? '',
      });
    }
    for (const c of n.children) if (c) walk(c);
  };
  walk(tree.rootNode);
  tree.delete();
  return problems;
}
