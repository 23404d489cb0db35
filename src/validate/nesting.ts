/**
 * A cheap scan for absurd nesting, run before either YAML parser: both recurse
 * per level, so 20,000 `[` cost seconds of CPU and end in a stack overflow.
 * It counts block levels (indentation, `- ` items) and flow levels (`[`, `{`)
 * outside quoted scalars, comments and block scalars; it errs on the side of
 * counting fewer levels, never more, so real manifests always pass.
 */

/** Far beyond any manifest (Kubernetes objects nest about 10 deep), far below what the parsers survive. */
export const MAX_NESTING = 100;

/** Offset where nesting first exceeds `max`, or -1. */
export function nestingOverflow(text: string, max = MAX_NESTING): number {
  const indents: number[] = [];
  let flow = 0;
  let quote: '' | "'" | '"' = '';
  /** Indentation of the line that opened a block scalar (`|` or `>`); its deeper lines are text. */
  let blockScalar = -1;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let i = pos;
    while (i < end && text.charCodeAt(i) === 32) i++;
    const indent = i - pos;
    const blank = i >= end || text[i] === '#' || text[i] === '\r';
    if (blockScalar >= 0 && (blank || indent > blockScalar)) {
      pos = end + 1;
      continue;
    }
    blockScalar = -1;
    if (blank && !quote) {
      pos = end + 1;
      continue;
    }
    let depth = 0;
    if (!quote && flow === 0) {
      if (/^(---|\.\.\.)(\s|$)/.test(text.slice(i, i + 4))) indents.length = 0;
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      // Each `- ` opens a sequence item inside the line's level ("- - - x" nests three deep).
      while (text[i] === '-' && (text[i + 1] === ' ' || i + 1 === end)) {
        depth++;
        i += 2;
        while (i < end && text[i] === ' ') i++;
      }
    }
    let last = '';
    for (; i < end; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) {
          if (quote === "'" && text[i + 1] === "'") i++;
          else quote = '';
        }
        continue;
      }
      if (c === '#' && (last === '' || last === ' ' || last === '\t')) break;
      if ((c === '"' || c === "'") && (last === '' || ':[{,- \t'.includes(last))) quote = c;
      else if (c === '[' || c === '{') {
        flow++;
        if (indents.length + depth + flow > max) return i;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      else if ((c === '|' || c === '>') && flow === 0 && /^[-+0-9]*\s*(#.*)?\r?$/.test(text.slice(i + 1, end))) {
        if (last === '' || last === ' ') blockScalar = indent;
      }
      if (c !== ' ' || last !== ' ') last = c;
    }
    if (indents.length + depth + flow > max) return pos + indent;
    pos = end + 1;
  }
  return -1;
}
