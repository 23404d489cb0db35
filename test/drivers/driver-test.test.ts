/** `winha driver test`'s logic against a one-node simulated world: every call, faults, refusals and cleanup. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDriverTest, type DriverTestOptions } from '../../src/drivers/test-kit/driver-test.js';
import { SIM_INTERFACE, SIM_NODE_ADDRESS, SIM_SCRATCH_ADDRESS, simNode } from '../../src/drivers/test-kit/sim-node.js';
import type { HostDriverOperation } from '../../src/drivers/types.js';

const opts = (over: Partial<DriverTestOptions> = {}): DriverTestOptions => ({
  siteName: 'winha-driver-test',
  physicalPath: 'C:\\Windows\\Temp\\winha-driver-test',
  address: SIM_SCRATCH_ADDRESS,
  prefixLength: 24,
  interfaceAlias: SIM_INTERFACE,
  port: 80,
  timeoutMs: 60_000,
  ...over,
});
const o = { epoch: 0, timeoutMs: 60_000 };

async function run(over: Partial<DriverTestOptions> = {}, failOperations: HostDriverOperation[] = []) {
  const s = await simNode({ node: 'n1', volumes: ['S'], peerAddress: '10.99.0.12', failOperations });
  const report = await s.drive(runDriverTest(s.driver, opts(over), s.clock));
  const addresses = await s.drive(s.driver.listAddresses(o));
  const sites = await s.drive(s.driver.listSites(o));
  return { report, addresses, sites, s };
}

test('every call the test makes passes on a healthy simulated node, and the node is left as it was (plus a stopped scratch site)', async () => {
  const { report, addresses, sites } = await run({ volume: 'S', sourceAddress: SIM_NODE_ADDRESS, targetAddress: '10.99.0.12' });
  assert.equal(report.ok, true, JSON.stringify(report.steps.filter((x) => x.outcome !== 'ok')));
  const ops = new Set(report.steps.map((x) => x.operation));
  for (const op of [
    'queryService',
    'listInterfaces',
    'listAddresses',
    'listSites',
    'ensureSite',
    'setServerAutoStart',
    'addVirtualIp',
    'probeAddressClaimed',
    'startSite',
    'probeHttp',
    'probeTcp',
    'stopSite',
    'removeVirtualIp',
    'getMirrorInfo',
    'lockVolume',
    'unlockVolume',
    'createMirror',
    'pauseMirror',
    'continueMirror',
    'deleteMirror',
  ] as const)
    assert.ok(ops.has(op), `${op} was exercised`);
  assert.ok(!addresses.some((a) => a.address === SIM_SCRATCH_ADDRESS), 'the scratch address was removed');
  assert.deepEqual(
    sites.map((x) => [x.name, x.state]),
    [['winha-driver-test', 'Stopped']],
  );
  assert.ok(report.notes.some((n) => /no deleteSite/.test(n)));
});

test('a failing call is reported with its DriverError code, later calls are skipped, and cleanup still runs', async () => {
  const { report, addresses, sites } = await run({}, ['startSite']);
  assert.equal(report.ok, false);
  const failed = report.steps.find((x) => x.outcome === 'failed')!;
  assert.equal(failed.operation, 'startSite');
  assert.equal(failed.code, 'CommandFailed');
  assert.deepEqual(
    report.steps.filter((x) => x.outcome === 'skipped').map((x) => x.operation),
    ['getSite', 'observeHost', 'probeHttp', 'probeTcp'],
  );
  assert.deepEqual(
    report.steps.filter((x) => x.phase === 'cleanup').map((x) => [x.operation, x.outcome]),
    [
      ['stopSite', 'ok'],
      ['removeVirtualIp', 'ok'],
    ],
  );
  assert.ok(!addresses.some((a) => a.address === SIM_SCRATCH_ADDRESS));
  assert.equal(sites[0]?.state, 'Stopped');
});

test('a failure while adding the address still removes it in cleanup (removal is idempotent)', async () => {
  const { report, addresses } = await run({}, ['addVirtualIp']);
  assert.equal(report.steps.find((x) => x.outcome === 'failed')?.operation, 'addVirtualIp');
  assert.ok(report.steps.some((x) => x.phase === 'cleanup' && x.operation === 'removeVirtualIp' && x.outcome === 'ok'));
  assert.ok(!addresses.some((a) => a.address === SIM_SCRATCH_ADDRESS));
});

test('refuses an address already on the host, and changes nothing', async () => {
  const { report, sites } = await run({ address: SIM_NODE_ADDRESS });
  assert.equal(report.refused?.id, 'address-present');
  assert.ok(report.steps.every((x) => x.phase === 'preflight'));
  assert.deepEqual(sites, []);
});

test('refuses a site name that exists with another physical path (never touches a production site)', async () => {
  const s = await simNode({ node: 'n1' });
  const prod = {
    name: 'shop',
    bindings: [{ protocol: 'http' as const, address: '*', port: 8080, hostHeader: '' }],
    physicalPath: 'D:\\sites\\shop',
    applicationPool: 'shop',
    serverAutoStart: true,
  };
  await s.drive(s.driver.ensureSite(prod, o));
  const report = await s.drive(runDriverTest(s.driver, opts({ siteName: 'shop' }), s.clock));
  assert.equal(report.refused?.id, 'site-exists');
  assert.match(report.refused.message, /never touches a site it did not create/);
  const after = await s.drive(s.driver.listSites(o));
  assert.equal(after[0]?.physicalPath, 'D:\\sites\\shop');
});

test('refuses a missing interface and a mirrored volume', async () => {
  assert.equal((await run({ interfaceAlias: 'Public' })).report.refused?.id, 'interface-missing');
  const s = await simNode({ node: 'n1', volumes: ['S'], peerAddress: '10.99.0.12' });
  await s.drive(
    s.driver.createMirror({ volume: 'S', sourceAddress: SIM_NODE_ADDRESS, targetAddress: '10.99.0.12', mode: 'Synchronous' }, o),
  );
  const report = await s.drive(runDriverTest(s.driver, opts({ volume: 'S' }), s.clock));
  assert.equal(report.refused?.id, 'volume-mirrored');
});

test('a driver that offers the optional reads (getSite, observeHost) has them exercised too, and a wrong answer there fails the run', async () => {
  const s = await simNode({ node: 'n1', volumes: [], peerAddress: '10.99.0.12', failOperations: [] });
  const inner = s.driver;
  let lie = false;
  const offering = Object.assign(Object.create(inner) as typeof inner, {
    getSite: async (name: string, co: typeof o) => {
      const site = (await inner.listSites(co)).find((x) => x.name === name);
      return lie && site ? { ...site, state: 'Stopped' as const } : site;
    },
    observeHost: async (co: typeof o) => ({ sites: await inner.listSites(co), addresses: await inner.listAddresses(co) }),
  });
  const good = await s.drive(runDriverTest(offering, opts(), s.clock));
  assert.equal(good.ok, true, JSON.stringify(good.steps.filter((x) => x.outcome !== 'ok')));
  assert.deepEqual(
    good.steps.filter((x) => x.operation === 'getSite' || x.operation === 'observeHost').map((x) => [x.operation, x.outcome]),
    [
      ['getSite', 'ok'],
      ['observeHost', 'ok'],
    ],
  );
  lie = true;
  const bad = await s.drive(runDriverTest(offering, opts(), s.clock));
  assert.equal(bad.ok, false);
  assert.deepEqual(
    bad.steps.filter((x) => x.operation === 'getSite').map((x) => [x.outcome, x.code]),
    [['failed', 'UnexpectedResult']],
  );
});
