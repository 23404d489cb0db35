import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDriverError } from '../../src/drivers/types.js';
import { callWorld } from '../../src/drivers/sim/world-protocol.js';
import { settle, settleError } from '../helpers/virtual-time.js';
import { NODE1_IP, NODE2_IP, VIP, o, twoNodeWorld, webSite } from './two-node-world.js';

test('commandFail makes exactly the next N operations fail (transient), then the host behaves again', async () => {
  const { clock, node1, fault } = twoNodeWorld();
  await fault({ type: 'commandFail', node: 'node1', times: 2, operation: 'listSites' });
  for (let i = 0; i < 2; i++) {
    const err = await settleError(clock, node1.listSites(o()));
    assert.ok(isDriverError(err, 'CommandFailed') && err.transient);
  }
  assert.ok(Array.isArray(await settle(clock, node1.queryService('W3SVC', o()))) === false, 'other operations unaffected');
  assert.deepEqual(await settle(clock, node1.listSites(o())), []);
});

test('commandFail with hang: the operation answers nothing and runs into its own deadline (a Timeout), then behaves', async () => {
  const { clock, node2, fault } = twoNodeWorld();
  await fault({ type: 'commandFail', node: 'node2', times: 1, operation: 'probeAddressClaimed', hang: true });
  const start = clock.now();
  const err = await settleError(clock, node2.probeAddressClaimed(VIP, { epoch: 1, timeoutMs: 3000 }));
  assert.ok(isDriverError(err, 'Timeout') && err.transient, String(err));
  assert.equal(clock.now() - start, 3000, 'it waits exactly its budget');
  assert.equal((await settle(clock, node2.probeAddressClaimed(VIP, o()))).claimed, false);
});

test('agentStop/agentStart, storePartition and clockSkew are flags the agent layer reads from host.status', async () => {
  const { clock, api, fault } = twoNodeWorld();
  await fault({ type: 'agentStop', node: 'node2' });
  await fault({ type: 'storePartition', node: 'node2' });
  await fault({ type: 'clockSkew', node: 'node2', offsetMs: 90_000 });
  const s = await callWorld(api, 'host.status', { host: 'node2' });
  assert.deepEqual([s.up, s.agentRunning, s.storeReachable, s.clockSkewMs], [true, false, false, 90_000]);
  assert.equal(s.wallClockMs, clock.now() + 90_000);
  await fault({ type: 'agentStart', node: 'node2' });
  await fault({ type: 'storeHeal', node: 'node2' });
  const t = await callWorld(api, 'host.status', { host: 'node2' });
  assert.deepEqual([t.agentRunning, t.storeReachable], [true, true]);
});

test("every driver operation is traced with the caller's epoch", async () => {
  const { clock, node1, world } = twoNodeWorld();
  await settle(clock, node1.listSites(o(7)));
  await settle(clock, node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o(8)));
  assert.deepEqual(
    world.trace.map((t) => [t.operation, t.epoch]),
    [
      ['listSites', 7],
      ['addVirtualIp', 8],
    ],
  );
});

test('the world protocol is plain JSON: changing a returned object cannot change the world', async () => {
  const { clock, node1 } = twoNodeWorld();
  await settle(clock, node1.ensureSite(webSite(), o()));
  const sites = await settle(clock, node1.listSites(o()));
  sites[0]!.bindings[0]!.port = 9999;
  const again = await settle(clock, node1.listSites(o()));
  assert.equal(again[0]?.bindings[0]?.port, 80);
});

test('the world reports unknown requests as typed errors, not exceptions', async () => {
  const { api } = twoNodeWorld();
  const res = await api.call({ op: 'service.query', args: { host: 'node9', name: 'W3SVC' } });
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.error.code, 'InvalidArgument');
});

/** A scripted story; returns what an operator would see at the end. */
async function story(seed: number) {
  const w = twoNodeWorld(seed);
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Asynchronous' }, o()));
  await w.clock.advance(4_000);
  const written = (await w.fault({ type: 'write', node: 'node1', volume: 'E', count: 40 })).writes?.map((x) => x.block);
  await w.clock.advance(100);
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  await settle(w.clock, w.node2.switchoverMirror('E', true, o(2)), 500);
  await w.fault({ type: 'nodeRestore', node: 'node1' });
  await w.clock.advance(5_000);
  const status = await settle(w.clock, w.node1.queryService('W3SVC', o()));
  return { inspect: await w.inspect(), written, blocks: [...w.world.dk.view('node1', 'E').blocks.entries()], status, now: w.clock.now() };
}

test('same seed, same trace: two runs of a story end in identical worlds; another seed differs', async () => {
  const a = await story(42);
  const b = await story(42);
  assert.deepEqual(a, b);
  const c = await story(43);
  assert.notDeepEqual(a.written, c.written);
});

/** node1 serving web1 (files on E:) on the VIP. */
async function serving(w: ReturnType<typeof twoNodeWorld>) {
  await w.clock.advance(5_000);
  await settle(w.clock, w.node1.ensureSite(webSite(), o()));
  await settle(w.clock, w.node1.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
  await settle(w.clock, w.node1.startSite('web1', o()));
}

test('siteStuck: the site stays Started through the kit’s 10 stop checks (9556), then stops; fewer checks and the stop succeeds', async () => {
  const w = twoNodeWorld();
  await serving(w);
  await w.fault({ type: 'siteStuck', node: 'node1', site: 'web1' });
  const err = await settleError(w.clock, w.node1.stopSite('web1', o()));
  assert.ok(isDriverError(err, 'SiteStopFailed') && err.kitCode === 9556, String(err));
  assert.equal((await settle(w.clock, w.node1.listSites(o())))[0]!.state, 'Stopped', 'the stop completes after the 10th check');

  await settle(w.clock, w.node1.startSite('web1', o()));
  await w.fault({ type: 'siteStuck', node: 'node1', site: 'web1', checks: 3 });
  assert.equal((await settle(w.clock, w.node1.stopSite('web1', o())))?.state, 'Stopped');
  assert.deepEqual((await w.inspect()).startedSites['node1'], []);
});

test('commandHeal cancels the pending commandFail failures (of one operation, or all)', async () => {
  const w = twoNodeWorld();
  await w.fault({ type: 'commandFail', node: 'node1', times: 5, operation: 'listSites' });
  await w.fault({ type: 'commandFail', node: 'node1', times: 5, operation: 'listAddresses' });
  await w.fault({ type: 'commandHeal', node: 'node1', operation: 'listSites' });
  assert.deepEqual(await settle(w.clock, w.node1.listSites(o())), []);
  assert.ok(isDriverError(await settleError(w.clock, w.node1.listAddresses(o())), 'CommandFailed'));
  await w.fault({ type: 'commandHeal', node: 'node1' });
  assert.ok(Array.isArray(await settle(w.clock, w.node1.listAddresses(o()))));
});

test('open handles: a switchover whose answering source has a started site on the volume fails with 12035; down, it does not', async () => {
  const w = twoNodeWorld();
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
  await w.clock.advance(5_000);
  await serving(w);
  const err = await settleError(w.clock, w.node2.switchoverMirror('E', true, o()));
  assert.ok(isDriverError(err, 'VolumeBusy') && !err.transient, String(err));
  assert.match(err.message, /\[No\. 12035\] Unable to lock volume E: on node1/);
  assert.equal(err.detail?.['error'], 12035);
  const views = (await w.inspect()).volumes.map((v) => `${v.host}:${v.role}`).sort();
  assert.deepEqual(views, ['node1:source', 'node2:target'], 'the volume stays with the running site');

  // Stopped site: no handles, the switchover goes through.
  await settle(w.clock, w.node1.stopSite('web1', o()));
  assert.equal((await settle(w.clock, w.node2.switchoverMirror('E', false, o()))).role, 'source');
});

test('open handles do not matter when the source is down: the unreachable-source path applies', async () => {
  const w = twoNodeWorld();
  await settle(w.clock, w.node1.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
  await w.clock.advance(5_000);
  await serving(w);
  await w.fault({ type: 'nodeCrash', node: 'node1' });
  const t0 = w.clock.now();
  assert.equal((await settle(w.clock, w.node2.switchoverMirror('E', true, o()))).role, 'source');
  assert.ok(w.clock.now() - t0 >= 30_000, 'after trying to reach the source');
});

test('a read of the host is one world request that carries its begin (traced with the epoch), as a Windows host call is one exchange', async () => {
  const { clock, world, node1 } = twoNodeWorld();
  const sent: string[] = [];
  const api = world as unknown as { handle: (r: { op: string }) => unknown };
  const handle = api.handle.bind(world);
  api.handle = (r) => (sent.push(r.op), handle(r));
  await settle(clock, node1.queryService('W3SVC', { epoch: 7, timeoutMs: 1000 }));
  await settle(clock, node1.observeHost({ epoch: 7, timeoutMs: 1000 }));
  assert.deepEqual(sent, ['host.call', 'host.call']);
  assert.deepEqual(
    world.trace.slice(-2).map((t) => [t.operation, t.epoch, t.outcome]),
    [
      ['queryService', 7, 'ok'],
      ['observeHost', 7, 'ok'],
    ],
  );
});

test('host.call carries only reads: a change of the host sent through it is refused and not made', async () => {
  const { api, inspect } = twoNodeWorld();
  const call = { op: 'site.start', args: { name: 'website1' } } as unknown as { op: 'site.get'; args: Record<string, unknown> };
  await assert.rejects(callWorld(api, 'host.call', { host: 'node1', operation: 'startSite', epoch: 1, call }), (e: unknown) =>
    isDriverError(e, 'CommandFailed'),
  );
  assert.deepEqual((await inspect()).startedSites['node1'] ?? [], []);
});
