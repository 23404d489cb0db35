/**
 * kubectl's conveniences in `winha get` and `winha describe` (issue 18), through the built binary against a
 * file store seeded with the example manifests and agent-written status: -o name, jsonpath, custom-columns,
 * --sort-by, KIND/NAME arguments, `get all`, partial success, the MAINTENANCE column and mirror state names.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleFileStore, runWinha, setStatus, startWinha } from '../support/cli.js';
import { openStore } from '../../src/store/index.js';
import { SystemClock } from '../../src/lib/clock.js';

let dir: string;
let storeUrl: string;
const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir });

before(async () => {
  ({ dir, storeUrl } = exampleFileStore('winha-get-'));
  const store = await openStore(storeUrl);
  // web has an epoch, ftp none yet: --sort-by puts ftp last.
  await setStatus(store, 'FailoverGroup', 'web', { activeNode: 'node1', epoch: 12 });
  await setStatus(store, 'Mirror', 'web-data', {
    source: 'node1',
    state: 'Resyncing',
    targets: [{ name: 'node2', state: 2 }],
    nodes: [
      { name: 'node1', role: 'Source', state: 1 },
      { name: 'node2', role: 'Target', state: 2, resyncPercent: 42 },
    ],
  });
  await store.objects.create({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'FailoverGroup', name: 'web', namespace: 'default' },
    type: 'Normal',
    reason: 'Failover',
    message: 'node1 takes over web',
  });
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const clock = new SystemClock();
const lines = (s: string) => s.trimEnd().split('\n');

test('-o name prints kind.group/name, as kubectl and apply name objects', () => {
  const r = winha(['get', 'groups', '-o', 'name']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'failovergroup.winha.io/ftp\nfailovergroup.winha.io/web\n');
  assert.equal(winha(['get', 'vip', 'web-vip', '-o', 'name']).out, 'virtualip.winha.io/web-vip\n');
});

test('-o jsonpath: a list is {kind: List, items}, one named object is the root; range, literals and escapes', () => {
  assert.equal(winha(['get', 'groups', '-o', 'jsonpath={.items[*].metadata.name}']).out, 'ftp web');
  assert.equal(winha(['get', 'groups', '-o', 'jsonpath={.kind}']).out, 'List');
  assert.equal(winha(['get', 'group', 'web', '-o', 'jsonpath={.metadata.name} {.status.epoch}']).out, 'web 12');
  const r = winha(['get', 'groups', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.activeNode}{"\\n"}{end}']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'ftp\t\nweb\tnode1\n');
  const bad = winha(['get', 'groups', '-o', 'jsonpath={range .items[*]}{.metadata.name}']);
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /^winha: JSONPath .*\{range\} without \{end\}.*\[jsonpath-invalid\]\n$/);
  const unsupported = winha(['get', 'groups', '-o', 'jsonpath={.items[?(@.a=~"x")]}']);
  assert.equal(unsupported.code, 2);
  assert.match(unsupported.err, /\[jsonpath-invalid\]/);
});

test('-o custom-columns (and -file): headers as given, <none> for a missing field', () => {
  const r = winha(['get', 'groups', '-o', 'custom-columns=NAME:.metadata.name,ACTIVE:.status.activeNode,Epoch:status.epoch']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out), ['NAME   ACTIVE   Epoch', 'ftp    <none>   <none>', 'web    node1    12']);
  writeFileSync(join(dir, 'cols'), 'NAME      VOLUME\n.metadata.name   .spec.volume\n');
  const f = winha(['get', 'mirrors', '-o', `custom-columns-file=${join(dir, 'cols')}`]);
  assert.deepEqual(lines(f.out), ['NAME       VOLUME', 'ftp-data   F:', 'web-data   E:']);
  const bad = winha(['get', 'groups', '-o', 'custom-columns=NAME']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /HEADER:JSONPATH.*\[output-invalid\]/);
});

test('--sort-by: by a field, numbers numerically, objects without it last', () => {
  const byEpoch = winha(['get', 'groups', '--sort-by=.status.epoch', '-o', 'name']);
  assert.equal(byEpoch.out, 'failovergroup.winha.io/web\nfailovergroup.winha.io/ftp\n');
  // 10.0.0.50 (web-vip) before 10.0.0.51 (ftp-vip): the reverse of the default order by name.
  const table = winha(['get', 'vips', '--sort-by', '{.spec.address}']);
  assert.deepEqual(
    lines(table.out).map((l) => l.split(/\s+/)[0]),
    ['NAME', 'web-vip', 'ftp-vip'],
  );
  const bad = winha(['get', 'groups', '--sort-by', '.a[x]']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /\[jsonpath-invalid\]/);
});

test('KIND/NAME arguments mix kinds: a table per kind, names prefixed with their kind; describe takes them too', () => {
  const r = winha(['get', 'groups/web', 'vips/web-vip']);
  assert.equal(r.code, 0, r.err);
  const [groups, vips] = r.out.split('\n\n');
  assert.match(groups!, /^NAME\s+ACTIVE.*\nfailovergroup\.winha\.io\/web\s+node1\s+12\s+InService/);
  assert.match(vips!, /^NAME\s+ADDRESS.*\nvirtualip\.winha\.io\/web-vip\s+10\.0\.0\.50\s+web/);
  const d = winha(['describe', 'group/web']);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^Name:\s+web\nNamespace:\s+default\nKind:\s+FailoverGroup$/m);
  const mixed = winha(['get', 'groups', 'vips/web-vip']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /no kind is needed before KIND\/NAME.*\[get-args-mixed\]/);
  const mixed2 = winha(['get', 'groups/web', 'ftp']);
  assert.equal(mixed2.code, 2);
  assert.match(mixed2.err, /"ftp" is not KIND\/NAME: once one argument is, every argument must be.*\[get-args-mixed\]/);
});

test('get all: every winha kind but events, each its own table, in a fixed order', () => {
  const r = winha(['get', 'all']);
  assert.equal(r.code, 0, r.err);
  const tables = r.out.trimEnd().split('\n\n');
  assert.deepEqual(
    tables.map((t) => lines(t)[1]!.split('/')[0]),
    ['cluster.winha.io', 'failovergroup.winha.io', 'virtualip.winha.io', 'mirror.winha.io', 'iissite.winha.io'],
  );
  assert.doesNotMatch(r.out, /event/i);
  assert.equal(winha(['get', 'all', '-o', 'name']).out.split('\n').filter(Boolean).length, 9);
  const watch = winha(['get', 'all', '--watch']);
  assert.equal(watch.code, 2);
  assert.match(watch.err, /\[watch-one-kind\]/);
});

test('partial success: the objects found are printed, each missing one is an error with a code, exit 1', () => {
  const r = winha(['get', 'groups', 'web', 'nosuch']);
  assert.equal(r.code, 1);
  assert.deepEqual(
    lines(r.out).map((l) => l.split(/\s+/)[0]),
    ['NAME', 'web'],
  );
  assert.equal(r.err, 'winha get: failovergroup.winha.io/nosuch not found [not-found]\n');
  const n = winha(['get', 'vips/nosuch', 'groups/web', '-o', 'name']);
  assert.equal(n.code, 1);
  assert.equal(n.out, 'failovergroup.winha.io/web\n');
  // One object asked for and missing: the error alone, not an empty List.
  const one = winha(['get', 'group', 'nosuch', '-o', 'json']);
  assert.equal(one.code, 1);
  assert.equal(one.out, '');
  const d = winha(['describe', 'group', 'nosuch', 'web']);
  assert.equal(d.code, 1);
  assert.match(d.out, /^Name:\s+web$/m);
  assert.match(d.err, /failovergroup\.winha\.io\/nosuch not found \[not-found\]/);
});

test('get clusters shows maintenance: <none>, the nodes in it, and the whole cluster', () => {
  const cell = () => {
    const [header, row] = lines(winha(['get', 'clusters']).out);
    assert.match(header!, /^NAME\s+LEASE\s+MAINTENANCE\s+AGE$/);
    return row!.split(/\s+/)[2];
  };
  assert.equal(cell(), '<none>');
  assert.equal(winha(['maintenance', 'on', '--node', 'node2']).code, 0);
  assert.equal(cell(), 'node2');
  assert.equal(winha(['maintenance', 'on']).code, 0);
  assert.equal(cell(), 'cluster,node2');
  assert.match(winha(['describe', 'cluster', 'prod']).out, /^Maintenance:\s+cluster,node2$/m);
  assert.equal(winha(['maintenance', 'off']).code, 0);
  assert.equal(winha(['maintenance', 'off', '--node', 'node2']).code, 0);
  assert.equal(cell(), '<none>');
});

test('describe mirror names the DataKeeper states, with the code beside the name', () => {
  const r = winha(['describe', 'mirror', 'web-data']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /- name: node2\n\s+state: Resyncing \(2\)/);
  assert.match(r.out, /name: node1\n\s+role: Source\n\s+state: Mirroring \(1\)/);
  assert.match(r.out, /^ {2}state: Resyncing$/m);
  assert.doesNotMatch(r.out, /state: \d/);
});

test('--watch keeps the -o form: each change to a group is one more name line', async () => {
  const w = startWinha(['get', 'groups', '-o', 'name', '--watch'], { store: storeUrl, cwd: dir });
  try {
    const webLines = () =>
      w
        .out()
        .split('\n')
        .filter((l) => l === 'failovergroup.winha.io/web').length;
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await clock.sleep(50);
      assert.ok(ok(), `${what}; output so far:\n${w.out()}`);
    };
    await until('the first listing', () => webLines() === 1);
    const store = await openStore(storeUrl);
    await setStatus(store, 'FailoverGroup', 'web', { activeNode: 'node2', epoch: 13 });
    await store.close();
    await until('the change', () => webLines() === 2);
  } finally {
    w.child.kill('SIGINT');
    assert.equal(await w.exited, 0);
  }
});
