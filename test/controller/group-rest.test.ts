/**
 * When a group may skip the beat (src/controller/group-rest.ts), as a table: the steady holder rests until its
 * next check (at most MAX_REST_MS), the steady standby one check interval; anything unfinished, uncertain or about
 * to change brings it back every beat.
 * Golden: test/controller/golden/group-rest.json (UPDATE_GOLDEN=1 rewrites it; review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { golden } from '../support/golden.js';
import { MAX_REST_MS, restMs, type RestInput } from '../../src/controller/group-rest.js';

const STEADY: RestInput = {
  batched: true,
  listed: true,
  holds: true,
  peerHolds: false,
  storeOk: true,
  role: 'active',
  actions: 0,
  events: 0,
  settled: true,
  requeueAfterMs: undefined,
  wrote: false,
  pending: false,
  switchbackWatch: false,
  clustered: true,
  mirrored: false,
  retryMs: 2000,
  untilChecksMs: 7000,
};

const CASES: [string, Partial<RestInput>][] = [
  ['steady holder: rests until its next check', {}],
  ['check interval longer than the cap', { untilChecksMs: 180_000 }],
  ['next check within a beat: no point resting', { untilChecksMs: 1500 }],
  ['check overdue', { untilChecksMs: -5 }],
  ['store without batched renewals (kubernetes://): renews in its reconcile', { batched: false }],
  ['standby, a live peer holds: rests one quick-check interval', { holds: false, peerHolds: true, role: 'standby', untilChecksMs: 10_000 }],
  ['standby, the lease free or run out: a candidate', { holds: false, peerHolds: false, role: 'candidate', untilChecksMs: 10_000 }],
  ['standby, no peer holds it (the role says standby)', { holds: false, peerHolds: false, role: 'standby', untilChecksMs: 10_000 }],
  [
    'standby where the store cannot list leases (kubernetes://)',
    { listed: false, holds: false, peerHolds: true, role: 'standby', untilChecksMs: 10_000 },
  ],
  ['standby with a mirror', { holds: false, peerHolds: true, role: 'standby', untilChecksMs: 10_000, mirrored: true }],
  ['standby that wrote status this cycle', { holds: false, peerHolds: true, role: 'standby', untilChecksMs: 10_000, wrote: true }],
  ['standby with its own actions (drift to undo)', { holds: false, peerHolds: true, role: 'standby', untilChecksMs: 10_000, actions: 1 }],
  ['holder fencing', { role: 'fencing' }],
  ['store did not answer this cycle', { storeOk: false }],
  ['actions to run', { actions: 2 }],
  ['an event to report', { events: 1 }],
  ['an action failed or an address in detection', { settled: false }],
  ['a transient retry asked to come back', { requeueAfterMs: 1000 }],
  ['status written this cycle', { wrote: true }],
  ['a failure, fence or blindness remembered', { pending: true }],
  ['automatic switchback to a better member possible', { switchbackWatch: true }],
  ['no Cluster owns the group', { clustered: false }],
  ['a mirror: its state reaches the store every beat (the standby’s mirror gate reads it)', { mirrored: true }],
];

test('restMs: a table of holders and how long each may skip the beat', () => {
  const table = CASES.map(([name, change]) => ({ name, change, restMs: restMs({ ...STEADY, ...change }) ?? null }));
  golden(join(ROOT, 'test', 'controller', 'golden'), 'group-rest.json', table);
  assert.equal(restMs(STEADY), 7000);
  assert.equal(restMs({ ...STEADY, untilChecksMs: 10 * 60_000 }), MAX_REST_MS);
  assert.deepEqual(
    table.filter((r) => r.restMs !== null).map((r) => r.name),
    [CASES[0]![0], CASES[1]![0], 'standby, a live peer holds: rests one quick-check interval'],
    'only the steady holder and the steady standby rest',
  );
});
