/**
 * The built `winha` binary against a temporary file store: apply, diff, get,
 * describe, delete, events. Covers acceptance rows V7, V8 and C7.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
let storeUrl: string;

const winha = (args: string[], input?: string) => runWinha(args, { store: storeUrl, cwd: dir, ...(input !== undefined ? { input } : {}) });

const twoNode = () => readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-cli-'));
  storeUrl = `file://${join(dir, 'store')}`;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('V8: a set with one invalid object writes nothing and shows the problem', () => {
  const bad = twoNode().replace('siteName: website1', 'siteName: "Web Site_1"');
  writeFileSync(join(dir, 'bad.yaml'), bad);
  const r = winha(['apply', '-f', join(dir, 'bad.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid-site-name/);
  assert.match(r.err, /bad\.yaml/);
  assert.match(r.err, /nothing was written/);
  // Not even the store was created; and a read does not create it either (issue 18 item 4): it says so, exit 2.
  assert.ok(!existsSync(join(dir, 'store')), 'no store was created');
  const g = winha(['get', 'groups', '-o', 'json']);
  assert.equal(g.code, 2);
  assert.match(g.err, /store.*does not exist/);
});

test('apply creates every object; get shows the printer columns', () => {
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /failovergroup\.winha\.io\/web created/);
  assert.match(r.out, /iissite\.winha\.io\/website1 created/);
  const g = winha(['get', 'groups']);
  assert.equal(g.code, 0);
  const [header, ...rows] = g.out.trim().split('\n');
  assert.match(header!, /^NAME\s+ACTIVE\s+READY\s+EPOCH\s+DESIRED\s+AGE$/);
  assert.deepEqual(
    rows.map((l) => l.split(/\s+/)[0]),
    ['ftp', 'web'],
  );
  const s = winha(['get', 'site', 'website1', '-o', 'yaml']);
  assert.match(s.out, /siteName: website1/);
});

test('C7 and V7: re-applying an unchanged set changes nothing; diff exits 0', async () => {
  const store = await openStore(storeUrl);
  const before = await store.objects.list('FailoverGroup');
  await store.close();
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(r.code, 0);
  assert.equal(
    r.out
      .trim()
      .split('\n')
      .every((l) => l.endsWith(' unchanged')),
    true,
    r.out,
  );
  const store2 = await openStore(storeUrl);
  const after = await store2.objects.list('FailoverGroup');
  await store2.close();
  assert.equal(after.resourceVersion, before.resourceVersion, 'no write: the store revision did not move');
  assert.deepEqual(
    after.items.map((o) => o.metadata.generation),
    before.items.map((o) => o.metadata.generation),
  );
  const d = winha(['diff', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(d.code, 0);
  assert.equal(d.out, '');
});

test('V7: diff with a change exits 1 and shows a unified diff; with an invalid file exits 2', () => {
  writeFileSync(join(dir, 'changed.yaml'), twoNode().replace('priority: 10', 'priority: 20'));
  const d = winha(['diff', '-f', join(dir, 'changed.yaml')]);
  assert.equal(d.code, 1);
  assert.match(d.out, /^-\s+priority: 10$/m);
  assert.match(d.out, /^\+\s+priority: 20$/m);
  assert.match(d.out, /^--- live\/failovergroups\.winha\.io\/default\/web$/m);
  writeFileSync(join(dir, 'invalid.yaml'), twoNode().replace('priority: 10', 'priority: 1'));
  const bad = winha(['diff', '-f', join(dir, 'invalid.yaml')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /duplicate-priority/);
  assert.equal(winha(['diff', '-f', join(dir, 'missing.yaml')]).code, 2);
});

test('apply of a change configures only the changed objects, and keeps fields others wrote', async () => {
  const store = await openStore(storeUrl);
  const g = await store.objects.get('FailoverGroup', 'default', 'web');
  await store.objects.updateStatus({ ...g, status: { activeNode: 'node1', epoch: 3 } });
  await store.close();
  const r = winha(['apply', '-f', join(dir, 'changed.yaml')]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.includes('failovergroup.winha.io/web configured'));
  assert.ok(lines.includes('failovergroup.winha.io/ftp unchanged'));
  assert.ok(lines.includes('iissite.winha.io/website1 unchanged'));
  const get = JSON.parse(winha(['get', 'group', 'web', '-o', 'json']).out);
  assert.equal(get.spec.nodes[1].priority, 20);
  assert.deepEqual(get.status, { activeNode: 'node1', epoch: 3 }, 'status written by an agent survives apply');
  assert.equal(get.metadata.generation, 2);
  const table = winha(['get', 'groups']).out;
  assert.match(table, /^web\s+node1\s+3\s+InService/m);
});

test('--dry-run reports without writing; -o json gives the outcomes', () => {
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--dry-run', '-o', 'json']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.dryRun, true);
  assert.ok(out.objects.some((o: any) => o.name === 'web' && o.action === 'configured'));
  assert.equal(winha(['diff', '-f', join(dir, 'changed.yaml')]).code, 0, 'nothing was written by the dry run');
});

test('prune deletes what an earlier apply created and the set no longer has (only with -l)', () => {
  const labelled = (text: string) => text.replace(/^metadata:\n {2}name: (\S+)$/gm, 'metadata:\n  name: $1\n  labels: {app: shop}');
  writeFileSync(join(dir, 'labelled.yaml'), labelled(twoNode()));
  assert.equal(winha(['apply', '-f', join(dir, 'labelled.yaml')]).code, 0);
  const withoutFtp = labelled(twoNode())
    .split(/^---$/m)
    .filter((d) => !/name: ftp/.test(d))
    .join('---');
  writeFileSync(join(dir, 'less.yaml'), withoutFtp);
  assert.equal(winha(['apply', '-f', join(dir, 'less.yaml'), '--prune']).code, 2, '--prune without -l is refused');
  const r = winha(['apply', '-f', join(dir, 'less.yaml'), '--prune', '-l', 'app=shop']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /failovergroup\.winha\.io\/ftp pruned/);
  assert.match(r.out, /iissite\.winha\.io\/ftpsite1 pruned/);
  assert.doesNotMatch(r.out, /web pruned/);
  assert.equal(winha(['get', 'group', 'ftp']).code, 1);
});

test('describe shows spec, status, conditions and events; events lists them', async () => {
  const store = await openStore(storeUrl);
  const g = await store.objects.get('FailoverGroup', 'default', 'web');
  await store.objects.updateStatus({
    ...g,
    status: {
      activeNode: 'node2',
      epoch: 4,
      conditions: [
        {
          type: 'PromotionBlocked',
          status: 'True',
          reason: 'MirrorNotInSync',
          message: 'mirror web-data was resyncing',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  });
  await store.objects.create({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'FailoverGroup', name: 'web', namespace: 'default' },
    node: 'node2',
    type: 'Normal',
    reason: 'Failover',
    code: 9407,
    message: 'node2 takes over web',
    count: 1,
    lastTimestamp: '2026-01-01T00:00:05Z',
  });
  await store.close();
  const d = winha(['describe', 'fg', 'web']);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^Active node:\s+node2$/m);
  assert.match(d.out, /^Epoch:\s+4$/m);
  assert.match(d.out, /PromotionBlocked\s+True\s+MirrorNotInSync/);
  assert.match(d.out, /Failover\s+node2\s+9407\s+1\s+node2 takes over web/);
  const e = winha(['events', '--for', 'group/web']);
  assert.equal(e.code, 0);
  assert.match(e.out, /Failover\s+failovergroup\/web\s+node2\s+9407/);
  assert.equal(winha(['describe', 'group', 'nope']).code, 1);
});

test('delete by name and by file; unknown kinds and missing objects are clear errors', () => {
  const r = winha(['delete', 'vip', 'web-vip']);
  assert.equal(r.code, 0);
  assert.match(r.out, /virtualip\.winha\.io\/web-vip deleted/);
  const again = winha(['delete', 'vip', 'web-vip']);
  assert.equal(again.code, 1);
  assert.match(again.err, /not found/);
  assert.equal(winha(['delete', 'vip', 'web-vip', '--ignore-not-found']).code, 0);
  const bad = winha(['get', 'widgets']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown kind "widgets"/);
  const f = winha(['delete', '-f', join(dir, 'less.yaml'), '--ignore-not-found']);
  assert.equal(f.code, 0, f.err);
  assert.match(f.out, /failovergroup\.winha\.io\/web deleted/);
});

test('apply reads manifests from standard input', () => {
  const r = winha(['apply', '-f', '-'], twoNode());
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /failovergroup\.winha\.io\/web created/);
});
