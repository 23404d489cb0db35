/**
 * `winha status` end to end: the example manifests applied to a file store, status written as agents
 * would (a dead node2, web on node1 resyncing E: at 42 %), then the binary's text, JSON and exit codes;
 * and the watch loop on a memory store, stopped by the test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { exampleFileStore, runWinha, setStatus, startWinha } from '../support/cli.js';
import { MIRROR_NOT_IN_SYNC, PROD_STATUS, WEB_DATA_RESYNCING, WEB_LAST_FAILOVER, WEB_NODE_STATES } from '../support/status-fixture.js';
import { openStore, MemoryStore, type Store } from '../../src/store/index.js';
import { SystemClock, type Clock } from '../../src/lib/clock.js';
import { statusLoop } from '../../src/cli/commands/status.js';
import type { CliIO } from '../../src/cli/io.js';
import type { StatusView } from '../../src/view/status-view.js';

let dir: string;
let storeUrl: string;
const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir });

/** The system clock shifted into the past: a lease renewed by it is that old. */
function pastClock(ms: number): Clock {
  const c = new SystemClock();
  return { now: () => c.now() - ms, monotonic: () => c.monotonic(), setTimer: (t, f) => c.setTimer(t, f), sleep: (t, s) => c.sleep(t, s) };
}

const ready = { type: 'Ready', status: 'True', reason: 'Serving' };

/** What agents would have written: node2 dead for two minutes, web and ftp on node1, E: resyncing at 42 %. */
async function seedDegraded(store: Store): Promise<void> {
  await setStatus(store, 'Cluster', 'prod', PROD_STATUS);
  const nodes = WEB_NODE_STATES;
  await setStatus(store, 'FailoverGroup', 'web', {
    activeNode: 'node1',
    epoch: 3,
    phase: 'InService',
    nodes,
    lastFailover: WEB_LAST_FAILOVER,
    conditions: [
      ready,
      { type: 'Degraded', status: 'True', reason: 'MirrorResyncing', message: 'E: resyncing to node2' },
      MIRROR_NOT_IN_SYNC,
    ],
  });
  await setStatus(store, 'FailoverGroup', 'ftp', { activeNode: 'node1', epoch: 1, phase: 'InService', nodes, conditions: [ready] });
  await setStatus(store, 'Mirror', 'web-data', WEB_DATA_RESYNCING);
  await setStatus(store, 'Mirror', 'ftp-data', { source: 'node1', state: 'Mirroring', targets: [{ name: 'node2', state: 1 }] });
}

before(async () => {
  ({ dir, storeUrl } = exampleFileStore('winha-status-'));
  const store = await openStore(storeUrl);
  await seedDegraded(store);
  await store.leases.acquire('node.default.prod.node1', 'node1', 15);
  await store.close();
  // node2's agent predates per-Cluster node leases: status reads its legacy node.NODE lease.
  const old = await openStore(storeUrl, { clock: pastClock(120_000) });
  await old.leases.acquire('node.node2', 'node2', 15);
  await old.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('status shows the dead node, node states, the resyncing mirror and the failover; exit 1', () => {
  const r = winha(['status']);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^Cluster prod {3}1\/2 nodes alive$/m);
  assert.match(r.out, /^ {2}node1 {3}Alive {3}\d+s ago$/m);
  assert.match(r.out, /^ {2}node2 {3}Dead {4}2m ago$/m);
  assert.match(r.out, /^Group web {3}active on node1 {3}Ready {3}Degraded \(MirrorResyncing\) {3}epoch 3$/m);
  assert.match(r.out, /^ {2}nodes: {5}node1 ISP {3}node2 Unknown$/m);
  assert.match(r.out, /^ {2}mirror: {4}web-data E: node1→node2 Resyncing 42%$/m);
  assert.match(
    r.out,
    /^ {2}failover: {2}node2 → node1 {3}Failover {3}\S+ ago \(2026-01-01T00:05:00Z\): node2 stopped renewing its lease$/m,
  );
  assert.match(r.out, /^ {2}warning: {3}MirrorInSync MirrorNotInSync \[9704\]: node2 is not Mirroring$/m);
  assert.match(r.out, /^Group ftp {3}active on node1 {3}Ready {3}epoch 1$/m);
  assert.match(r.out, /^ {2}mirror: {4}ftp-data F: node1→node2 Mirroring$/m);
  assert.match(r.out, /^PROBLEMS: node node2 of cluster prod is dead; group web is degraded \(MirrorResyncing\)\.$/m);
});

test('status -o json: the documented Status shape', () => {
  const r = winha(['status', '-o', 'json']);
  assert.equal(r.code, 1, r.err);
  const v = JSON.parse(r.out) as StatusView;
  assert.equal(v.kind, 'Status');
  assert.equal(v.healthy, false);
  assert.deepEqual(
    v.clusters[0]!.nodes.map((n) => [n.name, n.state]),
    [
      ['node1', 'Alive'],
      ['node2', 'Dead'],
    ],
  );
  assert.ok(v.clusters[0]!.nodes[1]!.leaseAgeSeconds! >= 120);
  const web = v.groups.find((g) => g.name === 'web')!;
  assert.deepEqual(web.mirrors[0], {
    name: 'web-data',
    volume: 'E:',
    source: 'node1',
    targets: ['node2'],
    state: 'Resyncing',
    resyncPercent: 42,
  });
  assert.equal(web.lastFailover?.from, 'node2');
  const y = winha(['status', '-o', 'yaml']);
  assert.match(y.out, /^kind: Status$/m);
});

test('get groups -o wide shows NODES and MIRROR', () => {
  const r = winha(['get', 'groups', '-o', 'wide']);
  assert.equal(r.code, 0, r.err);
  const [header, ...rows] = r.out.trimEnd().split('\n');
  assert.match(header!, /\bAGE {3}NODES +MIRROR$/);
  assert.match(
    rows.find((l) => l.startsWith('web '))!,
    /node1:ISP,node2:OSU {3}E: node1→node2 Resyncing 42%$/,
  );
});

test('usage and store errors exit 2', () => {
  assert.equal(winha(['status', '-o', 'xml']).code, 2);
  const bad = runWinha(['status', '--store', 'bogus://nowhere'], { cwd: dir });
  assert.equal(bad.code, 2, bad.err);
  // A store that does not answer: monitoring must tell "cannot look" (2) from "unhealthy" (1).
  const down = runWinha(['status', '--store', 'etcd://127.0.0.1:1', '--etcd-request-timeout', '300'], { cwd: dir });
  assert.equal(down.code, 2, down.err);
  assert.match(down.err, /^winha status: .*unreachable/m);
});

test('status exits 0 once every node is alive and every group ready and in sync', async () => {
  const store = await openStore(storeUrl);
  try {
    await store.leases.acquire('node.node2', 'node2', 15); // the legacy lease renewed: node2 alive again
    await setStatus(store, 'FailoverGroup', 'web', { activeNode: 'node1', epoch: 3, conditions: [ready] });
    await setStatus(store, 'Mirror', 'web-data', { source: 'node1', state: 'Mirroring', targets: [{ name: 'node2', state: 1 }] });
  } finally {
    await store.close();
  }
  const r = winha(['status']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^OK: every group in service is ready\.$/m);
});

test('status --watch stops cleanly on SIGINT', async () => {
  const w = startWinha(['status', '--watch'], { store: storeUrl, cwd: dir });
  for (let i = 0; i < 800 && !/^OK:/m.test(w.out()); i++) await new SystemClock().sleep(25);
  assert.match(w.out(), /^OK:/m);
  w.child.kill('SIGINT');
  assert.equal(await w.exited, 0, w.out());
});

function captureIO(): { io: CliIO; out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  const io: CliIO = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: '.' };
  return { io, out: () => out };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new SystemClock().sleep(10);
  assert.ok(cond());
}

test('watch, not on a TTY: the view again only when it changed; stops after maxRenders or on abort', async () => {
  const store = new MemoryStore('memory://status-watch');
  const cluster = {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { nodes: [{ name: 'node1', address: '10.0.0.1' }] },
  };
  await store.objects.create(cluster);
  await store.objects.create({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: { nodes: [{ name: 'node1', priority: 1 }] },
  });
  await store.leases.acquire('node.default.prod.node1', 'node1', 15);
  const { io, out } = captureIO();
  const views = () => out().split(/^Cluster prod/m).length - 1;
  const loop = statusLoop(store, { namespace: 'default', output: 'text', watch: true, clock: new SystemClock(), maxRenders: 2 }, io);
  await until(() => views() === 1);
  assert.match(out(), /NOT READY \(NotReported\)/);
  // A change that does not change the view (an unrelated event) prints nothing.
  await store.objects.create({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Event',
    metadata: { name: 'e1' },
    reason: 'Noise',
    involvedObject: { kind: 'Cluster', name: 'prod' },
  });
  await setStatus(store, 'FailoverGroup', 'web', {
    activeNode: 'node1',
    epoch: 1,
    nodes: [{ name: 'node1', state: 'ISP' }],
    conditions: [ready],
  });
  assert.equal(await loop, true, 'healthy at the last view');
  assert.equal(views(), 2);
  assert.match(out().split(/^Cluster prod/m)[2]!, /active on node1 {3}Ready {3}epoch 1/);

  const stop = new AbortController();
  const second = captureIO();
  const loop2 = statusLoop(
    store,
    { namespace: 'default', output: 'json', watch: true, clock: new SystemClock(), signal: stop.signal },
    second.io,
  );
  await until(() => second.out().includes('"kind": "Status"'));
  stop.abort();
  assert.equal(await loop2, true);
  await store.close();
});

test('watch on a TTY: each view is drawn in place (home, clear screen)', async () => {
  const store = new MemoryStore('memory://status-tty');
  await store.objects.create({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'web' },
    spec: { nodes: [{ name: 'node1', priority: 1 }] },
  });
  const { io, out } = captureIO();
  Object.assign(io.stdout, { isTTY: true });
  const loop = statusLoop(store, { namespace: 'default', output: 'text', watch: true, clock: new SystemClock(), maxRenders: 2 }, io);
  await until(() => out().includes('Group web'));
  await setStatus(store, 'FailoverGroup', 'web', { activeNode: 'node1', epoch: 1, conditions: [ready] });
  assert.equal(await loop, true);
  const frames = out().split('\x1b[H\x1b[2J');
  assert.equal(frames.length, 3, 'two frames, each after a clear');
  assert.match(frames[2]!, /^Group web {3}active on node1 {3}Ready {3}epoch 1$/m);
  await store.close();
});
