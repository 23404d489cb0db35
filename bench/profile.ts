/**
 * CPU profile of a stretch of this process (node:inspector's Profiler, as `--cpu-prof` but around one window), summed
 * into its top consumers: self time by function and by source file, as a share of the samples.
 */
import { Session } from 'node:inspector/promises';
import { shortFile } from './cpuprofile-window.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface Consumer {
  what: string;
  pct: number;
}

export interface ProfileSummary {
  samples: number;
  byFunction: Consumer[];
  byFile: Consumer[];
}

/** Run `body` under the sampling profiler; its result and the `top` consumers by function and by file. */
export async function profiled<T>(body: () => Promise<T>, top = 12): Promise<{ result: T; profile: ProfileSummary }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  const result = await body();
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
  session.disconnect();
  return { result, profile: summarize(profile.nodes, top) };
}

function summarize(nodes: ProfileNode[], top: number): ProfileSummary {
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const f = shortFile(n.callFrame.url);
    const name = n.callFrame.functionName || '(anonymous)';
    const key = n.callFrame.url ? `${name} ${f}:${n.callFrame.lineNumber + 1}` : name;
    fn.set(key, (fn.get(key) ?? 0) + hits);
    file.set(f, (file.get(f) ?? 0) + hits);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, hits]) => ({ what, pct: Math.round((hits / Math.max(1, total)) * 1000) / 10 }));
  return { samples: total, byFunction: rank(fn), byFile: rank(file) };
}
