/**
 * Events under faults (issue 13, items 2 and 5): a bounded local outbox keeps what the store refused and flushes
 * it when the store answers again; a self-fence is recorded (when, what was stopped, how long out of service)
 * once the store answers; a repeated event is written at most once per interval with its accumulated count.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness, mirroring, ready, VIP } from './agent-harness.js';
import { EventRecorder, type EventInput } from '../../src/controller/event-recorder.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { UnavailableError } from '../../src/store/errors.js';
import type { ObjectStore, StoredObject } from '../../src/store/types.js';

const FAST = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

type Ev = StoredObject & Record<string, any>;

let seq = 0;

/** A memory store that counts Event writes and can refuse every call (the store is away). */
function countingStore(clock: VirtualClock) {
  const inner = openMemoryStore(`events-${++seq}`, { clock });
  const s = { away: false, writes: 0 };
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (s.away ? Promise.reject(new UnavailableError('store unreachable (test)')) : fn());
  const objects: ObjectStore = {
    get: (k, n, name) => guard(() => inner.get(k, n, name)),
    list: (k, o) => guard(() => inner.list(k, o)),
    watch: (k, o) => inner.watch(k, o),
    create: (o) =>
      guard(() => {
        s.writes++;
        return inner.create(o);
      }),
    update: (o) =>
      guard(() => {
        s.writes++;
        return inner.update(o);
      }),
    updateStatus: (o) => guard(() => inner.updateStatus(o)),
    delete: (k, n, name, o) => guard(() => inner.delete(k, n, name, o)),
    batch: (ops) => guard(() => inner.batch(ops)),
  };
  const events = async () => (await inner.list('Event')).items as Ev[];
  return { s, objects, events };
}

const ev = (reason: string, message = `${reason} happened`): EventInput => ({
  involved: { kind: 'FailoverGroup', name: 'web', namespace: 'default' },
  type: 'Warning',
  reason,
  message,
});

describe('events: repeat limiter and outbox (EventRecorder)', () => {
  it('a repeat within 30 s only counts: 60 repeats in 60 virtual seconds are ≤ 3 store writes, and the final count is 60 once flushed', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const st = countingStore(clock);
    const rec = new EventRecorder(st.objects, 'node1', clock);
    await rec.record(ev('SplitBrain'));
    // The first occurrence is written at once.
    assert.equal((await st.events()).find((e) => e['reason'] === 'SplitBrain')?.['count'], 1);
    for (let i = 1; i < 60; i++) {
      await clock.advance(1000);
      await rec.record(ev('SplitBrain'));
    }
    assert.ok(st.s.writes <= 3, `${st.s.writes} store writes for 60 repeats in 60 s`);
    await rec.flush();
    const [e] = (await st.events()).filter((x) => x['reason'] === 'SplitBrain');
    assert.equal(e?.['count'], 60);
    assert.equal(e?.['lastTimestamp'], new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.ok(st.s.writes <= 4, `${st.s.writes} store writes, the flush included`);
    rec.stop();
  });

  it('a held repeat is written by itself when its interval ends (no new occurrence needed)', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const st = countingStore(clock);
    const rec = new EventRecorder(st.objects, 'node1', clock);
    await rec.record(ev('SplitBrain'));
    await clock.advance(1000);
    await rec.record(ev('SplitBrain'));
    await rec.record(ev('SplitBrain'));
    assert.equal((await st.events())[0]?.['count'], 1);
    await clock.advance(30_000);
    assert.equal((await st.events())[0]?.['count'], 3);
    rec.stop();
  });

  it('the outbox keeps what the store refused (folded, at most 200, the oldest dropped and counted) and flushes it in order', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const st = countingStore(clock);
    const rec = new EventRecorder(st.objects, 'node1', clock);
    st.s.away = true;
    await rec.record(ev('Repeated'));
    for (let i = 0; i < 250; i++) {
      await clock.advance(10);
      await rec.record(ev(`Distinct${i}`));
      await rec.record(ev('Repeated'));
    }
    assert.equal(rec.outboxSize, 200);
    assert.deepEqual(await st.events(), []);
    st.s.away = false;
    await rec.flushOutbox();
    const evs = await st.events();
    const byVersion = [...evs].sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    const distinct = byVersion.filter((e) => String(e['reason']).startsWith('Distinct')).map((e) => e['reason']);
    // 250 distinct + 1 folded key = 251 entries: the oldest 51 went ('Repeated', created first, among them).
    assert.equal(distinct.length, 199);
    assert.equal(distinct[0], 'Distinct51');
    assert.equal(distinct.at(-1), 'Distinct249');
    const dropped = evs.find((e) => e['reason'] === 'EventsDropped');
    assert.ok(dropped, 'the drop is reported');
    assert.match(String(dropped['message']), /51 events/);
    assert.equal(rec.outboxSize, 0);
    rec.stop();
  });

  it('a repeat folded in the outbox is written once with its count', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const st = countingStore(clock);
    const rec = new EventRecorder(st.objects, 'node1', clock);
    st.s.away = true;
    for (let i = 0; i < 5; i++) {
      await rec.record(ev('StoreAway'));
      await clock.advance(1000);
    }
    st.s.away = false;
    await rec.record(ev('Back')); // the next write flushes the outbox first, then itself
    await rec.flushOutbox();
    const evs = await st.events();
    assert.equal(evs.find((e) => e['reason'] === 'StoreAway')?.['count'], 5);
    assert.ok(evs.some((e) => e['reason'] === 'Back'));
    assert.equal(st.s.writes, 2);
    rec.stop();
  });
});

describe('events: a self-fence is recorded once the store answers (real agents, virtual time)', () => {
  it('the active cut from the store fences; on healing a Fenced Warning says when, what was stopped and "still out of service"; events from the cut arrive', async () => {
    const h = await harness({ timing: FAST, worldTiming: { switchoverUnreachableMs: 500 } });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(700);
      const cutAt = h.clock.now();
      h.cutStore('node1', true);
      await h.until(async () => (await h.serving()).length === 0, 10_000, 100);
      const fencedBy = h.clock.now();
      await ready(h, 'node2');
      await h.run(5000);
      const healAt = h.clock.now();
      h.cutStore('node1', false);
      await h.run(5000);
      const evs = await h.events();
      const fenced = evs.find((e) => e['reason'] === 'Fenced' && e['node'] === 'node1');
      assert.ok(fenced, `no Fenced event; node1's: ${JSON.stringify(evs.filter((e) => e['node'] === 'node1').map((e) => e['reason']))}`);
      assert.equal(fenced['type'], 'Warning');
      const msg = String(fenced['message']);
      const at = Date.parse(/fenced itself at (\S+Z)/.exec(msg)?.[1] ?? '');
      assert.ok(at >= cutAt && at <= fencedBy, `fence time in "${msg}"`);
      assert.match(msg, /website1/);
      assert.ok(msg.includes(VIP), msg);
      assert.match(msg, /still out of service/);
      // What node1 recorded while it was cut reached the store after healing.
      const during = evs.filter(
        (e) =>
          e['node'] === 'node1' &&
          e['reason'] !== 'Fenced' &&
          Date.parse(e['lastTimestamp']) >= cutAt &&
          Date.parse(e['lastTimestamp']) < healAt,
      );
      assert.ok(
        during.some((e) => e['reason'] === 'RemoveSucceeded'),
        `no event of node1 from during the cut: ${JSON.stringify(evs.map((e) => [e['node'], e['reason'], e['lastTimestamp']]))}`,
      );
      assert.deepEqual(await h.serving(), ['node2']);
    } finally {
      await h.stopAll();
    }
  });

  it('a self-fence under CPU load (renewals answered too late) is recorded the same way, with how long it was out of service', async () => {
    const h = await harness({ timing: FAST, worldTiming: { switchoverUnreachableMs: 500 } });
    try {
      await ready(h, 'node1');
      await mirroring(h);
      await h.run(700);
      const slowAt = h.clock.now();
      h.slowStore('node1', 3500);
      await h.until(async () => (await h.serving()).length === 0, 10_000, 100);
      h.slowStore('node1', 0);
      await h.until(async () => await h.hasEvent((e) => e['reason'] === 'Fenced' && e['node'] === 'node1'), 60_000);
      const fenced = (await h.events()).find((e) => e['reason'] === 'Fenced' && e['node'] === 'node1')!;
      const msg = String(fenced['message']);
      assert.equal(fenced['type'], 'Warning');
      const at = Date.parse(/fenced itself at (\S+Z)/.exec(msg)?.[1] ?? '');
      assert.ok(at >= slowAt, msg);
      assert.match(msg, /website1/);
      assert.match(msg, /out of service (for \d+(\.\d+)? s|\(still)|still out of service/);
    } finally {
      await h.stopAll();
    }
  });
});
