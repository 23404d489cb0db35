/**
 * `winha dashboard` as a user runs it: it never creates a store, refuses actions on a non-loopback address unless
 * told, checks its token file, prints its URL (and a new token once), serves the model, accepts an action with the
 * token, and stops on SIGTERM with exit 0.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { SystemClock } from '../../src/lib/clock.js';

let dir: string;
let storeUrl: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-dash-cli-'));
  storeUrl = `file://${join(dir, 'store')}`;
  const r = runWinha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')], { store: storeUrl, cwd: dir });
  assert.equal(r.code, 0, r.err);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('refusals: no store is created; actions off loopback need --allow-remote-actions; a bad token file', () => {
  const missing = runWinha(['dashboard', '--listen', '0'], { store: `file://${join(dir, 'nope')}`, cwd: dir });
  assert.equal(missing.code, 2, missing.err);
  assert.equal(existsSync(join(dir, 'nope')), false);
  const remote = runWinha(['dashboard', '--listen', '0.0.0.0:0', '--allow-actions'], { store: storeUrl, cwd: dir });
  assert.equal(remote.code, 2);
  assert.match(remote.err, /\[dashboard-actions-remote\]/);
  writeFileSync(join(dir, 'short'), 'abc\n');
  const short = runWinha(['dashboard', '--listen', '0', '--allow-actions', '--token-file', join(dir, 'short')], {
    store: storeUrl,
    cwd: dir,
  });
  assert.equal(short.code, 2);
  assert.match(short.err, /at least 16 printable characters \[dashboard-token-file\]/);
  const bad = runWinha(['dashboard', '--listen', 'nowhere:1'], { store: storeUrl, cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /\[agent-listen-invalid\]/);
});

test('serves the store, prints the URL and the token once, takes an action with it, stops on SIGTERM', async () => {
  const r = startWinha(['dashboard', '--listen', '127.0.0.1:0', '--allow-actions'], { store: storeUrl, cwd: dir });
  const clock = new SystemClock();
  const until = clock.monotonic() + 15_000;
  while (!/Token for actions \(shown once\): \S+/.test(r.out()) && clock.monotonic() < until) await clock.sleep(50);
  const url = /^Dashboard: (\S+) \(actions allowed with the token/m.exec(r.out())?.[1];
  const token = /Token for actions \(shown once\): (\S+)/.exec(r.out())?.[1];
  assert.ok(url && token, r.out());
  try {
    const model = (await (await fetch(`${url}api/status`)).json()) as { groups: { name: string }[]; actions: boolean };
    assert.deepEqual(
      model.groups.map((g) => g.name),
      ['ftp', 'web'],
    );
    assert.equal(model.actions, true);
    const res = await fetch(`${url}api/actions/maintenance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ group: 'web', enabled: true }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const described = runWinha(['get', 'group', 'web', '-o', 'json'], { store: storeUrl, cwd: dir });
    assert.match(described.out, /"winha.io\/maintenance": "true"/);
  } finally {
    r.child.kill('SIGTERM');
  }
  assert.equal(await r.exited, 0, r.out());
});

test("winha agent --listen serves the dashboard's pages, read-only", async () => {
  const r = startWinha(['agent', '--node', 'node1', '--driver', 'sim', '--listen', '127.0.0.1:0'], { store: storeUrl, cwd: dir });
  const clock = new SystemClock();
  const until = clock.monotonic() + 20_000;
  let address: string | undefined;
  while (!(address = /serving \/healthz \/readyz \/metrics on ([\d.]+:\d+)/.exec(r.out())?.[1]) && clock.monotonic() < until)
    await clock.sleep(50);
  try {
    assert.ok(address, r.out());
    const page = await fetch(`http://${address}/`);
    assert.match(await page.text(), /<title>WinHA dashboard<\/title>/);
    const model = (await (await fetch(`http://${address}/api/status`)).json()) as { kind: string; actions: boolean };
    assert.equal(model.kind, 'DashboardModel');
    assert.equal(model.actions, false);
    const post = await fetch(`http://${address}/api/actions/clear`, {
      method: 'POST',
      headers: { authorization: 'Bearer anything-at-all-0123456789', 'content-type': 'application/json' },
      body: '{"group":"web"}',
    });
    assert.equal(post.status, 403);
    assert.equal((await fetch(`http://${address}/healthz`)).status, 200);
  } finally {
    r.child.kill('SIGTERM');
  }
  assert.equal(await r.exited, 0, r.out().slice(-2000));
});
