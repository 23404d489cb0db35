/**
 * The dashboard's page model (src/dashboard/model.ts): what the grid, mirrors, timeline, warnings and group page
 * show, from store objects, leases and a time. Golden: test/dashboard/golden/*.json (UPDATE_GOLDEN=1 rewrites them;
 * review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { golden as goldenFile } from '../support/golden.js';
import { buildDashboardModel, buildGroupPage, modelSignature } from '../../src/dashboard/model.js';
import { fixtureInput, NOW } from './fixture.js';
import { nodeLeaseKey } from '../../src/view/status-view.js';

const GOLDEN = join(ROOT, 'test', 'dashboard', 'golden');

function golden(name: string, value: unknown): void {
  goldenFile(GOLDEN, name, value);
}

test('the grid: a cell per node the group lists, blank elsewhere; the active mark; a dead node red; lease expiry', () => {
  const m = buildDashboardModel(fixtureInput());
  assert.deepEqual(
    m.nodes.map((n) => [n.name, n.state, n.leaseExpiresAt === null ? null : (n.leaseExpiresAt - NOW) / 1000]),
    [
      ['node1', 'Alive', 13],
      ['node2', 'Dead', -105],
    ],
  );
  const web = m.groups.find((g) => g.name === 'web')!;
  assert.deepEqual(
    Object.values(web.cells).map((c) => [c.node, c.state, c.tone, c.active]),
    [
      ['node1', 'ISP', 'ok', true],
      ['node2', 'Unknown', 'bad', false],
    ],
    'node2 is dead: its cell is red and Unknown whatever it last wrote',
  );
  const ftp = m.groups.find((g) => g.name === 'ftp')!;
  assert.deepEqual(Object.keys(ftp.cells), ['node1'], 'ftp cannot run on node2: no cell');
  assert.deepEqual(
    web.mirrors.map((x) => [x.source, x.targets, x.state, x.resyncPercent]),
    [['node1', ['node2'], 'Resyncing', 42]],
  );
  assert.deepEqual(
    m.timeline.map((r) => `${r.kind} ${r.from ?? '-'}→${r.to} ${r.outageSeconds}s`),
    ['Start -→node2 2s', 'Failover node2→node1 6.5s'],
  );
  assert.deepEqual(
    m.warnings.map((w) => `${w.reason} [${w.code}] ${w.object} ×${w.count}`),
    ['MirrorNotInSync [9704] FailoverGroup/web ×3'],
  );
  assert.equal(m.healthy, false);
  golden('model.json', m);
});

test('the group page: resources in start order (mirror, virtual IP, site) with their conditions and codes', () => {
  const p = buildGroupPage(fixtureInput(), 'default', 'web')!;
  assert.deepEqual(
    p.resources.map((r) => `${r.kind}/${r.name}`),
    ['Mirror/web-data', 'VirtualIP/web-vip', 'IISSite/website1'],
  );
  assert.deepEqual(p.resources[2]!.lastCheck, { result: 'Pass', code: 0, time: '2026-01-01T00:09:55Z' });
  assert.equal(p.conditions.find((c) => c.type === 'MirrorInSync')?.code, 9704);
  assert.equal(buildGroupPage(fixtureInput(), 'default', 'nope'), null);
  golden('group-web.json', p);
});

test('the signature ignores the time and lease renewals, not a move of the active node', () => {
  const a = fixtureInput();
  const b = { ...fixtureInput(), now: NOW + 5000 };
  const node1 = nodeLeaseKey('default', 'prod', 'node1');
  b.leases.set(node1, { ...b.leases.get(node1)!, renewTime: '2026-01-01T00:10:04Z' });
  assert.equal(modelSignature(buildDashboardModel(a)), modelSignature(buildDashboardModel(b)));
  const c = fixtureInput();
  (c.groups[0]!.status as { activeNode: string }).activeNode = 'node2';
  assert.notEqual(modelSignature(buildDashboardModel(a)), modelSignature(buildDashboardModel(c)));
});

test('a group whose active node is dead counts down to the takeover: when its group lease runs out', () => {
  const input = fixtureInput();
  const dead = '2026-01-01T00:09:40Z'; // node1, web's active node, last renewed 20 s ago (15 s leases)
  input.leases.set(nodeLeaseKey('default', 'prod', 'node1'), {
    ...input.leases.get(nodeLeaseKey('default', 'prod', 'node1'))!,
    renewTime: dead,
  });
  const groupLease = { name: 'group.default.web', holder: 'node1', epoch: 3, acquireTime: dead, renewTime: '2026-01-01T00:09:52Z' };
  input.groupLeases = new Map([['default/web', { ...groupLease, leaseDurationSeconds: 15, revision: '9' }]]);
  const web = buildDashboardModel(input).groups.find((g) => g.name === 'web')!;
  assert.equal(web.ready.reason, 'ActiveNodeDead');
  assert.equal(web.takeoverAt, Date.parse('2026-01-01T00:10:07Z'), 'renewTime + 15 s: 7 s from now');
  input.groupLeases = new Map([['default/web', { ...groupLease, holder: 'node2', leaseDurationSeconds: 15, revision: '10' }]]);
  const taken = buildDashboardModel(input).groups.find((g) => g.name === 'web')!;
  assert.deepEqual([taken.takeoverAt, taken.takeoverBy], [null, 'node2'], 'node2 holds the lease: it is bringing web up');
  input.groupLeases = new Map();
  assert.equal(buildDashboardModel(input).groups.find((g) => g.name === 'web')!.takeoverAt, null, 'not read: no countdown');
  assert.equal(buildDashboardModel(fixtureInput()).groups.find((g) => g.name === 'web')!.takeoverAt, null, 'active node alive');
});
