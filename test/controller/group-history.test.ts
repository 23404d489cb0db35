/**
 * The group's history (issue 18 item 2), the pure part: appending with the bound, the entries of a takeover, a
 * fence and a ban, and `winha history`'s table.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HISTORY_LIMIT,
  appendHistory,
  banEntry,
  fenceEntry,
  lastServing,
  parseHistory,
  takeoverEntry,
  type HistoryEntry,
} from '../../src/controller/status/group-history.js';
import { renderHistory } from '../../src/cli/commands/history.js';
import { historyRows } from '../../src/view/history-rows.js';
import type { StoredObject } from '../../src/store/types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const entry = (s: number, kind: HistoryEntry['kind'] = 'Failover', epoch = s): HistoryEntry => ({
  at: at(s),
  kind,
  from: 'node1',
  to: 'node2',
  reason: `r${s}`,
  epoch,
});

describe('group history: append', () => {
  it('keeps the newest HISTORY_LIMIT (50) entries, oldest first', () => {
    let h: HistoryEntry[] = [];
    for (let i = 0; i < 60; i++) h = appendHistory(h, [entry(i)]);
    assert.equal(HISTORY_LIMIT, 50);
    assert.equal(h.length, 50);
    assert.equal(h[0]!.reason, 'r10');
    assert.equal(h[49]!.reason, 'r59');
  });

  it('a custom bound; an entry already there is not added twice (a retried write)', () => {
    const h = appendHistory(appendHistory([], [entry(1), entry(2)], 3), [entry(2), entry(3), entry(4)], 3);
    assert.deepEqual(
      h.map((e) => e.reason),
      ['r2', 'r3', 'r4'],
    );
  });

  it('sorted by time: a fence reported late goes before the takeover that followed it', () => {
    const h = appendHistory([entry(20, 'Failover')], [{ ...entry(5, 'Fence'), to: undefined }]);
    assert.deepEqual(
      h.map((e) => e.kind),
      ['Fence', 'Failover'],
    );
  });

  it('a reason longer than 1024 characters is cut', () => {
    const [e] = appendHistory([], [{ ...entry(1), reason: 'x'.repeat(5000) }]);
    assert.equal(e!.reason.length, 1024);
  });

  it('parseHistory drops what is not an entry', () => {
    assert.deepEqual(parseHistory(undefined), []);
    assert.deepEqual(parseHistory([entry(1), { at: 1 }, null, { at: at(2), kind: 'Nope', reason: '' }]), [entry(1)]);
  });
});

describe('group history: entries', () => {
  it('a takeover: from the detection, outage to Ready, the new epoch', () => {
    const e = takeoverEntry({
      kind: 'Failover',
      from: 'node1',
      to: 'node2',
      reason: 'node1 silent',
      epoch: 3,
      detectedAt: T0,
      now: T0 + 4_250,
    });
    assert.deepEqual(e, { at: at(0), kind: 'Failover', from: 'node1', to: 'node2', reason: 'node1 silent', epoch: 3, outageSeconds: 4.3 });
    const start = takeoverEntry({ kind: 'Start', from: '', to: 'node1', reason: 'r', epoch: 1, detectedAt: T0, now: T0 });
    assert.equal(start.from, undefined);
    assert.equal(start.outageSeconds, 0);
  });

  it('lastServing: the last takeover target (fences and bans skipped), for a switchover from a released lease', () => {
    assert.equal(lastServing([]), undefined);
    assert.equal(lastServing([entry(1), { at: at(2), kind: 'Ban', from: 'node9', to: 'node9', reason: 'b' }]), 'node2');
  });

  it('a fence: what it stopped, the holder now, out of service until served again', () => {
    const f = { at: T0, epoch: 2, sites: ['website1'], addresses: ['10.0.0.50'], servedAgainAt: T0 + 12_000 };
    const e = fenceEntry(f, 'node1', 'node1', 3000);
    assert.equal(e.kind, 'Fence');
    assert.equal(e.from, 'node1');
    assert.equal(e.to, undefined);
    assert.equal(e.outageSeconds, 12);
    assert.match(e.reason, /renewDeadline \(3 s\); stopped site website1, removed address 10\.0\.0\.50/);
    const lost = fenceEntry({ ...f, servedAgainAt: undefined }, 'node1', 'node2', 3000);
    assert.equal(lost.to, 'node2');
    assert.equal(lost.outageSeconds, undefined);
  });

  it('a ban: code, reason and until', () => {
    const e = banEntry('node1', { reason: 'W3SVC cannot start', code: 9607, until: T0 + 3600_000 }, 4, T0);
    assert.deepEqual(e, { at: at(0), kind: 'Ban', from: 'node1', reason: `[9607] W3SVC cannot start (until ${at(3600)})`, epoch: 4 });
  });
});

describe('winha history: rendering', () => {
  const group = (name: string, history: HistoryEntry[]): StoredObject =>
    ({ apiVersion: 'winha.io/v1alpha1', kind: 'FailoverGroup', metadata: { name, namespace: 'default' }, status: { history } }) as never;

  it('every group merged by time; the table WHEN / GROUP / KIND / FROM → TO / EPOCH / OUTAGE / REASON', () => {
    const rows = historyRows([
      group('web', [entry(10, 'Failover'), { ...entry(200, 'Switchover'), outageSeconds: 150 }]),
      group('api', [{ at: at(50), kind: 'Ban', from: 'node2', reason: 'banned' }]),
      group('empty', []),
    ]);
    assert.deepEqual(
      rows.map((r) => `${r.group}:${r.kind}`),
      ['web:Failover', 'api:Ban', 'web:Switchover'],
    );
    const text = renderHistory(rows);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^WHEN\s+GROUP\s+KIND\s+FROM → TO\s+EPOCH\s+OUTAGE\s+REASON$/);
    assert.match(lines[1]!, /^2026-01-01T12:00:10Z\s+web\s+Failover\s+node1 → node2\s+10\s+-\s+r10$/);
    assert.match(lines[2]!, /api\s+Ban\s+node2 → -\s+-\s+-\s+banned$/);
    assert.match(lines[3]!, /web\s+Switchover\s+node1 → node2\s+200\s+2m30s\s+r200$/);
  });
});
