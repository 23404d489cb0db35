/**
 * Several processes, one world: a real `winha sim world` process on
 * 127.0.0.1 with an ephemeral port, driven from this process through the
 * remote driver (compared with the in-process driver on the same manifests),
 * faults injected and the world inspected through the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { createDriver, DriverSpecError, parseSimDriverUrl } from '../../src/drivers/factory.js';
import type { HostDriver } from '../../src/drivers/types.js';
import { isDriverError } from '../../src/drivers/errors.js';
import { LocalWorldApi, callWorld, type WorldInspection } from '../../src/drivers/sim/world-protocol.js';
import { RemoteWorldApi } from '../../src/drivers/sim/remote-world.js';
import { worldFromManifests } from '../../src/sim/world/world-from-manifests.js';
import { validateInputs } from '../../src/validate/validate.js';
import { settle } from '../helpers/virtual-time.js';

const MANIFEST = join(EXAMPLES_DIR, 'two-node-web.yaml');
const o = { epoch: 1, timeoutMs: 20_000 };

let server: ChildProcess;
let address = '';
let remote1: HostDriver;
let remote2: HostDriver;

function objects(): Record<string, unknown>[] {
  return validateInputs([{ name: MANIFEST, content: readFileSync(MANIFEST) }]).objects.map((x) => x.obj);
}

/** The in-process world of the same manifests, on virtual time. */
function localWorld() {
  const clock = new VirtualClock();
  const world = worldFromManifests(objects(), clock, new SeededRandom(3));
  const api = new LocalWorldApi(world);
  return {
    clock,
    node1: createDriver({ world: api, node: 'node1' }, { clock }),
    node2: createDriver({ world: api, node: 'node2' }, { clock }),
  };
}

const winha = (args: string[]) => runWinha(args);

/** One request on its own connection; a JSON POST unless the headers say otherwise. */
function send(
  method: string,
  path: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const r = request({ host, port: Number(port), path, method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

const post = (path: string, body: string) => send('POST', path, body);

before(async () => {
  server = spawn(process.execPath, [BIN, 'sim', 'world', '--listen', '127.0.0.1:0', '--seed', '3', '-f', MANIFEST], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  address = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`world server exited (${code}): ${out}`)));
  });
  const clock = new SystemClock();
  remote1 = createDriver(`sim://${address}/node1`, { clock });
  remote2 = createDriver(`sim://${address}/node2`, { clock });
});

after(() => {
  if (server.exitCode === null) server.kill('SIGTERM');
});

test('the remote driver answers exactly as the in-process driver on the same manifests', async () => {
  const local = localWorld();
  const run = <T>(p: Promise<T>) => settle(local.clock, p);
  assert.deepEqual(await remote1.listInterfaces(o), await run(local.node1.listInterfaces(o)));
  assert.deepEqual(await remote2.listAddresses(o), await run(local.node2.listAddresses(o)));
  assert.deepEqual(await remote1.getMirrorInfo('E', o), await run(local.node1.getMirrorInfo('E', o)));
  assert.deepEqual(await remote1.listSites(o), await run(local.node1.listSites(o)));
  assert.deepEqual(await remote1.probeAddressClaimed('10.0.0.50', o), await run(local.node1.probeAddressClaimed('10.0.0.50', o)));
  // The same refusal, with the same code and message.
  const remoteErr = await remote1.getMirrorInfo('Q', o).catch((e: unknown) => e);
  const localErr = await run(local.node1.getMirrorInfo('Q', o)).catch((e: unknown) => e);
  assert.ok(isDriverError(remoteErr, 'MirrorNotFound'));
  assert.ok(isDriverError(localErr, 'MirrorNotFound'));
  assert.equal((remoteErr as Error).message, (localErr as Error).message);
  const ghost = createDriver(`sim://${address}/node9`, { clock: new SystemClock() });
  const ghostErr = await ghost.listSites(o).catch((e: unknown) => e);
  assert.ok(isDriverError(ghostErr, 'InvalidArgument'));
  assert.match((ghostErr as Error).message, /no host named node9/);
});

test("state changes through the remote driver are the world's: a VIP after DAD, a mirror created", async () => {
  const vip = await remote1.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: 'Public' }, o);
  assert.equal(vip.addressState, 'Preferred');
  await remote1.createMirror({ volume: 'E', sourceAddress: '172.16.0.11', targetAddress: '172.16.0.12', mode: 'Synchronous' }, o);
  const info = await remote2.getMirrorInfo('E', o);
  assert.equal(info.role, 'target');
  assert.equal(info.sourceSystem, 'node1');
  const claimed = await remote2.probeAddressClaimed('10.0.0.50', o);
  assert.equal(claimed.claimed, true);
});

test('winha sim fault and winha sim inspect act on the running world', () => {
  const r = winha(['sim', 'fault', '--world', address, 'nodeCrash', '--node', 'node1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /injected nodeCrash node=node1/);
  const w = winha(['sim', 'fault', '--world', address, 'write', '--node', 'node2', '--volume', 'E', '--count', '3', '-o', 'json']);
  assert.equal(w.code, 0, w.err);
  assert.equal((JSON.parse(w.out) as { result: { writes: unknown[] } }).result.writes.length, 3);
  const i = winha(['sim', 'inspect', '--world', address, '-o', 'json']);
  assert.equal(i.code, 0, i.err);
  const inspection = JSON.parse(i.out) as WorldInspection;
  assert.equal(inspection.hosts['node1']!.up, false);
  assert.equal(inspection.addressHolders['10.0.0.50'], undefined, 'a crashed host answers for nothing');
  assert.ok(inspection.volumes.some((v) => v.host === 'node1' && v.volume === 'E' && v.role === 'source'));
  const text = winha(['sim', 'inspect', '--world', address]);
  assert.match(text.out, /node1\s+DOWN/);
  assert.match(text.out, /E:\s+node2\s+target/);
});

test('the remote driver of a crashed host fails as a real unreachable host does', async () => {
  const e = await remote1.listSites(o).catch((x: unknown) => x);
  assert.ok(isDriverError(e, 'HostUnreachable'));
  assert.equal((e as { transient: boolean }).transient, true);
});

test('every fault type of design §5 is accepted by the CLI; bad faults exit 2 with an id', () => {
  const faults: string[][] = [
    ['nodeRestore', '--node', 'node1'],
    ['agentStop', '--node', 'node2'],
    ['agentStart', '--node', 'node2'],
    ['storePartition', '--node', 'node2'],
    ['storeHeal', '--node', 'node2'],
    ['replicationPartition', '--node', 'node1', '--peer', 'node2'],
    ['replicationHeal', '--node', 'node1'],
    ['serviceStop', '--node', 'node2', '--service', 'W3SVC'],
    ['siteStop', '--node', 'node2', '--site', 'website1'],
    ['siteDelete', '--node', 'node2', '--site', 'website1'],
    ['bindingSteal', '--node', 'node2', '--site', 'website1'],
    ['ipConflict', '--address', '10.0.0.51'],
    ['ipConflictClear', '--address', '10.0.0.51'],
    ['commandFail', '--node', 'node2', '--times', '2', '--operation', 'startSite'],
    ['clockSkew', '--node', 'node2', '--offset-ms', '-3000'],
  ];
  for (const f of faults) {
    const r = winha(['sim', 'fault', '--world', address, ...f]);
    assert.equal(r.code, 0, `${f.join(' ')}: ${r.err}`);
  }
  const bad = winha(['sim', 'fault', '--world', address, 'serviceStop', '--node', 'node2', '--service', 'IISADMIN']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /service must be one of W3SVC, WAS, FTPSVC, SMTPSVC.*\[sim-fault-invalid\]/);
  const unknown = winha(['sim', 'fault', '--world', address, 'meteorStrike']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown fault type "meteorStrike"/);
});

test('bad requests get a 4xx answer with an id, and the server keeps serving', async () => {
  const garbage = await post('/v1/call', '{not json');
  assert.equal(garbage.status, 400);
  assert.match(garbage.body, /world-bad-json/);
  const op = await post('/v1/call', JSON.stringify({ op: 'host.format', args: {} }));
  assert.equal(op.status, 400);
  assert.match(op.body, /world-unknown-op/);
  const fault = await post('/v1/call', JSON.stringify({ op: 'world.fault', args: { fault: { type: 'nodeCrash' } } }));
  assert.equal(fault.status, 400);
  assert.match(fault.body, /world-bad-fault/);
  const nullArgs = await post('/v1/call', JSON.stringify({ op: 'site.list', args: null }));
  assert.equal(nullArgs.status, 200);
  assert.equal((JSON.parse(nullArgs.body) as { ok: boolean }).ok, false);
  const big = await post('/v1/call', 'x'.repeat(2 * 1024 * 1024)).catch(() => ({ status: 413, body: 'world-body-too-large' }));
  assert.equal(big.status, 413);
  const missing = await post('/v2/anything', '{}');
  assert.equal(missing.status, 404);
  assert.deepEqual(await remote2.listInterfaces(o).then((l) => l.length > 0), true, 'still serving');
});

test('cross-site requests are refused: a POST must be JSON, carry no Origin, and name a loopback Host', async () => {
  const crash = JSON.stringify({ op: 'world.fault', args: { fault: { type: 'nodeCrash', node: 'node2' } } });
  // A web page can send a "simple" cross-site POST (text/plain, no preflight): it must not reach the world.
  const plain = await send('POST', '/v1/call', crash, { 'content-type': 'text/plain' });
  assert.equal(plain.status, 415);
  assert.match(plain.body, /world-bad-content-type/);
  const none = await send('POST', '/v1/call', crash, {});
  assert.equal(none.status, 415);
  const fromPage = await send('POST', '/v1/call', crash, { 'content-type': 'application/json', origin: 'https://evil.example' });
  assert.equal(fromPage.status, 403);
  assert.match(fromPage.body, /world-cross-origin/);
  // DNS rebinding: the page's own host name resolving to 127.0.0.1.
  const rebound = await send('POST', '/v1/call', crash, {
    'content-type': 'application/json',
    host: `evil.example:${address.split(':')[1]}`,
  });
  assert.equal(rebound.status, 403);
  assert.match(rebound.body, /world-bad-host/);
  const health = await send('GET', '/v1/health', '', { host: 'evil.example' });
  assert.equal(health.status, 403);
  const i = winha(['sim', 'inspect', '--world', address, '-o', 'json']);
  assert.equal((JSON.parse(i.out) as WorldInspection).hosts['node2']!.up, true, 'no refused request reached the world');
  const ok = await send('POST', '/v1/call', JSON.stringify({ op: 'site.list', args: { host: 'node2' } }), {
    'content-type': 'application/json; charset=utf-8',
    host: address,
  });
  assert.equal(ok.status, 200);
});

test("the world's memory is bounded: a write fault's count is capped with a clear refusal", async () => {
  const huge = await post(
    '/v1/call',
    JSON.stringify({ op: 'world.fault', args: { fault: { type: 'write', node: 'node2', volume: 'E', count: 1_000_000 } } }),
  );
  assert.equal(huge.status, 400);
  assert.match(huge.body, /world-bad-fault/);
  assert.match(huge.body, /count must be an integer from 1 to 10000/);
  const cli = winha(['sim', 'fault', '--world', address, 'write', '--node', 'node2', '--volume', 'E', '--count', '10001']);
  assert.equal(cli.code, 2);
  assert.match(cli.err, /count must be an integer from 1 to 10000/);
});

test('loopback only: a non-loopback listen or world address is refused with an id', () => {
  const r = winha(['sim', 'world', '--listen', '0.0.0.0:0', '-f', MANIFEST]);
  assert.equal(r.code, 2);
  assert.match(r.err, /world-address-not-loopback/);
  assert.throws(
    () => parseSimDriverUrl('sim://10.0.0.1:7000/node1'),
    (e: unknown) => e instanceof DriverSpecError && e.id === 'driver-spec-not-loopback',
  );
  assert.throws(
    () => parseSimDriverUrl('sim://127.0.0.1:7000/Node_1'),
    (e: unknown) => e instanceof DriverSpecError && e.id === 'driver-spec-invalid',
  );
  assert.throws(
    () => createDriver('vmware://x', { clock: new SystemClock() }),
    (e: unknown) => e instanceof DriverSpecError && e.id === 'driver-spec-invalid',
  );
  assert.deepEqual(parseSimDriverUrl('sim://localhost:7000/node1'), { world: 'localhost:7000', node: 'node1' });
});

test('a world that cannot be reached is a transient HostUnreachable, not a crash', async () => {
  const api = new RemoteWorldApi('127.0.0.1:1');
  const e = await callWorld(api, 'world.inspect', {}).catch((x: unknown) => x);
  api.close();
  assert.ok(isDriverError(e, 'HostUnreachable'));
  assert.match((e as Error).message, /127\.0\.0\.1:1 unreachable/);
});

test('the server stops cleanly on SIGTERM', async () => {
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
  const e = await remote2.listSites(o).catch((x: unknown) => x);
  assert.ok(isDriverError(e, 'HostUnreachable'));
});
