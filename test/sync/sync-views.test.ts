/**
 * Issue 20: a Sync in `winha status` and on the dashboard — what the operator reads, from the Sync object alone:
 * the revision the store equals, what is pending and why; a refused or failed sync, or drift left uncorrected,
 * is a problem (status exits 1, the dashboard says it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatusView } from '../../src/view/status-view.js';
import { buildDashboardModel } from '../../src/dashboard/model.js';
import { statusText } from '../../src/cli/status-text.js';
import type { StoredObject } from '../../src/store/types.js';
import type { SyncStatus } from '../../src/api/types.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const NOW = Date.parse('2026-12-06T12:00:00Z');

function sync(status: SyncStatus): StoredObject {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Sync',
    metadata: { name: 'prod', namespace: 'default', resourceVersion: '1', creationTimestamp: '2026-12-06T11:00:00Z' },
    spec: {
      source: 'https://git.example.com/ops/winha.git',
      ref: 'main',
      path: 'clusters/prod',
      intervalSeconds: 60,
      prune: true,
      correctDrift: true,
    },
    status,
  } as StoredObject;
}

const input = (s: StoredObject) => ({
  clusters: [],
  groups: [],
  mirrors: [],
  events: [],
  syncs: [s],
  leases: new Map(),
  now: NOW,
  vips: [],
  sites: [],
});

test('a synced Sync: its revision and source, no problem', () => {
  const v = buildStatusView(
    input(sync({ phase: 'Synced', revision: A, lastAppliedRevision: A, lastAttemptTime: '2026-12-06T11:59:30Z', syncer: 'node1' })),
  );
  assert.equal(v.healthy, true);
  const text = statusText(v);
  assert.match(text, /^Sync prod {3}Synced {3}revision aaaaaaaaaaaa$/m);
  assert.match(text, /from: {6}https:\/\/git\.example\.com\/ops\/winha\.git@main path clusters\/prod {3}by node1 {3}last pass 30s ago/);
});

test('a refused revision: pending with the problems counted, the store keeps the last good one; a problem on status and the dashboard', () => {
  const s = sync({
    phase: 'Refused',
    revision: B,
    lastAppliedRevision: A,
    message: `revision ${B.slice(0, 12)} refused: 2 problem(s) in the revision: nothing was applied`,
    problems: [
      { code: 'duplicate-virtual-ip', message: 'x', file: 'clusters/prod/mail.yaml', line: 18, column: 12 },
      { code: 'duplicate-virtual-ip', message: 'y', file: 'clusters/prod/ftp.yaml', line: 18, column: 12 },
    ],
  });
  const v = buildStatusView(input(s));
  assert.equal(v.healthy, false);
  assert.deepEqual(v.problems, [`sync prod: revision bbbbbbbbbbbb refused (2 problem(s)); the store keeps aaaaaaaaaaaa`]);
  const text = statusText(v);
  assert.match(text, /^Sync prod {3}Refused {3}revision aaaaaaaaaaaa$/m);
  assert.match(text, /^ {2}pending: {3}bbbbbbbbbbbb refused$/m);
  assert.match(text, /^ {2}message: {3}revision bbbbbbbbbbbb refused: 2 problem/m);
  const m = buildDashboardModel(input(s));
  assert.equal(m.healthy, false);
  assert.deepEqual(m.problems, v.problems);
  assert.equal(m.syncs?.[0]?.phase, 'Refused');
  assert.equal(m.syncs?.[0]?.problems, 2);
});

test('drift left uncorrected (--no-correct) is a problem; drift that was corrected is not', () => {
  const drift = (corrected: boolean) => [
    { kind: 'FailoverGroup', namespace: 'default', name: 'web', change: 'Modified' as const, corrected },
  ];
  const left = buildStatusView(input(sync({ phase: 'Synced', revision: A, lastAppliedRevision: A, drift: drift(false) })));
  assert.deepEqual(left.problems, ['sync prod: 1 object(s) differ from the repository (not corrected)']);
  assert.match(statusText(left), /drift: {5}1 object\(s\) differ from the repository \(winha describe sync prod\)/);
  const fixed = buildStatusView(input(sync({ phase: 'Synced', revision: A, lastAppliedRevision: A, drift: drift(true) })));
  assert.equal(fixed.healthy, true);
});

test('no Sync: the status view and the dashboard model carry no syncs field (their goldens are unchanged)', () => {
  const v = buildStatusView({ clusters: [], groups: [], mirrors: [], events: [], leases: new Map(), now: NOW });
  assert.equal('syncs' in v, false);
});
