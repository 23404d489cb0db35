/**
 * The long-lived PowerShell host's client against a stand-in program speaking the same protocol (a real child
 * process): round trips, 1,000 requests on one process without a leak, deadline kill and restart, crash restart,
 * start-up failure with backoff, back-pressure, stray output, a runaway line. Deadlines and backoff run on a
 * VirtualClock; only the child's I/O is real, awaited by polling for what a user would notice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { VirtualClock } from '../../../src/lib/clock.js';
import { isDriverError } from '../../../src/drivers/types.js';
import { PowerShellHost, type PowerShellHostOptions } from '../../../src/drivers/windows/ps-host/process-host.js';
import type { HostAnswer } from '../../../src/drivers/windows/ps-host/types.js';

const STANDIN = join(import.meta.dirname, '..', '..', 'support', 'ps-host-standin.js');

function harness(env: Record<string, string> = {}, opts: Partial<PowerShellHostOptions> = {}) {
  const clock = new VirtualClock();
  const pids: number[] = [];
  const host = new PowerShellHost({
    clock,
    spawn: () => {
      const c = spawn(process.execPath, [STANDIN], { env: { ...process.env, ...env }, stdio: 'pipe' });
      pids.push(c.pid ?? -1);
      return c;
    },
    pingIntervalMs: 0,
    ...opts,
  });
  const signal = new AbortController().signal;
  const call = (op: string, params: Record<string, unknown> = {}, timeoutMs = 30_000) => host.call(op, params, { signal, timeoutMs });
  return { clock, host, pids, signal, call };
}

/** Wait (real time: the child's I/O) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setTimeout(r, 5)));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

function value(a: HostAnswer): unknown {
  assert.ok(a.ok, JSON.stringify(a));
  return a.value;
}

async function pid(call: (op: string) => Promise<HostAnswer>): Promise<number> {
  return (value(await call('host.ping')) as { pid: number }).pid;
}

describe('PowerShellHost against the stand-in host', () => {
  it('answers a request with its value; values travel as data, non-ASCII text survives the ASCII-only line', async () => {
    const { host, call } = harness();
    const params = { name: 'web\'1"; Remove-Item C:\\ -Recurse #', text: 'Ünïcødé ✓ 日本' };
    assert.deepEqual(value(await call('test.echo', params)), params);
    await host.close();
  });

  it('1,000 requests on one process: answered in order, one start, no listener or queue left behind', async () => {
    const { host, call, signal, pids } = harness();
    for (let i = 0; i < 500; i++) assert.deepEqual(value(await call('test.echo', { i })), { i });
    for (let b = 0; b < 10; b++) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => call('test.echo', { i: 500 + b * 50 + i })));
      batch.forEach((a, i) => assert.deepEqual(value(a), { i: 500 + b * 50 + i }));
    }
    assert.equal(pids.length, 1, 'the host was started once');
    assert.equal(host.stats.served, 1000);
    assert.equal(host.queued, 0);
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'every request removed its abort listener');
    assert.equal((value(await call('host.ping')) as { served: number }).served, 1000);
    await host.close();
  });

  it('a request past its deadline fails as Timeout; the host is killed and the next request runs on a new one', async () => {
    const { host, call, clock, pids } = harness();
    const first = await pid(call);
    const hung = call('test.hang', {}, 5_000);
    await until(() => host.stats.served === 1, 'the hang to be sent');
    await clock.advance(4_999);
    let settled = false;
    hung.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false, 'not before its deadline');
    await clock.advance(1);
    await assert.rejects(hung, (e) => isDriverError(e, 'Timeout') && /test\.hang/.test(e.message));
    const second = await pid(call);
    assert.notEqual(second, first);
    assert.equal(pids.length, 2);
    assert.equal(host.stats.deadlineKills, 1);
    await host.close();
  });

  it('a crash fails the request in flight as HostUnavailable and the host comes back at once', async () => {
    const { host, call, pids } = harness();
    await pid(call);
    await assert.rejects(call('test.crash'), (e) => isDriverError(e, 'HostUnavailable') && e.transient === true);
    assert.deepEqual(value(await call('test.echo', { after: 'crash' })), { after: 'crash' });
    assert.equal(pids.length, 2);
    assert.equal(host.stats.crashes, 1);
    await host.close();
  });

  it('a host that cannot start is retried with doubling backoff, then requests fail at once with the reason', async () => {
    const { host, call, clock, pids } = harness({ WINHA_STANDIN_HELLO: 'fail' }, { restartMinMs: 1_000, failFastAfter: 3 });
    const waiting = call('test.echo');
    waiting.catch(() => undefined);
    await until(() => host.status === 'backoff', 'the first start to fail');
    await clock.advance(999);
    assert.equal(pids.length, 1, 'no restart before the first backoff (1 s)');
    await clock.advance(1);
    await until(() => pids.length === 2 && host.status === 'backoff', 'the second start to fail');
    await clock.advance(1_999);
    assert.equal(pids.length, 2, 'no restart before the second backoff (2 s)');
    await clock.advance(1);
    await until(() => pids.length === 3, 'the third start');
    await assert.rejects(waiting, (e) => isDriverError(e, 'HostUnavailable') && /common\.ps1 not found/.test(e.message));
    await assert.rejects(call('test.echo'), (e) => isDriverError(e, 'HostUnavailable') && /3 times in a row/.test(e.message));
    await host.close();
  });

  it('a host that never says hello is killed at the start-up timeout and retried', async () => {
    const { host, call, clock, pids } = harness({ WINHA_STANDIN_HELLO: 'never' }, { startTimeoutMs: 10_000, failFastAfter: 1 });
    const waiting = call('test.echo');
    waiting.catch(() => undefined);
    await until(() => pids.length === 1, 'the start');
    await clock.advance(10_000);
    await until(() => host.status === 'backoff', 'the start-up timeout');
    await assert.rejects(waiting, (e) => isDriverError(e, 'HostUnavailable') && /no hello within 10000 ms/.test(e.message));
    await host.close();
  });

  it('back-pressure: beyond maxQueue waiting requests, a new one is refused at once as HostBusy', async () => {
    const { host, call, clock } = harness({}, { maxQueue: 3 });
    await pid(call);
    const hung = call('test.hang', {}, 1_000);
    hung.catch(() => undefined);
    const queued = [call('test.echo', { n: 1 }), call('test.echo', { n: 2 }), call('test.echo', { n: 3 })];
    await assert.rejects(call('test.echo', { n: 4 }), (e) => isDriverError(e, 'HostBusy') && e.transient === true);
    await until(() => host.stats.served >= 1, 'the hang to be in flight');
    await clock.advance(1_000);
    assert.deepEqual((await Promise.all(queued)).map(value), [{ n: 1 }, { n: 2 }, { n: 3 }], 'the queued ones run after the restart');
    await host.close();
  });

  it('lines that are not answers (Write-Host text, broken JSON, an unknown id) are ignored', async () => {
    const { host, call } = harness();
    assert.equal(value(await call('test.stray')), 'after stray output');
    await host.close();
  });

  it('a runaway answer longer than maxLineBytes kills the host instead of filling memory', async () => {
    const { host, call, pids } = harness({}, { maxLineBytes: 10_000 });
    await assert.rejects(call('test.big', { bytes: 100_000 }), (e) => isDriverError(e, 'HostUnavailable'));
    assert.deepEqual(value(await call('test.echo', { ok: 1 })), { ok: 1 });
    assert.equal(pids.length, 2);
    await host.close();
  });

  it('a failure the host reports is an answer (the caller maps it), not a host failure', async () => {
    const { host, call, pids } = harness();
    const a = await call('test.fail');
    assert.deepEqual(a, { ok: false, error: { type: 'System.UnauthorizedAccessException', message: 'Access is denied.', id: '' } });
    assert.equal((await call('no.such.op')).ok, false);
    assert.equal(pids.length, 1);
    await host.close();
  });

  it('a caller that gives up while queued is removed from the queue; close() fails what is left', async () => {
    const { host, call, clock } = harness();
    await pid(call);
    const hung = call('test.hang', {}, 60_000);
    hung.catch(() => undefined);
    const ac = new AbortController();
    const gaveUp = host.call('test.echo', { n: 1 }, { signal: ac.signal, timeoutMs: 1_000 });
    const left = call('test.echo', { n: 2 });
    ac.abort(new Error('caller deadline'));
    await assert.rejects(gaveUp, /caller deadline/);
    assert.equal(host.queued, 1);
    await host.close();
    await assert.rejects(left, (e) => isDriverError(e, 'HostUnavailable') && /closed/.test(e.message));
    await clock.advance(60_000);
  });

  it('an idle host is pinged on schedule (the health ping), and a busy one is not', async () => {
    const { host, call, clock } = harness({}, { pingIntervalMs: 30_000 });
    await call('test.echo');
    await clock.advance(29_999);
    assert.equal(host.stats.served, 1);
    await clock.advance(1);
    await until(() => host.stats.served === 2, 'the ping');
    await clock.advance(30_000);
    await until(() => host.stats.served === 3, 'the next ping');
    await host.close();
  });
});
