/**
 * The agent's shared host observation (src/controller/host-observation.ts): one read for reconciles running
 * together, reuse up to a maximum age, nothing kept across a change this agent makes, nothing kept that failed;
 * and, end to end, an agent with many groups lists its host about once per reuse period, not once per group.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/lib/clock.js';
import { HostObservation } from '../../src/controller/host-observation.js';
import {
  HOST_DRIVER_OPERATIONS,
  type CallOptions,
  type HostDriver,
  type HostDriverOperation,
  type SiteInfo,
} from '../../src/drivers/types.js';
import { startCluster, untilReady } from '../../bench/cluster.js';

const O: CallOptions = { epoch: 1, timeoutMs: 1000 };

/** A host driver whose every call is counted; listSites answers after `delayMs` of the clock, or fails while `failing`. */
class FakeDriver {
  readonly nodeName = 'node1';
  readonly calls = new Map<string, number>();
  delayMs = 100;
  failing = 0;
  version = 0;
  constructor(private readonly clock: VirtualClock) {
    for (const op of HOST_DRIVER_OPERATIONS) {
      if (op in this) continue;
      (this as unknown as Record<string, unknown>)[op] = async () => {
        this.count(op);
        return undefined;
      };
    }
  }
  count(op: HostDriverOperation): number {
    const n = (this.calls.get(op) ?? 0) + 1;
    this.calls.set(op, n);
    return n;
  }
  n(op: HostDriverOperation): number {
    return this.calls.get(op) ?? 0;
  }
  async listSites(): Promise<SiteInfo[]> {
    this.count('listSites');
    const v = this.version;
    await this.clock.sleep(this.delayMs);
    if (this.failing > 0) {
      this.failing--;
      throw new Error('host unreachable');
    }
    return [
      { id: 1, name: `Site-${v}`, state: 'Started', bindings: [], physicalPath: 'E:\\s', serverAutoStart: false, applicationPool: 's' },
    ];
  }
  async getMirrorInfo(volume: string) {
    this.count('getMirrorInfo');
    return { volume, role: 'source' as const, targets: [] };
  }
  async startSite(): Promise<SiteInfo> {
    this.count('startSite');
    this.version++;
    await this.clock.sleep(50);
    return { id: 1, name: 'x', state: 'Started', bindings: [], physicalPath: '', serverAutoStart: false, applicationPool: '' };
  }
}

function setup() {
  const clock = new VirtualClock();
  const fake = new FakeDriver(clock);
  const obs = new HostObservation(fake as unknown as HostDriver, clock);
  return { clock, fake, obs };
}

const names = (m: ReadonlyMap<string, SiteInfo>) => [...m.keys()];

describe('HostObservation', () => {
  it('a driver that reads sites and addresses in one request (observeHost) is asked once per cycle, not twice', async () => {
    const clock = new VirtualClock();
    const fake = new FakeDriver(clock);
    const site: SiteInfo = {
      id: 1,
      name: 'Web1',
      state: 'Started',
      bindings: [],
      physicalPath: 'E:\\s',
      serverAutoStart: false,
      applicationPool: 's',
    };
    const addr = {
      address: '10.0.0.50',
      prefixLength: 24,
      interfaceAlias: 'Ethernet',
      addressState: 'Preferred' as const,
      skipAsSource: true,
    };
    Object.assign(fake, {
      observeHost: async () => {
        fake.count('observeHost');
        return { sites: [site], addresses: [addr] };
      },
    });
    const obs = new HostObservation(fake as unknown as HostDriver, clock);
    const [sites, addrs] = await Promise.all([obs.sites(O, 1000), obs.addresses(O, 1000)]);
    assert.deepEqual(names(sites), ['web1']);
    assert.deepEqual(addrs, [addr]);
    assert.deepEqual([fake.n('observeHost'), fake.n('listSites'), fake.n('listAddresses')], [1, 0, 0]);
    assert.equal(obs.reads, 1);
  });

  it('single flight: reconciles asking together share one read of the host', async () => {
    const { clock, fake, obs } = setup();
    const a = obs.sites(O, 1000);
    await clock.advance(50);
    const b = obs.sites(O, 1000);
    await clock.advance(100);
    assert.equal(await a, await b);
    assert.equal(fake.n('listSites'), 1);
    assert.equal(obs.reads, 1);
  });

  it('a finished read is reused up to maxAgeMs after it began, then read again', async () => {
    const { clock, fake, obs } = setup();
    const first = obs.sites(O, 1000);
    await clock.advance(100);
    await first;
    await clock.advance(850); // 950 ms after the read began
    assert.equal(await obs.sites(O, 1000), await first);
    assert.equal(fake.n('listSites'), 1);
    await clock.advance(100); // 1050 ms
    const later = obs.sites(O, 1000);
    await clock.advance(100);
    assert.notEqual(await later, await first);
    assert.equal(fake.n('listSites'), 2);
    // A caller that accepts nothing old reads again even right after a read.
    const fresh = obs.sites(O, 0);
    await clock.advance(100);
    await fresh;
    assert.equal(fake.n('listSites'), 3);
  });

  it("the checks' driver shares the IIS service state and the sites for its max age (one read for many sites' checks), and a change discards them", async () => {
    const { clock, fake, obs } = setup();
    const checks = obs.checkDriver(1000);
    await checks.queryService('W3SVC', O);
    await checks.queryService('W3SVC', O);
    const [a] = await Promise.all([checks.getSite!('SITE-0', O), clock.advance(100)]);
    const b = await checks.getSite!('site-0', O);
    assert.equal(a?.name, 'Site-0', 'a site found by name, whatever its case');
    assert.equal(b, a);
    assert.equal(await checks.getSite!('other', O), undefined, 'a site the host does not have is not found');
    assert.deepEqual([fake.n('queryService'), fake.n('listSites'), fake.n('getSite')], [1, 1, 0], 'one service query, one listing');
    await Promise.all([obs.driver.startSite('web1', O), clock.advance(50)]);
    await checks.queryService('W3SVC', O);
    const [c] = await Promise.all([checks.getSite!('site-1', O), clock.advance(100)]);
    assert.equal(c?.name, 'Site-1', 'the site as it is after the change');
    assert.deepEqual([fake.n('queryService'), fake.n('listSites')], [2, 2], 'read again after the agent changed the host');
    await clock.advance(1001);
    await checks.queryService('W3SVC', O);
    await Promise.all([checks.getSite!('site-1', O), clock.advance(100)]);
    assert.deepEqual([fake.n('queryService'), fake.n('listSites')], [3, 3], 'read again once older than its max age');
  });

  it('a mutating call through its driver discards what was read, and a read begun before it is not joined afterwards', async () => {
    const { clock, fake, obs } = setup();
    const before = obs.sites(O, 10_000);
    await clock.advance(100);
    assert.deepEqual(names(await before), ['site-0']);
    // The agent changes the host (another group's activation, say): the next reconcile sees the change.
    const started = obs.driver.startSite('x', O);
    await clock.advance(50);
    await started;
    const after = obs.sites(O, 10_000);
    await clock.advance(100);
    assert.deepEqual(names(await after), ['site-1']);
    assert.equal(fake.n('listSites'), 2);

    // A read in flight when a change begins serves its own callers, but nobody who asks after the change.
    const inFlight = obs.sites(O, 0);
    await clock.advance(10);
    const change = obs.driver.startSite('x', O);
    const joiner = obs.sites(O, 10_000);
    await clock.advance(200);
    await change;
    assert.deepEqual(names(await inFlight), ['site-1']);
    assert.deepEqual(names(await joiner), ['site-2']);
    // ... and neither is kept: the change ended after both began.
    const next = obs.sites(O, 10_000);
    await clock.advance(100);
    await next;
    assert.equal(fake.n('listSites'), 5);
  });

  it('every operation that is not a read invalidates; reads through its driver go to the host every time and invalidate nothing', async () => {
    const reads = new Set<HostDriverOperation>([
      'queryService',
      'listSites',
      'listInterfaces',
      'listAddresses',
      'probeAddressClaimed',
      'listProbeListeners',
      'getMirrorInfo',
      'probeHttp',
      'probeFtp',
      'probeTcp',
    ]);
    for (const op of HOST_DRIVER_OPERATIONS) {
      const { clock, fake, obs } = setup();
      const m1 = obs.mirror('e', O, 10_000);
      await clock.advance(1);
      await m1;
      const call = (obs.driver[op] as (...a: unknown[]) => Promise<unknown>)('E', O).catch(() => undefined);
      await clock.advance(100);
      await call;
      assert.equal(fake.n(op), op === 'getMirrorInfo' ? 2 : 1, `${op} reaches the host`);
      await obs.mirror('E', O, 10_000);
      assert.equal(
        fake.n('getMirrorInfo'),
        (reads.has(op) ? 1 : 2) + (op === 'getMirrorInfo' ? 1 : 0),
        `${op} ${reads.has(op) ? 'keeps' : 'discards'} the observation`,
      );
    }
  });

  it('a failed read is not kept: the next reconcile reads again', async () => {
    const { clock, fake, obs } = setup();
    fake.failing = 1;
    const a = assert.rejects(obs.sites(O, 10_000), /host unreachable/);
    const b = assert.rejects(obs.sites(O, 10_000), /host unreachable/); // joins the failing read: same answer
    await clock.advance(100);
    await a;
    await b;
    assert.equal(fake.n('listSites'), 1);
    const c = obs.sites(O, 10_000);
    await clock.advance(100);
    assert.deepEqual(names(await c), ['site-0']);
    assert.equal(fake.n('listSites'), 2);
  });

  it('busy while one of its own changes runs on the host (a read then may wait behind it), and not after it ends, even when it fails', async () => {
    const { clock, fake, obs } = setup();
    assert.equal(obs.busy, false);
    const start = obs.driver.startSite('web', O);
    assert.equal(obs.busy, true);
    await clock.advance(50);
    await start;
    assert.equal(obs.busy, false);
    Object.assign(fake, { stopSite: async () => Promise.reject(new Error('no')) });
    const failed = new HostObservation(fake as unknown as HostDriver, clock);
    await assert.rejects(failed.driver.stopSite('web', O), /no/);
    assert.equal(failed.busy, false);
  });
});

describe('the agent observes its host once for all its groups', () => {
  it('40 groups, converged: each node lists its sites and addresses at most once per half retryPeriod, not once per group', async () => {
    const lists = new Map<string, number>();
    const t = await startCluster(40, 2, {
      onWorldCall: (node, r) => {
        if (r.op === 'site.list' || r.op === 'net.addresses') lists.set(`${node} ${r.op}`, (lists.get(`${node} ${r.op}`) ?? 0) + 1);
      },
    });
    try {
      await untilReady(t, 'node1', 100, 120_000);
      await t.advance(10_000);
      lists.clear();
      await t.advance(20_000); // ten beats of 2 s: 400 group reconciles per node, plus the active node's health checks
      // Observation: at most one read per 1 s (retryPeriod/2) per node, about 20; health checks read sites directly
      // (quickCheck every 10 s: 2 per site, 160 on node1). Without the shared observation: 400 + 160.
      assert.ok((lists.get('node2 site.list') ?? 0) <= 25, `node2 site.list ${lists.get('node2 site.list')}`);
      assert.ok((lists.get('node2 net.addresses') ?? 0) <= 25, `node2 net.addresses ${lists.get('node2 net.addresses')}`);
      assert.ok((lists.get('node1 net.addresses') ?? 0) <= 25, `node1 net.addresses ${lists.get('node1 net.addresses')}`);
      assert.ok((lists.get('node1 site.list') ?? 0) <= 25 + 160, `node1 site.list ${lists.get('node1 site.list')}`);
      assert.ok((await t.observe()).groups.every((g) => g.ready && g.activeNode === 'node1'));
    } finally {
      await t.stop();
    }
  });
});
