/**
 * Issue 20: `winha sync` inside the agent (AgentConfig spec.sync), the way a Windows service runs it: an agent
 * started on an empty store with a sync of its own waits for the repository to bring the Cluster that names its
 * node, then serves its groups; a bad sync setting stops it before it starts (exit 2, with its place).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha, untilOutput } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';
import type { SyncStatus } from '../../src/api/types.js';
import { makeRepo } from '../sync/fixture.js';
import { readFileSync } from 'node:fs';

let dir: string;
let repo: ReturnType<typeof makeRepo>;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-agent-sync-'));
  repo = makeRepo(dir);
  repo.commit({ 'clusters/prod/all.yaml': readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8') }, 'the web cluster');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, sync: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n  node: node1\n  store: {url: file://./store}\n  driver: {type: sim}\n  stopTimeoutSeconds: 5\n  sync:\n${sync}`,
  );
  return file;
}

const until = untilOutput;

test('an agent on an empty store with spec.sync brings its Cluster from git and serves its groups', async () => {
  const cfg = config('agent.yaml', `    from: ${repo.url}\n    path: clusters/prod\n    interval: 5s\n    prune: true\n`);
  const r = startWinha(['agent', '--config', cfg], { cwd: dir });
  try {
    await until('web held by node1', r, () => (/node1 holds web \(epoch \d+\) and serves it/.test(r.out()) ? true : undefined));
    const store = await openStore(`file://${join(dir, 'store')}`);
    try {
      // The objects land before the pass records Synced (the agent may serve in between): wait for the record.
      const read = async () => (await store.objects.get('Sync', 'default', 'default')).status as SyncStatus;
      await until('the Sync recorded', r, async () => ((await read()).phase === 'Synced' ? true : undefined));
      const st = await read();
      assert.equal(st.phase, 'Synced');
      assert.equal(st.syncer, 'node1', 'the agent syncs as its node');
    } finally {
      await store.close();
    }
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0, r.out().slice(-3000));
  } finally {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
  }
});

test('a bad spec.sync stops the agent before it starts: exit 2, the place and the code', () => {
  const badInterval = config('bad-interval.yaml', `    from: ${repo.url}\n    interval: 2s\n`);
  let r = runWinha(['agent', '--config', badInterval], { cwd: dir, timeout: 30_000 });
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.err, /bad-interval\.yaml:\d+:\d+: spec\.sync\.interval 2s: .*between 5s and 24h/);
  const secret = config('secret.yaml', `    from: https://ops:s3cret@git.example.com/ops.git\n`);
  r = runWinha(['agent', '--config', secret], { cwd: dir, timeout: 30_000 });
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.err, /\[credentials-in-url\]/);
  assert.doesNotMatch(r.out + r.err, /s3cret/);
});
