/**
 * What a holder does when its own host does not answer (issue 18 item 4): it waits out renewDeadline, then gives
 * the group up once; the group stops reading Ready at once, with the reason, and keeps the rest of what it said.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverGroup } from '../../src/api/types.js';
import { hostUnobservableStatus } from '../../src/controller/status/group-status.js';
import { blindHolder } from '../../src/controller/host-unobservable.js';
import { newGroupMemory } from '../../src/controller/group-memory.js';
import type { GroupLease } from '../../src/controller/lease/group-lease.js';
import type { StatusWriter } from '../../src/controller/status/writer.js';
import type { NodeHistory } from '../../src/controller/decision-types.js';
import type { Timing } from '../../src/controller/timing.js';
import { VirtualClock } from '../../src/lib/clock.js';

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

describe('blindHolder: a holder that cannot observe its host', () => {
  const t: Timing = { leaseMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000 };
  const group = {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'FailoverGroup',
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodes: [{ name: 'node1', priority: 1 }], failurePolicy: { failureExpirySeconds: 600 } },
  } as unknown as FailoverGroup;

  function setup() {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const events: string[] = [];
    const writes: { ban?: number; state?: string; status: GroupStatus }[] = [];
    let abandoned = 0;
    const lease = { epoch: 7, abandon: async () => void abandoned++ } as unknown as GroupLease;
    const writer = {
      ownHistory: async (
        _g: FailoverGroup,
        f: (h: NodeHistory) => NodeHistory,
        state?: string,
        _e?: unknown,
        also?: (st: GroupStatus) => GroupStatus,
      ) => {
        writes.push({ ban: f({}).bannedUntil, state, status: also!(before) });
        return { rv: '1', history: f({}) };
      },
    } as unknown as StatusWriter;
    const d = {
      node: 'node1',
      clock,
      writer,
      record: async (_o: unknown, type: string, reason: string, message: string) => void events.push(`${type} ${reason}: ${message}`),
    };
    const mem = newGroupMemory();
    const cycle = (error = 'Timeout: listSites on node1 did not finish within 10000 ms') =>
      blindHolder(d, {
        snap: { group, sites: [], vips: [], mirrors: [], cluster: undefined },
        mem,
        lease,
        timing: t,
        mono: clock.monotonic(),
        error,
      });
    return { clock, events, writes, mem, cycle, abandoned: () => abandoned };
  }

  it('waits out renewDeadline from the first unanswered cycle, coming back in time, then gives the group up once', async () => {
    const s = setup();
    assert.deepEqual(await s.cycle(), { requeueAfterMs: 2_000 });
    await s.clock.advance(9_000);
    assert.deepEqual(await s.cycle(), { requeueAfterMs: 1_001 }, 'back just after renewDeadline, not a whole retryPeriod later');
    assert.equal(s.abandoned(), 0);
    assert.deepEqual(s.events, []);
    await s.clock.advance(1_000);
    assert.deepEqual(await s.cycle(), {});
    assert.equal(s.abandoned(), 1);
    assert.equal(s.mem.unobservedSince, undefined, 'a next blindness counts afresh');
    assert.equal(s.events.length, 1);
    assert.match(
      s.events[0]!,
      /^Warning HostUnobservable: node1 could not observe its own host for 10 s \(renewDeadline 10 s\); last error Timeout: .*stops renewing the lease of web \(epoch 7\)/,
    );
    assert.equal(s.writes.length, 1);
    assert.equal(s.writes[0]!.state, 'UNKNOWN');
    assert.equal(s.writes[0]!.ban, Date.UTC(2026, 0, 1) + 10_000 + 600_000, 'banned for failureExpirySeconds');
    assert.equal(s.writes[0]!.status.conditions?.find((c) => c.type === 'Ready')?.reason, 'HostUnobservable');
  });

  it('a hung read that already took renewDeadline gives the group up in the same cycle', async () => {
    const s = setup();
    const mono = s.clock.monotonic();
    await s.clock.advance(10_000); // the read hung until its deadline
    const r = await blindHolder(
      {
        node: 'node1',
        clock: s.clock,
        writer: { ownHistory: async () => undefined } as unknown as StatusWriter,
        record: async () => undefined,
      },
      {
        snap: { group, sites: [], vips: [], mirrors: [], cluster: undefined },
        mem: s.mem,
        lease: { epoch: 7, abandon: async () => undefined } as unknown as GroupLease,
        timing: t,
        mono,
        error: 'Timeout',
      },
    );
    assert.deepEqual(r, {});
  });
});
