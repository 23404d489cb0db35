/** The mirror gate's evidence: a source's record proves a target in sync only until the source is seen serving after it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorGate } from '../../src/controller/mirror-gate.js';
import type { MirrorView } from '../../src/controller/decision-types.js';

const recorded: MirrorView = {
  name: 'web-data',
  volume: 'E',
  source: 'node1',
  sourceEpoch: 1,
  recordedBy: 'node1',
  targets: { node2: 1 },
  claimedSources: ['node1'],
  local: { role: 'target', state: 1 },
};

test('a target the source recorded as Mirroring passes the gate', () => {
  assert.deepEqual(mirrorGate(recorded, 'node2'), { ok: true });
});

test('the same record no longer passes once the previous active was seen serving after it (fuzz seed 650)', () => {
  const r = mirrorGate({ ...recorded, recordPredatesServing: true }, 'node2');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'MirrorNotInSync');
  assert.match(!r.ok ? r.message : '', /node1 was seen still serving after it last recorded mirror E:/);
});

test('the source itself is never blocked by its own stale record', () => {
  assert.deepEqual(mirrorGate({ ...recorded, recordPredatesServing: true }, 'node1'), { ok: true });
});
