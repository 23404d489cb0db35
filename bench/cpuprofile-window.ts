/**
 * Summarize a `.cpuprofile` file (written by `node --cpu-prof`) over one time window only: the top functions and
 * source files by self time. A --cpu-prof profile covers the whole process life (start, convergence, shutdown); its
 * sample timestamps are V8's monotonic clock, which on Linux is CLOCK_MONOTONIC like process.hrtime in any other
 * process, so a bench can name the window it measured and count only the samples inside it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, monotonic. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Consumer {
  what: string;
  /** Time in the window, ms (samples × their intervals): self time, or inclusive in bySrcInclusive. */
  ms: number;
  /** Share of the window's busy time. */
  pct: number;
}

export interface WindowProfile {
  /** Sampled time inside the window, ms: busy (ranked below) and idle (V8's `(idle)` entry, waiting for I/O). */
  busyMs: number;
  idleMs: number;
  byFunction: Consumer[];
  byFile: Consumer[];
  /** WinHA's own functions (src/) by inclusive time: which of our code paths the busy time is spent under. */
  bySrcInclusive: Consumer[];
}

/** Microseconds of the monotonic clock V8's profiler stamps its samples with. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A profile frame's file, as the repository names it (src/…, node_modules/…), or (native). */
export function shortFile(url: string): string {
  if (!url) return '(native)';
  const m = /\/(dist\/)?((src|bench|test|node_modules)\/.*)$/.exec(url);
  return m ? m[2]! : (url.split('/').pop() ?? url);
}

/** The `top` consumers by self time among the samples taken between fromUs and toUs (monotonicMicros). */
export function summarizeWindow(file: string, fromUs: number, toUs: number, top = 12): WindowProfile {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  let idle = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    // A sample's time is the interval before the next one (the last one: none known, so the mean would do; 0 is close).
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    if (t < fromUs || t > toUs) continue;
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    const f = shortFile(n.callFrame.url);
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    const key = n.callFrame.url ? `${name} ${f}:${n.callFrame.lineNumber + 1}` : name;
    fn.set(key, (fn.get(key) ?? 0) + dt);
    byFile.set(f, (byFile.get(f) ?? 0) + dt);
    const seen = new Set<string>();
    for (let a: ProfileNode | undefined = n; a; a = byId.get(parent.get(a.id) ?? -1)) {
      const af = shortFile(a.callFrame.url);
      if (!af.startsWith('src/')) continue;
      const ak = `${a.callFrame.functionName || '(anonymous)'} ${af}:${a.callFrame.lineNumber + 1}`;
      if (!seen.has(ak)) inclusive.set(ak, (inclusive.get(ak) ?? 0) + dt); // once per sample (recursion)
      seen.add(ak);
    }
    total += dt;
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, ms]) => ({ what, ms: Math.round(ms), pct: Math.round((ms / Math.max(1e-9, total)) * 1000) / 10 }));
  return {
    busyMs: Math.round(total),
    idleMs: Math.round(idle),
    byFunction: rank(fn),
    byFile: rank(byFile),
    bySrcInclusive: rank(inclusive),
  };
}
