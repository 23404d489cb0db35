/**
 * bench/sync: `winha sync --once` (the built CLI, what an operator or the agent runs) over a git repository of
 * N groups (a group and its VIP per file) on the file store: the first pass (everything created), a pass over
 * an unchanged revision (what every interval costs), a commit changing one group, and a pass correcting one
 * drifted object. Prints one JSON line per size. Not a test: timings are of this machine.
 *   node dist/bench/sync.js [sizes, default 100,500]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/index.js';
import { CLUSTER, groupYaml, makeRepo } from '../test/sync/fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'winha.js');

function files(n: number, priority2 = 10): Record<string, string> {
  const out: Record<string, string> = { 'prod/cluster.yaml': CLUSTER };
  for (let i = 0; i < n; i++)
    out[`prod/g${i}.yaml`] = groupYaml(`g${i}`, `10.${Math.floor(i / 250)}.${i % 250}.10`, i === 0 ? priority2 : 10);
  return out;
}

function pass(url: string, store: string, cwd: string): { seconds: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'sync', '--from', url, '--path', 'prod', '--once', '--prune', '--store', store], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
  });
  if (r.status !== 0) throw new Error(`winha sync failed: ${r.stdout}${r.stderr}`);
  return { seconds: Math.round((performance.now() - t0) / 10) / 100, out: r.stdout };
}

const sizes = (process.argv[2] ?? '100,500').split(',').map(Number);
for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'winha-bench-sync-'));
  try {
    const repo = makeRepo(dir);
    const store = `file://${join(dir, 'store')}`;
    repo.commit(files(n), 'all');
    const first = pass(repo.url, store, dir);
    const unchanged = pass(repo.url, store, dir);
    repo.commit(files(n, 20), 'one group changed');
    const oneChange = pass(repo.url, store, dir);
    const s = await openStore(store);
    const g = await s.objects.get('FailoverGroup', 'default', 'g1');
    await s.objects.update({ ...g, spec: { ...(g.spec as object), switchback: 'Automatic' } });
    await s.close();
    const drift = pass(repo.url, store, dir);
    if (!/drift: failovergroup\/g1/.test(drift.out)) throw new Error(`drift not found: ${drift.out}`);
    console.log(
      JSON.stringify({
        bench: 'sync',
        groups: n,
        objects: 2 * n + 1,
        firstPassS: first.seconds,
        unchangedPassS: unchanged.seconds,
        oneCommitPassS: oneChange.seconds,
        driftPassS: drift.seconds,
        note: 'wall time of one `winha sync --once` process each (node start, git fetch, validate, apply), file store',
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
