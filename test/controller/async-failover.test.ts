/** Asynchronous mirrors (issue 13 item 7): when a promotion may lose the source's queue, and what it says. */
import { webDataMirror } from '../support/objects.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncFailoverGate, asyncPromotionMessage, asyncRisk, sourceLost } from '../../src/controller/async-failover.js';
import type { DecisionInput } from '../../src/controller/decision-types.js';
import { mirrorStatus, observeMirror } from '../../src/reconcilers/mirror.js';
import type { MirrorVolumeInfo } from '../../src/drivers/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const scheduler = path.resolve(here, '../../../test/scheduler');

/** node2's view after node1 (the async source, 900 writes recorded as queued) crashed. */
function crashed(policy: 'Allow' | 'Refuse' = 'Allow'): DecisionInput {
  const f = JSON.parse(fs.readFileSync(path.join(scheduler, 'm11-async-crash-allow-warns', 'input.json'), 'utf8')) as {
    input: DecisionInput;
  };
  f.input.mirrors[0]!.asyncFailover = policy;
  return f.input;
}

test('the source is lost when its node lease expired, or when it let the group lease expire (not when it released it)', () => {
  const i = crashed();
  assert.equal(sourceLost(i, 'node1'), true);
  i.nodes['node1']!.alive = true;
  assert.equal(sourceLost(i, 'node1'), true, 'its group lease expired under it: crashed, stopped or cut off');
  i.lease = { holder: '', epoch: 1, expired: true };
  assert.equal(sourceLost(i, 'node1'), false, 'it released the lease and is alive: DataKeeper flushes at the switchover');
  assert.equal(sourceLost(i, 'node2'), false, 'never our own copy');
});

test('the risk carries the queue only as the source recorded it, and only for an asynchronous mirror', () => {
  const i = crashed();
  const m = i.mirrors[0]!;
  assert.deepEqual(asyncRisk(i, m, 'node2'), { source: 'node1', queuedWrites: 900 });
  delete m.queuedWrites;
  assert.deepEqual(asyncRisk(i, m, 'node2'), { source: 'node1' }, 'not recorded (a Windows source): unknown');
  m.queuedWrites = { node2: 900 };
  m.recordedBy = 'node2';
  assert.deepEqual(asyncRisk(i, m, 'node2'), { source: 'node1' }, 'a record by another node than the source does not count');
  delete m.mode;
  assert.equal(asyncRisk(i, m, 'node2'), undefined, 'synchronous: nothing queued to lose');
});

test('the Warning says asynchronous and how many writes may be lost, or that the number is unknown', () => {
  assert.equal(
    asyncPromotionMessage('node2', 'E', { source: 'node1', queuedWrites: 900 }),
    'node2 became source of E: automatically (asyncFailover: Allow); the mirror is asynchronous and its source node1 is lost: 900 writes queued on node1 when it last recorded the mirror, and any accepted since, may be lost',
  );
  assert.equal(
    asyncPromotionMessage('node2', 'E', { source: 'node1', forced: true }),
    'node2 became source of E: by operator force; the mirror is asynchronous and its source node1 is lost: an unknown number of writes may be lost',
  );
  assert.match(
    asyncPromotionMessage('node2', 'E', { source: 'node1', queuedWrites: 0 }),
    /writes accepted since node1 last recorded an empty queue may be lost/,
  );
});

test('Refuse gates the automatic promotion and names --force; Allow and a live source do not', () => {
  const r = asyncFailoverGate(crashed('Refuse'), 'node2');
  assert.equal(r?.reason, 'AsyncFailoverRefused');
  assert.match(r.message, /winha switchover web --to node2 --force promotes it accepting that loss/);
  assert.equal(asyncFailoverGate(crashed('Allow'), 'node2'), undefined);
  const graceful = crashed('Refuse');
  graceful.nodes['node1']!.alive = true;
  graceful.lease = { holder: '', epoch: 1, expired: true };
  assert.equal(asyncFailoverGate(graceful, 'node2'), undefined);
});

test('the source records the queue per target in the Mirror status; a synchronous or Windows source records none', () => {
  const m = webDataMirror(2, { mode: 'Asynchronous' });
  const info: MirrorVolumeInfo = {
    volume: 'E',
    role: 'source',
    targets: [{ targetAddress: '172.16.0.12', state: 1, mode: 'Asynchronous', queuedWrites: 12 }],
  };
  const l = observeMirror(info);
  assert.equal(l.mode, 'Asynchronous');
  assert.deepEqual(mirrorStatus({}, m, 'node1', l, 1)['targets'], [{ name: 'node2', state: 1, queuedWrites: 12 }]);
  delete info.targets[0]!.queuedWrites;
  assert.deepEqual(mirrorStatus({}, m, 'node1', observeMirror(info), 1)['targets'], [{ name: 'node2', state: 1 }]);
});
