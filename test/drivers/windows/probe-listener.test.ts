/** The Azure probe listener with real sockets on 127.0.0.1: open, hold, reset on close, refuse a taken port. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { VirtualClock } from '../../../src/lib/clock.js';
import { ProbeListener } from '../../../src/drivers/windows/probe-listener.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { PinoAuditLog } from '../../../src/drivers/windows/audit-log.js';
import { isDriverError, type CallOptions } from '../../../src/drivers/types.js';
import { ScriptedRunner } from '../scripted-runner.js';

const HOST = '127.0.0.1';
const o: CallOptions = { epoch: 7, timeoutMs: 5_000 };

/** A port nothing listens on now: the kernel picks one, then it is released. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Connect and resolve with the socket, or reject with the connect error (e.g. ECONNREFUSED). */
function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: HOST });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** How a connected client socket ends: with an error code (ECONNRESET) or a clean FIN ('end'). */
function ending(c: Socket): Promise<string> {
  return new Promise((resolve) => {
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    c.once('end', () => resolve('end'));
  });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
  assert.ok(cond(), 'condition reached');
}

describe('ProbeListener', () => {
  test('open: a TCP connect succeeds and the connection is held; list shows the port', async () => {
    const l = new ProbeListener({ host: HOST });
    const port = await freePort();
    assert.deepEqual(await l.open(port), [port]);
    const c = await dial(port);
    await until(() => l.held(port) === 1);
    assert.deepEqual(l.list(), [port]);
    c.destroy();
    await until(() => l.held(port) === 0);
    await l.closeAll();
  });

  test('close: new connects are refused and a held connection sees ECONNRESET, not a clean FIN', async () => {
    const l = new ProbeListener({ host: HOST });
    const port = await freePort();
    await l.open(port);
    const c = await dial(port);
    await until(() => l.held(port) === 1);
    const how = ending(c);
    assert.deepEqual(await l.close(port), []);
    assert.equal(await how, 'ECONNRESET');
    await assert.rejects(dial(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    assert.deepEqual(l.list(), []);
  });

  test('open and close are idempotent', async () => {
    const l = new ProbeListener({ host: HOST });
    const port = await freePort();
    assert.deepEqual(await l.close(port), []);
    await l.open(port);
    assert.deepEqual(await l.open(port), [port]);
    (await dial(port)).destroy();
    assert.deepEqual(await l.close(port), []);
    assert.deepEqual(await l.close(port), []);
    assert.deepEqual(await l.open(port), [port], 'reopens after a close');
    await l.closeAll();
  });

  test('a port another program listens on: AddressInUse naming the port, and nothing is listed', async () => {
    const other: Server = createServer();
    await new Promise<void>((r) => other.listen(0, HOST, r));
    const port = (other.address() as { port: number }).port;
    const l = new ProbeListener({ host: HOST });
    await assert.rejects(l.open(port), (e: unknown) => {
      assert.ok(isDriverError(e, 'AddressInUse'), String(e));
      assert.match(e.message, new RegExp(`probe port ${port} is in use: another program listens on 127\\.0\\.0\\.1:${port}`));
      assert.equal(e.detail?.['port'], port);
      return true;
    });
    assert.deepEqual(l.list(), []);
    await new Promise<void>((r) => other.close(() => r()));
  });

  test('a port outside 1–65535 is InvalidArgument', async () => {
    const l = new ProbeListener({ host: HOST });
    await assert.rejects(l.open(0), (e: unknown) => isDriverError(e, 'InvalidArgument'));
    await assert.rejects(l.close(70_000), (e: unknown) => isDriverError(e, 'InvalidArgument'));
  });

  test('list is sorted; closeAll closes every port and resets their connections', async () => {
    const l = new ProbeListener({ host: HOST });
    const [a, b] = [await freePort(), await freePort()];
    const [hi, lo] = a > b ? [a, b] : [b, a];
    await l.open(hi);
    await l.open(lo);
    assert.deepEqual(l.list(), [lo, hi]);
    const c = await dial(hi);
    await until(() => l.held(hi) === 1);
    const how = ending(c);
    await l.closeAll();
    assert.deepEqual(l.list(), []);
    assert.equal(await how, 'ECONNRESET');
    await assert.rejects(dial(lo), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });

  test('an open and a close of one port issued together end closed (changes run one at a time)', async () => {
    const l = new ProbeListener({ host: HOST });
    const port = await freePort();
    const [opened, closed] = await Promise.all([l.open(port), l.close(port)]);
    assert.deepEqual(opened, [port]);
    assert.deepEqual(closed, []);
    await assert.rejects(dial(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
});

describe('WindowsHostDriver probe listener', () => {
  const make = () => {
    const lines: string[] = [];
    const audit = new PinoAuditLog(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    const runner = new ScriptedRunner();
    const probeListener = new ProbeListener({ host: HOST });
    const driver = new WindowsHostDriver({ nodeName: 'node1', runner, host: runner, clock: new VirtualClock(), audit, probeListener });
    return { driver, runner, lines };
  };

  test('setProbeListener opens and closes in process (no PowerShell), audited with the epoch', async () => {
    const { driver, runner, lines } = make();
    const port = await freePort();
    assert.deepEqual(await driver.setProbeListener(port, true, o), [port]);
    assert.deepEqual(await driver.listProbeListeners(o), [port]);
    (await dial(port)).destroy();
    assert.deepEqual(await driver.setProbeListener(port, false, o), []);
    assert.deepEqual(await driver.listProbeListeners(o), []);
    assert.equal(runner.calls.length, 0);
    const records = lines.map((l) => JSON.parse(l));
    assert.equal(records.length, 2);
    for (const r of records) {
      assert.equal(r.operation, 'setProbeListener');
      assert.equal(r.epoch, 7);
      assert.equal(r.program, 'winha-agent');
      assert.equal(r.outcome, 'ok');
    }
    assert.deepEqual(records[0].params, { port, open: true });
  });

  test('a taken port fails the call with AddressInUse; an aborted call is a Timeout and leaves no listener', async () => {
    const { driver } = make();
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, HOST, r));
    const taken = (other.address() as { port: number }).port;
    await assert.rejects(driver.setProbeListener(taken, true, o), (e: unknown) => isDriverError(e, 'AddressInUse'));
    await new Promise<void>((r) => other.close(() => r()));

    const port = await freePort();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(driver.setProbeListener(port, true, { ...o, signal: ac.signal }), (e: unknown) => isDriverError(e, 'Timeout'));
    assert.deepEqual(await driver.listProbeListeners(o), []);
  });

  test('close() (agent stop) closes the probe listeners', async () => {
    const { driver } = make();
    const port = await freePort();
    await driver.setProbeListener(port, true, o);
    await driver.close();
    await assert.rejects(dial(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
});
