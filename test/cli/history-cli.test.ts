/**
 * The built `winha history` against a temporary file store whose group status carries a history (as the agents
 * write it after a crash of node1 and a switchover): the table oldest first, one group or all merged by time,
 * -o json / yaml, an unknown group.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { exampleFileStore, runWinha } from '../support/cli.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
let storeUrl: string;

const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir });

const HISTORY = [
  {
    at: '2026-01-01T12:00:00Z',
    kind: 'Start',
    to: 'node1',
    reason: 'node1 takes over web: nobody holds it yet',
    epoch: 1,
    outageSeconds: 1.8,
  },
  {
    at: '2026-01-01T12:00:08Z',
    kind: 'Failover',
    from: 'node1',
    to: 'node2',
    reason: "node2 takes over web: node1's lease expired",
    epoch: 2,
    outageSeconds: 4.5,
  },
  {
    at: '2026-01-01T12:05:00Z',
    kind: 'Switchover',
    from: 'node2',
    to: 'node1',
    reason: 'operator requested a switchover to node1',
    epoch: 3,
    outageSeconds: 1,
  },
];

before(async () => {
  ({ dir, storeUrl } = exampleFileStore('winha-history-'));
  const s = await openStore(storeUrl);
  try {
    const g = await s.objects.get('FailoverGroup', 'default', 'web');
    await s.objects.updateStatus({ ...g, status: { ...(g.status ?? {}), history: HISTORY } });
    // A second group with a ban between the failover and the switchover: all groups merge by time.
    const api = await s.objects.create({
      apiVersion: g.apiVersion,
      kind: g.kind,
      metadata: { name: 'api', namespace: 'default' },
      spec: g.spec,
    });
    const ban = { at: '2026-01-01T12:01:00Z', kind: 'Ban', from: 'node2', reason: '[9607] W3SVC cannot start', epoch: 1 };
    await s.objects.updateStatus({ ...api, status: { history: [ban] } });
  } finally {
    await s.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('winha history web: the table, oldest first: WHEN / GROUP / KIND / FROM → TO / EPOCH / OUTAGE / REASON', () => {
  const r = winha(['history', 'web']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^WHEN\s+GROUP\s+KIND\s+FROM → TO\s+EPOCH\s+OUTAGE\s+REASON$/);
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^2026-01-01T12:00:00Z\s+web\s+Start\s+- → node1\s+1\s+1\.8s\s+node1 takes over web/);
  assert.match(
    lines[2]!,
    /^2026-01-01T12:00:08Z\s+web\s+Failover\s+node1 → node2\s+2\s+4\.5s\s+node2 takes over web: node1's lease expired$/,
  );
  assert.match(lines[3]!, /^2026-01-01T12:05:00Z\s+web\s+Switchover\s+node2 → node1\s+3\s+1s\s+operator requested/);
});

test('winha history (no group): every group of the namespace merged by time', () => {
  const r = winha(['history']);
  assert.equal(r.code, 0, r.err);
  const kinds = r.out
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/).slice(1, 3).join(':'));
  assert.deepEqual(kinds, ['web:Start', 'web:Failover', 'api:Ban', 'web:Switchover']);
});

test('winha history -o json / yaml; an unknown group fails; another namespace has none', () => {
  const j = winha(['history', 'web', '-o', 'json']);
  assert.equal(j.code, 0, j.err);
  const rows = JSON.parse(j.out) as Record<string, unknown>[];
  assert.deepEqual(
    rows.map((x) => [x['group'], x['kind'], x['from'], x['to'], x['outageSeconds']]),
    [
      ['web', 'Start', undefined, 'node1', 1.8],
      ['web', 'Failover', 'node1', 'node2', 4.5],
      ['web', 'Switchover', 'node2', 'node1', 1],
    ],
  );
  const y = winha(['history', 'web', '-o', 'yaml']);
  assert.equal(y.code, 0, y.err);
  assert.match(y.out, /kind: Failover/);
  const missing = winha(['history', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /failovergroup "nope" not found/);
  const other = winha(['history', '-n', 'other']);
  assert.equal(other.code, 0);
  assert.equal(other.out, '');
  assert.match(other.err, /No history in namespace other/);
});
