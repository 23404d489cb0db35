/**
 * The built `winha` binary for the operator commands and the agent, against a
 * temporary file store: switchover (M7's refusal without --force), clear,
 * maintenance, and `winha agent --driver sim` converging one node and serving
 * /healthz, /readyz and /metrics until SIGTERM.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
let storeUrl: string;

const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir });

async function withStore<T>(f: (s: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const s = await openStore(storeUrl);
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

const annotations = (kind: string, name: string) =>
  withStore(async (s) => (await s.objects.get(kind, 'default', name)).metadata.annotations ?? {});

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-operate-'));
  storeUrl = `file://${join(dir, 'store')}`;
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(r.code, 0, r.err);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('winha switchover: writes the request; refuses a resyncing target without --force (M7) and names the reason; --force goes through', async () => {
  const bad = winha(['switchover', 'web', '--to', 'node9']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /node9 is not a node of group web/);
  await withStore(async (s) => {
    const m = await s.objects.get('Mirror', 'default', 'web-data');
    await s.objects.updateStatus({
      ...m,
      status: { source: 'node1', sourceEpoch: 1, recordedBy: 'node1', targets: [{ name: 'node2', state: 2 }], state: 'Resyncing' },
    });
  });
  const refused = winha(['switchover', 'web', '--to', 'node2']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.err,
    /switchover refused: node2's mirror E:? is in state 2, not Mirroring \(1\); --force promotes it anyway and data written since may be lost/,
  );
  assert.equal((await annotations('FailoverGroup', 'web'))['winha.io/switchover'], undefined, 'nothing requested');
  const forced = winha(['switchover', 'web', '--to', 'node2', '--force']);
  assert.equal(forced.code, 0, forced.err);
  assert.match(forced.out, /switchover of web to node2 \(forced: data may be lost\) requested/);
  const req = JSON.parse((await annotations('FailoverGroup', 'web'))['winha.io/switchover']!);
  assert.equal(req.to, 'node2');
  assert.equal(req.force, true);
  assert.match(req.requestedAt, /^\d{4}-\d\d-\d\dT/);
  // Mirroring again: a plain request is accepted.
  await withStore(async (s) => {
    const m = await s.objects.get('Mirror', 'default', 'web-data');
    await s.objects.updateStatus({ ...m, status: { ...(m.status as object), targets: [{ name: 'node2', state: 1 }], state: 'Mirroring' } });
  });
  const ok = winha(['switchover', 'web', '--to', 'node2']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse((await annotations('FailoverGroup', 'web'))['winha.io/switchover']!).force, false);
});

test('winha clear: lifts bans and failure counts, of one node or all', async () => {
  await withStore(async (s) => {
    const g = await s.objects.get('FailoverGroup', 'default', 'web');
    await s.objects.updateStatus({
      ...g,
      status: {
        ...(g.status as object),
        nodes: [
          { name: 'node1', state: 'OSF', bannedUntil: '2030-01-01T00:00:00Z', failures: 3, restarts: ['2026-01-01T00:00:00Z'] },
          { name: 'node2', state: 'OSF', bannedUntil: '2030-01-01T00:00:00Z', failures: 1 },
        ],
      },
    });
  });
  const nodes = () =>
    withStore(async (s) => ((await s.objects.get('FailoverGroup', 'default', 'web')).status as { nodes: Record<string, unknown>[] }).nodes);
  const one = winha(['clear', 'web', '--node', 'node1']);
  assert.equal(one.code, 0, one.err);
  assert.match(one.out, /cleared bans and failure counts of web on node1/);
  let n = await nodes();
  assert.deepEqual(
    n.find((x) => x['name'] === 'node1'),
    { name: 'node1', state: 'OSF' },
  );
  assert.equal(n.find((x) => x['name'] === 'node2')!['bannedUntil'], '2030-01-01T00:00:00Z');
  assert.equal(winha(['clear', 'web']).code, 0);
  n = await nodes();
  assert.ok(n.every((x) => x['bannedUntil'] === undefined && x['failures'] === undefined));
  const missing = winha(['clear', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /group nope not found/);
});

test('winha maintenance on|off for a group, a node and the cluster', async () => {
  assert.equal(winha(['maintenance', 'on', '--group', 'web']).code, 0);
  assert.equal((await annotations('FailoverGroup', 'web'))['winha.io/maintenance'], 'true');
  assert.equal(winha(['maintenance', 'off', '--group', 'web']).code, 0);
  assert.equal((await annotations('FailoverGroup', 'web'))['winha.io/maintenance'], undefined);
  const cluster = await withStore(async (s) => (await s.objects.list('Cluster')).items[0]!.metadata.name);
  assert.equal(winha(['maintenance', 'on', '--node', 'node2']).code, 0);
  assert.equal(winha(['maintenance', 'on', '--node', 'node1']).code, 0);
  assert.equal((await annotations('Cluster', cluster))['winha.io/maintenance-nodes'], 'node1,node2');
  assert.equal(winha(['maintenance', 'off', '--node', 'node2']).code, 0);
  assert.equal((await annotations('Cluster', cluster))['winha.io/maintenance-nodes'], 'node1');
  assert.equal(winha(['maintenance', 'off', '--node', 'node1']).code, 0);
  assert.equal((await annotations('Cluster', cluster))['winha.io/maintenance-nodes'], undefined);
  const on = winha(['maintenance', 'on']);
  assert.equal(on.code, 0);
  assert.match(on.out, /maintenance on for the cluster/);
  assert.equal((await annotations('Cluster', cluster))['winha.io/maintenance'], 'true');
  assert.equal(winha(['maintenance', 'off']).code, 0);
  assert.equal((await annotations('Cluster', cluster))['winha.io/maintenance'], undefined);
  const both = winha(['maintenance', 'on', '--group', 'web', '--node', 'node1']);
  assert.notEqual(both.code, 0);
  assert.match(both.err, /choose --group or --node/);
  const mode = winha(['maintenance', 'sideways']);
  assert.notEqual(mode.code, 0);
});

test('winha agent --driver sim converges node1 and serves /healthz /readyz /metrics; SIGTERM exits 0', { timeout: 90_000 }, async () => {
  // Start clean: no request or fake status left by the tests above.
  await withStore(async (s) => {
    for (const kind of ['FailoverGroup', 'Mirror']) {
      for (const o of (await s.objects.list(kind)).items) {
        const ann = { ...(o.metadata.annotations ?? {}) };
        delete ann['winha.io/switchover'];
        const cur = await s.objects.update({ ...o, metadata: { ...o.metadata, annotations: ann } });
        await s.objects.updateStatus({ ...cur, status: {} });
      }
    }
  });
  const agent = startWinha(['agent', '--node', 'node1', '--driver', 'sim', '--listen', '127.0.0.1:0'], { store: storeUrl, cwd: dir });
  const { child, exited } = agent;
  try {
    const deadline = async <T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> => {
      for (let waited = 0; waited < ms; waited += 100) {
        const v = await f();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${what} not reached; agent output:\n${agent.out().slice(-3000)}`);
    };
    const addr = await deadline(
      'listen address',
      async () => /serving \/healthz \/readyz \/metrics on ([\d.]+:\d+)/.exec(agent.out())?.[1],
    );
    // No retry: the agent answers each request on its own connection, so a poll never meets a socket it closed.
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      const r = await fetch(`http://${addr}${path}`);
      return { status: r.status, body: await r.text() };
    };
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok\n' });
    await deadline('/readyz 200', async () => ((await get('/readyz')).status === 200 ? true : undefined));
    await deadline('web Ready on node1', async () => {
      const g = winha(['get', 'group', 'web', '-o', 'json']);
      const st = JSON.parse(g.out).status ?? {};
      return st.activeNode === 'node1' &&
        st.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')
        ? true
        : undefined;
    });
    const groups = winha(['get', 'groups']);
    assert.match(groups.out, /^web\s+node1\s+True\s+1\s/m);
    await deadline('site and VIP status', async () => {
      const sites = winha(['get', 'sites']).out;
      const vips = winha(['get', 'vips']).out;
      return /^website1\s+website1\s+Web\s+web\s+node1\s+True/m.test(sites) && /^web-vip\s+\S+\s+web\s+node1\s+True/m.test(vips)
        ? true
        : undefined;
    });
    const mirrors = winha(['get', 'mirrors']).out;
    assert.match(mirrors.split('\n')[0]!, /^NAME\s+VOLUME\s+GROUP\s+SOURCE\s+STATE\s+AGE$/);
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    for (const m of ['winha_workqueue_depth', 'winha_reconcile_total', 'winha_group_lease_held', 'winha_checks_total'])
      assert.match(metrics.body, new RegExp(`^# HELP ${m}`, 'm'));
    assert.match(metrics.body, /winha_group_lease_held\{group="default\/web"\} 1/);
    assert.match(agent.out(), /"msg":"node1 takes over web/, 'one JSON log line per decision, with its reason');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
