/**
 * What goes to the Windows Event Log (issue 16), checked on any OS through the injected sink: important events
 * (failover, fence, ban, split brain…) with their type and stable id, ordinary ones not at all, repeats folded;
 * the Windows writer runs eventcreate.exe by absolute path with an argument vector and no shell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { VirtualClock } from '../../src/lib/clock.js';
import type { EventInput } from '../../src/controller/event-recorder.js';
import {
  EVENT_LOG_IDS,
  EVENT_LOG_REPEAT_MS,
  EventCreateSink,
  EventLogForwarder,
  NoEventLog,
  type EventLogEntry,
} from '../../src/cli/agent-config/event-log.js';

const group = { kind: 'FailoverGroup', name: 'web', namespace: 'default' };
const ev = (type: EventInput['type'], reason: string, message: string, code?: number): EventInput => ({
  involved: group,
  type,
  reason,
  message,
  ...(code !== undefined ? { code } : {}),
});

function forwarder() {
  const written: EventLogEntry[] = [];
  const clock = new VirtualClock();
  return { written, clock, f: new EventLogForwarder({ write: (e) => written.push(e) }, 'node2', clock) };
}

test('important events reach the Event Log with type and stable id; ordinary ones do not', () => {
  const { written, f } = forwarder();
  f.onEvent(ev('Normal', 'Failover', "node2 takes over web: node1's lease expired"));
  f.onEvent(ev('Warning', 'Fenced', 'node2 could not renew web within renewDeadline: taken out of service'));
  f.onEvent(ev('Warning', 'Banned', 'node2 banned for web for 3600 s', 9408));
  f.onEvent(ev('Warning', 'SplitBrain', 'mirror E: is source on node1 and node2 (split brain)'));
  f.onEvent(ev('Warning', 'HostUnobservable', 'the host does not answer'));
  for (const reason of ['Elected', 'Released', 'RestoreSucceeded', 'TransientFailure', 'QuickCheckFailed', 'MirrorCreated'])
    f.onEvent(ev('Normal', reason, 'ordinary'));
  assert.deepEqual(
    written.map((w) => [w.type, w.id]),
    [
      ['WARNING', 100],
      ['ERROR', 200],
      ['ERROR', 300],
      ['ERROR', 400],
      ['ERROR', 201],
    ],
  );
  assert.equal(written[0]!.message, "Failover on node2: FailoverGroup default/web: node2 takes over web: node1's lease expired");
  assert.equal(written[2]!.message, 'Banned on node2: FailoverGroup default/web: node2 banned for web for 3600 s (code 9408)');
  // Ids fit eventcreate (1–1000) and no two reasons share one.
  const ids = Object.values(EVENT_LOG_IDS).map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => id >= 1 && id <= 1000));
});

test('a repeated event (split brain every cycle) is written once per interval, with the count of the others', async () => {
  const { written, clock, f } = forwarder();
  const split = ev('Warning', 'SplitBrain', 'mirror E: is source on node1 and node2');
  for (let i = 0; i < 30; i++) {
    f.onEvent(split);
    await clock.advance(1000);
  }
  assert.equal(written.length, 1);
  await clock.advance(EVENT_LOG_REPEAT_MS);
  f.onEvent(split);
  assert.equal(written.length, 2);
  assert.match(written[1]!.message, /\(and 29 more times in the last 10 minutes\)$/);
});

test('the Windows writer runs eventcreate.exe by absolute path, the message one argument, no shell', () => {
  const calls: { cmd: string; args: readonly string[]; opts: SpawnOptions }[] = [];
  const errors: string[] = [];
  const child = new EventEmitter() as ChildProcess;
  const sink = new EventCreateSink(
    { SystemRoot: 'C:\\Windows' },
    (e) => errors.push(e),
    (cmd, args, opts) => {
      calls.push({ cmd, args, opts });
      return child;
    },
  );
  const message = 'Fenced on node1: FailoverGroup default/web: "quoted" & calc.exe | more %PATH%';
  sink.write({ type: 'ERROR', id: 200, message });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.cmd, 'C:\\Windows\\System32\\eventcreate.exe');
  assert.deepEqual(calls[0]!.args, ['/L', 'APPLICATION', '/T', 'ERROR', '/SO', 'WinHA', '/ID', '200', '/D', message]);
  assert.equal(calls[0]!.opts.shell, false);
  child.emit('exit', 1);
  assert.deepEqual(errors, ['eventcreate exited 1']);
});

test('off Windows the sink writes nothing and says so once', () => {
  const said: string[] = [];
  const sink = new NoEventLog((m) => said.push(m));
  sink.write();
  sink.write();
  assert.equal(said.length, 1);
  assert.match(said[0]!, /not Windows/);
});
