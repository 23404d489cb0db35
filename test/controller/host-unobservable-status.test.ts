/**
 * What a holder writes when it gives its group up because its own host does not answer (issue 18 item 4): the
 * group stops reading Ready at once, with the reason, and keeps the rest of what it said.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverGroup } from '../../src/api/types.js';
import { hostUnobservableStatus } from '../../src/controller/status/group-status.js';

type GroupStatus = NonNullable<FailoverGroup['status']>;

const before: GroupStatus = {
  activeNode: 'node1',
  epoch: 3,
  phase: 'InService',
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'InService',
      message: 'web is in service on node1',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
    {
      type: 'MirrorInSync',
      status: 'True',
      reason: 'Mirroring',
      message: 'every target is Mirroring',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
};

describe('hostUnobservableStatus', () => {
  it('Ready turns False with reason HostUnobservable and the why; other conditions and activeNode stay', () => {
    const after = hostUnobservableStatus(before, {
      node: 'node1',
      why: 'node1 could not observe its own host for 3 s',
      nowIso: '2026-01-01T00:01:00Z',
    });
    const ready = after.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'HostUnobservable');
    assert.match(ready?.message ?? '', /could not observe its own host for 3 s.*node1 gives the group up/);
    assert.equal(ready?.lastTransitionTime, '2026-01-01T00:01:00Z');
    const mirror = after.conditions?.find((c) => c.type === 'MirrorInSync');
    assert.deepEqual(mirror, before.conditions?.[1]);
    assert.equal(after.phase, 'Deactivating');
    assert.equal(after.activeNode, 'node1'); // its host may still serve: the next node's safety check finds out
    assert.equal(after.epoch, 3);
  });

  it('a group without conditions yet gets a Ready condition', () => {
    const after = hostUnobservableStatus({}, { node: 'node1', why: 'blind', nowIso: '2026-01-01T00:01:00Z' });
    assert.deepEqual(
      after.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Ready', 'False', 'HostUnobservable']],
    );
  });
});
