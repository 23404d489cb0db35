/**
 * The pure decisions of winha sync (src/sync/drift.ts, src/sync/sync-status.ts): what is drift, what may be
 * pruned, the Sync status and the events after each kind of pass. Golden: test/sync/golden/status-sequence.json
 * (UPDATE_GOLDEN=1 rewrites it; review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { golden as goldenFile } from '../support/golden.js';
import { findDrift, manifestDigest, pruneKeys, type InventoryEntry } from '../../src/sync/drift.js';
import { attemptEvents, nextStatus, DRIFT_LIMIT, DRIFT_DIFF_LIMIT, type Attempt } from '../../src/sync/sync-status.js';
import type { ApplyOutcome } from '../../src/apply/apply.js';
import type { SyncStatus } from '../../src/api/types.js';

const GOLDEN = join(ROOT, 'test', 'sync', 'golden');

function golden(name: string, value: unknown): void {
  goldenFile(GOLDEN, name, value);
}

const id = (kind: string, name: string, digest = 'd1'): InventoryEntry => ({ kind, namespace: 'default', name, digest });
const out = (kind: string, name: string, action: ApplyOutcome['action']): ApplyOutcome => ({ kind, namespace: 'default', name, action });

test('the digest ignores key order and changes with any value', () => {
  assert.equal(manifestDigest({ a: 1, b: { c: [1, 2] } }), manifestDigest({ b: { c: [1, 2] }, a: 1 }));
  assert.notEqual(manifestDigest({ a: 1, b: { c: [1, 2] } }), manifestDigest({ a: 1, b: { c: [2, 1] } }));
});

test('drift: only what git kept as it was and the store changed or lost; a change in git, a new object or no history is never drift', () => {
  const previous = [id('FailoverGroup', 'web'), id('VirtualIP', 'web-vip'), id('FailoverGroup', 'ftp'), id('FailoverGroup', 'mail')];
  const desired = [id('FailoverGroup', 'web'), id('VirtualIP', 'web-vip'), id('FailoverGroup', 'ftp', 'd2'), id('FailoverGroup', 'new')];
  const outcomes = [
    out('FailoverGroup', 'web', 'configured'), // git same, store edited → Modified
    out('VirtualIP', 'web-vip', 'created'), // git same, store lost it → Deleted
    out('FailoverGroup', 'ftp', 'configured'), // git changed it → an update
    out('FailoverGroup', 'new', 'created'), // new in git
  ];
  assert.deepEqual(
    findDrift(previous, desired, outcomes, true).map((d) => [d.name, d.change, d.corrected]),
    [
      ['web', 'Modified', true],
      ['web-vip', 'Deleted', true],
    ],
  );
  assert.deepEqual(findDrift(undefined, desired, outcomes, true), [], 'the first pass finds no drift');
  assert.deepEqual(findDrift(previous, desired, [out('FailoverGroup', 'web', 'unchanged')], false), [], 'an unchanged object is not drift');
});

test('prune: what the last pass applied and the revision dropped, nothing else', () => {
  const previous = [id('FailoverGroup', 'web'), id('FailoverGroup', 'mail'), id('VirtualIP', 'mail-vip')];
  assert.deepEqual([...pruneKeys(previous, [id('FailoverGroup', 'web')])], ['FailoverGroup/default/mail', 'VirtualIP/default/mail-vip']);
  assert.deepEqual([...pruneKeys(undefined, [id('FailoverGroup', 'web')])], []);
});

test('the Sync status and events through synced → refused → failed → synced with drift (golden)', () => {
  const rev = (r: string, subject?: string) => ({
    revision: r,
    root: '/repo',
    dir: '/repo/clusters/prod',
    ...(subject ? { subject } : {}),
  });
  const sync = { kind: 'Sync', namespace: 'default', name: 'prod' };
  const attempts: Attempt[] = [
    { kind: 'applying', revision: rev('a'.repeat(40), 'first') },
    {
      kind: 'pass',
      revision: rev('a'.repeat(40), 'first'),
      result: {
        outcome: 'Synced',
        applied: 3,
        unchanged: 0,
        pruned: 0,
        objects: [],
        drift: [],
        inventory: [id('FailoverGroup', 'web')],
        message: '3 object(s): 3 applied, 0 unchanged, 0 pruned',
      },
    },
    {
      kind: 'pass',
      revision: rev('b'.repeat(40), 'broken'),
      result: {
        outcome: 'Refused',
        message: '4 problem(s) in the revision: nothing was applied',
        problems: [1, 2, 3, 4].map((i) => ({ code: 'duplicate-virtual-ip', message: `p${i}`, file: `f${i}.yaml`, line: i, column: 3 })),
      },
    },
    { kind: 'failed', code: 'source-unreachable', message: 'git.example.com: connection refused [source-unreachable]' },
    {
      kind: 'pass',
      revision: rev('c'.repeat(40), 'fixed'),
      result: {
        outcome: 'Synced',
        applied: 1,
        unchanged: 2,
        pruned: 1,
        objects: [],
        drift: [{ kind: 'FailoverGroup', namespace: 'default', name: 'web', change: 'Modified', corrected: true, diff: '-a\n+b\n' }],
        inventory: [id('FailoverGroup', 'web')],
        message: '3 object(s): 1 applied, 2 unchanged, 1 pruned, 1 drifted (corrected)',
      },
    },
  ];
  let status: SyncStatus = {};
  const steps: unknown[] = [];
  attempts.forEach((a, i) => {
    const now = new Date(Date.parse('2026-12-06T12:00:00Z') + i * 60_000).toISOString();
    const events = attemptEvents(status, a, sync);
    status = nextStatus(status, a, 'node1', now);
    steps.push({ attempt: a.kind === 'pass' ? a.result.outcome : a.kind, status, events });
  });
  golden('status-sequence.json', steps);
});

test('status keeps at most DRIFT_LIMIT drift entries, diffs on the first DRIFT_DIFF_LIMIT (one store write must hold it)', () => {
  const drift = Array.from({ length: DRIFT_LIMIT + 50 }, (_, i) => ({
    kind: 'VirtualIP',
    namespace: 'default',
    name: `v${i}`,
    change: 'Modified' as const,
    corrected: true,
    diff: 'x'.repeat(4000),
  }));
  const s = nextStatus(
    {},
    {
      kind: 'pass',
      revision: { revision: 'r', root: '/', dir: '/' },
      result: { outcome: 'Synced', applied: 0, unchanged: 0, pruned: 0, objects: [], drift, inventory: [], message: 'm' },
    },
    'n',
    't',
  );
  assert.equal(s.drift?.length, DRIFT_LIMIT);
  assert.equal(s.drift?.filter((d) => d.diff).length, DRIFT_DIFF_LIMIT);
  assert.ok(JSON.stringify(s).length < 200_000);
});
