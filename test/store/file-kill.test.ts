/**
 * The file store under kill -9 (issue 14 item 1): child writers doing CAS
 * increments and creates are killed at random moments and restarted; then no
 * revision was acknowledged twice and every acknowledged write is in the
 * journal and readable. A second run checks the lock alone: never two live
 * processes inside. WINHA_KILL_TEST_SECONDS lengthens each run (default 12).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../../src/store/index.js';
import type { JournalFile } from '../../src/store/file/journal.js';
import { tempStoreDir } from './file-harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env['WINHA_KILL_TEST_SECONDS'] ?? 12);
const T = { timeout: (SECONDS * 2 + 60) * 1000 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  lines: string[];
  errors: string[];
  kills: number;
}

/** Start `slots` children of `script`, kill -9 one at random every minMs–maxMs and restart it, for SECONDS. */
async function killLoop(script: string, dir: string, slots: number, minMs = 200, maxMs = 1200): Promise<Run> {
  const run: Run = { lines: [], errors: [], kills: 0 };
  const children: ChildProcess[] = [];
  const start = (slot: number, gen: number): void => {
    const child = spawn(process.execPath, [path.join(here, 'helpers', script), dir, `${slot}g${gen}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!; // an unfinished line was never acknowledged
      run.lines.push(...parts);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') run.errors.push(`${script} ${slot}g${gen} exited ${code ?? signal}: ${err}`);
    });
    children[slot] = child;
  };
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
  for (let i = 0; i < slots; i++) start(i, 0);
  const deadline = Date.now() + SECONDS * 1000;
  for (let gen = 1; Date.now() < deadline; gen++) {
    await sleep(minMs + Math.random() * (maxMs - minMs));
    const slot = Math.floor(Math.random() * slots);
    const c = children[slot]!;
    c.kill('SIGKILL');
    await exited(c);
    run.kills++;
    start(slot, gen);
  }
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map(exited));
  return run;
}

describe('file:// under kill -9', () => {
  it('acknowledges each revision once and loses no acknowledged write', T, async () => {
    const dir = await tempStoreDir();
    try {
      const s = await FileStore.open(dir);
      await s.objects.create({ apiVersion: 'test/v1', kind: 'Counter', metadata: { name: 'c' }, spec: { count: 0 } });
      await s.close();
      const run = await killLoop('kill-writer.js', dir, 5);
      assert.deepEqual(run.errors, []);
      const acks = run.lines.map((l) => JSON.parse(l) as { op: string; rev: string; count?: number; name?: string; uid?: string });
      const byRev = new Map<string, number>();
      for (const a of acks) byRev.set(a.rev, (byRev.get(a.rev) ?? 0) + 1);
      const twice = [...byRev].filter(([, n]) => n > 1).length;

      const journal = new Map<number, JournalFile['changes'][number]>();
      for (const f of await fs.readdir(path.join(dir, 'journal'))) {
        if (!/^\d{20}\.json$/.test(f)) continue;
        const j = JSON.parse(await fs.readFile(path.join(dir, 'journal', f), 'utf8')) as JournalFile;
        for (const c of j.changes) journal.set(c.revision, c);
      }
      const reader = await FileStore.open(dir);
      let missing = 0;
      for (const a of acks) {
        const c = journal.get(Number(a.rev));
        const o = c?.resource === 'object' ? c.object : undefined;
        if (a.op === 'inc' && (o?.kind !== 'Counter' || (o.spec as { count: number }).count !== a.count)) missing++;
        if (a.op === 'create') {
          const read = await reader.objects.get('Item', 'default', a.name!).catch(() => undefined);
          if (o?.metadata.uid !== a.uid || read?.metadata.uid !== a.uid) missing++;
        }
      }
      const counter = await reader.objects.get('Counter', 'default', 'c');
      const counts = [...journal.values()].flatMap((c) =>
        c.resource === 'object' && c.object.kind === 'Counter' ? [(c.object.spec as { count: number }).count] : [],
      );
      await reader.close();
      const incs = acks.filter((a) => a.op === 'inc').length;
      process.stdout.write(
        `# kill -9 writers: ${SECONDS} s, ${run.kills} kills, ${acks.length} acknowledged writes (${incs} increments), ${twice} revisions acknowledged twice, ${missing} missing\n`,
      );
      assert.ok(run.kills > 3 && incs > 0, `the loop ran (${run.kills} kills, ${incs} increments)`);
      assert.equal(twice, 0, 'no revision acknowledged twice');
      assert.equal(missing, 0, 'every acknowledged write is in the journal and readable');
      assert.deepEqual(
        counts,
        Array.from({ length: counts.length }, (_, i) => i),
        'the counter went 0, 1, 2... one revision each',
      );
      assert.equal((counter.spec as { count: number }).count, counts.length - 1);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('never lets two live processes hold the lock', T, async () => {
    const dir = await tempStoreDir();
    try {
      const run = await killLoop('kill-locker.js', dir, 8, 50, 300); // more holders die: more races to break their locks
      assert.deepEqual(run.errors, []);
      const entries = run.lines.filter((l) => l === 'ok').length;
      const violations = run.lines.filter((l) => l.startsWith('VIOLATION')).length;
      process.stdout.write(
        `# kill -9 lockers: ${SECONDS} s, ${run.kills} kills, ${entries} entries, ${violations} with two live holders\n`,
      );
      assert.ok(entries > 0);
      assert.equal(violations, 0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
