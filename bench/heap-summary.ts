/**
 * What a V8 heap snapshot holds, summed by kind: objects by constructor, strings, arrays, code, closures (the self
 * sizes of the snapshot's nodes). For the scale bench's `--heap`: where an agent's heap goes at 500 groups.
 */
import { readFileSync } from 'node:fs';

export interface HeapRow {
  what: string;
  count: number;
  mb: number;
}

export interface HeapSummary {
  totalMb: number;
  nodes: number;
  top: HeapRow[];
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** The `top` largest kinds of the snapshot in `file` by self size. */
export function summarizeHeap(file: string, top = 15): HeapSummary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [ti, ni, si] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const by = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + ti]!] ?? '?';
    const size = s.nodes[i + si]!;
    // Objects by their constructor; everything else by its kind (one row for all strings, not one per text).
    const what = type === 'object' ? (s.strings[s.nodes[i + ni]!] ?? '?') : `(${type})`;
    const row = by.get(what) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += size;
    by.set(what, row);
    total += size;
  }
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return {
    totalMb: mb(total),
    nodes: s.nodes.length / width,
    top: [...by.entries()]
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, top)
      .map(([what, r]) => ({ what, count: r.count, mb: mb(r.bytes) })),
  };
}
