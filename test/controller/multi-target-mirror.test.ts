/**
 * A Mirror with three endpoints (issue 13): the source records every target's state, the gate reads each node's
 * own copy (docs/spec/seed003-dk-guide-troubleshooting.md §4.3: A→B Mirroring, A→C Paused: B yes, C no), and a live
 * endpoint with no mirror role is one the source still has to create a mirror to.
 */
import { webDataMirror } from '../support/objects.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mirror } from '../../src/api/types.js';
import { mirrorGate } from '../../src/controller/mirror-gate.js';
import { mirrorViews } from '../../src/controller/decision-input.js';
import { mirrorStatus, observeMirror } from '../../src/reconcilers/mirror.js';

const mirror = (status: Mirror['status'] = {}): Mirror => webDataMirror(3, { mode: 'Synchronous' }, status);

const local = observeMirror({
  volume: 'E',
  role: 'source',
  sourceSystem: 'node1',
  targets: [
    { targetAddress: '172.16.0.12', state: 1 },
    { targetAddress: '172.16.0.13', state: 4 },
  ],
});

test('the source records each target by node, and the worst state as the mirror state', () => {
  assert.equal(local.state, 4, 'a source reports its worst target');
  const st = mirrorStatus({}, mirror(), 'node1', local, 3);
  assert.deepEqual(st['targets'], [
    { name: 'node2', state: 1 },
    { name: 'node3', state: 4 },
  ]);
  assert.equal(st['state'], 'Paused');
});

test('the gate reads each node its own copy: node2 (Mirroring) passes although node3 (Paused) does not', () => {
  const st = mirrorStatus({}, mirror(), 'node1', local, 3) as Mirror['status'];
  const [view] = mirrorViews('node2', [mirror(st)], new Map(), () => true);
  assert.deepEqual(mirrorGate(view!, 'node2'), { ok: true });
  const c = mirrorGate(view!, 'node3');
  assert.ok(!c.ok && c.reason === 'MirrorNotInSync' && /node3's mirror E: was Paused/.test(c.message), JSON.stringify(c));
});

test('a live endpoint that reports no mirror role and gets none from the source is listed as unmirrored', () => {
  const one = observeMirror({ volume: 'E', role: 'source', sourceSystem: 'node1', targets: [{ targetAddress: '172.16.0.12', state: 1 }] });
  const status: Mirror['status'] = {
    source: 'node1',
    recordedBy: 'node1',
    nodes: [
      { name: 'node2', role: 'Target', state: 1 },
      { name: 'node3', role: 'None', state: 0 },
    ],
  };
  const alive = (n: string) => n !== 'node4';
  const [v] = mirrorViews('node1', [mirror(status)], new Map([['web-data', one]]), alive);
  assert.deepEqual(v!.unmirrored, ['node3']);
  const [down] = mirrorViews('node1', [mirror(status)], new Map([['web-data', one]]), (n) => n !== 'node3');
  assert.equal(down!.unmirrored, undefined, 'a node that is down reports nothing that counts');
});
