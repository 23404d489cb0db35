/**
 * The executor on virtual time against a recording host: actions run in the decided order, an activation under
 * an epoch this node does not hold is refused before it reaches the host (E6), and a failed step stops the rest
 * and comes back as a fact to remember (never written into shared memory).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FailoverGroup, IISSite, VirtualIP } from '../../src/api/types.js';
import { withDefaults } from '../../src/api/with-defaults.js';
import type { Action, Decision, DecisionInput } from '../../src/controller/decision-types.js';
import { ADDRESS_DETECTION_LIMIT_MS, ADDRESS_POLL_MS, Executor, FAILURE_RETRY_FLOOR_MS } from '../../src/controller/executor.js';
import { GroupLease } from '../../src/controller/lease/group-lease.js';
import { silentLogger } from '../../src/controller/logger.js';
import { AgentMetrics } from '../../src/controller/metrics.js';
import { StatusWriter } from '../../src/controller/status/writer.js';
import { HOST_DRIVER_OPERATIONS, type HostDriver } from '../../src/drivers/types.js';
import { VirtualClock } from '../../src/lib/clock.js';
import { openMemoryStore } from '../../src/store/memory.js';
import type { Involved } from '../../src/reconcilers/types.js';
import { settle } from '../helpers/virtual-time.js';

const T = { leaseMs: 15_000, renewDeadlineMs: 10_000, retryMs: 2_000 };
const VIP = '10.0.0.50';
let seq = 0;

interface HostOptions {
  duplicate?: boolean;
  /** The add returns while duplicate address detection is still running. */
  tentative?: boolean;
}

/** A host that records every driver call; `duplicate` makes the address come up Duplicate (DAD). */
function recordingHost(calls: string[], o: HostOptions = {}): HostDriver {
  const answers: Record<string, unknown> = {
    queryService: { name: 'W3SVC', state: 4 },
    listSites: [
      {
        name: 'website1',
        id: 1,
        state: 'Stopped',
        bindings: [],
        physicalPath: 'E:\\sites\\website1',
        applicationPool: 'website1',
        serverAutoStart: false,
      },
    ],
    startSite: { name: 'website1', state: 'Started' },
    addVirtualIp: {
      address: VIP,
      prefixLength: 24,
      interfaceAlias: 'Ethernet',
      addressState: o.duplicate ? 'Duplicate' : o.tentative ? 'Tentative' : 'Preferred',
    },
  };
  // The required operations only: like the simulated driver, it offers no optional reads (getSite, observeHost).
  return new Proxy({ nodeName: 'node1' } as HostDriver, {
    get: (target, op: string) =>
      op === 'nodeName'
        ? target.nodeName
        : (HOST_DRIVER_OPERATIONS as readonly string[]).includes(op)
          ? (..._args: unknown[]) => {
              calls.push(op);
              return Promise.resolve(answers[op]);
            }
          : undefined,
  });
}

async function setup(o: HostOptions = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 12));
  const store = openMemoryStore(`executor-test-${++seq}`, { clock });
  const group = (await store.objects.create(
    withDefaults({
      apiVersion: 'winha.io/v1alpha1',
      kind: 'FailoverGroup',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodes: [
          { name: 'node1', priority: 1 },
          { name: 'node2', priority: 10 },
        ],
      },
    }),
  )) as unknown as FailoverGroup;
  const vip = withDefaults({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'VirtualIP',
    metadata: { name: 'web-vip', namespace: 'default' },
    spec: { group: 'web', address: VIP, prefixLength: 24 },
  }) as unknown as VirtualIP;
  const site = withDefaults({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name: 'website1', namespace: 'default' },
    spec: {
      group: 'web',
      siteName: 'website1',
      bindings: [{ protocol: 'http', address: VIP, port: 80 }],
      physicalPath: 'E:\\sites\\website1',
    },
  }) as unknown as IISSite;
  const calls: string[] = [];
  const events: { reason: string; code?: number }[] = [];
  const record = (_obj: Involved, _type: string, reason: string, _message: string, code?: number) => {
    events.push({ reason, ...(code !== undefined ? { code } : {}) });
    return Promise.resolve();
  };
  const executor = new Executor({
    node: 'node1',
    store,
    driver: recordingHost(calls, o),
    clock,
    log: silentLogger,
    metrics: new AgentMetrics(),
    writer: new StatusWriter(store, 'node1', clock, silentLogger),
    record,
  });
  const lease = new GroupLease(
    {
      leases: store.leases,
      node: 'node1',
      clock,
      log: silentLogger,
      health: { failing: false },
      wake: () => undefined,
      running: () => true,
    },
    'group.default.web',
    T,
  );
  const run = (actions: Action[], epoch: number, addressWaitSince?: number) => {
    const decision: Decision = {
      role: 'active',
      actions,
      reason: 'test',
      target: 'node1',
      conditions: [],
      reportsStatus: false,
      events: [],
    };
    const input = {
      lease: { holder: 'node1', epoch, expired: false },
      nodes: {},
      mirrors: [],
      local: { observed: true, sites: [], vips: [] },
    } as unknown as DecisionInput;
    return settle(
      clock,
      executor.execute({
        key: 'default/web',
        snapshot: { group, cluster: undefined, sites: [site], vips: [vip], mirrors: [] },
        decision,
        input,
        lease,
        timing: T,
        addressWaitSince,
      }),
    );
  };
  return { calls, events, lease, run, clock };
}

const bringUp = (epoch: number): Action[] => [
  { type: 'addVip', vip: 'web-vip', address: VIP, epoch },
  { type: 'startSite', site: 'website1', siteName: 'website1', epoch },
];

describe('executor', () => {
  it('runs the actions in the decided order: the address before the site', async () => {
    const { calls, events, lease, run } = await setup();
    await lease.acquire(1);
    const r = await run(bringUp(1), 1);
    assert.equal(r.ok, true);
    assert.deepEqual(calls, ['addVirtualIp', 'listSites', 'queryService', 'startSite']);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['RestoreSucceeded'],
    );
    assert.deepEqual(r.patch.facts, {});
  });

  it('refuses an activation under an epoch this node does not hold, before it reaches the host (E6)', async () => {
    const { calls, events, lease, run } = await setup();
    await lease.acquire(1);
    const r = await run(bringUp(0), 0);
    assert.equal(r.ok, false);
    assert.deepEqual(calls, [], 'nothing reached the host');
    assert.deepEqual(
      events.map((e) => e.reason),
      ['StaleEpochRefused'],
    );
    assert.equal(r.requeueAfterMs, FAILURE_RETRY_FLOOR_MS, 'the group is reconciled again soon, on a fresh view, but not in a tight loop');
  });

  it('a failed step stops the rest, and the failure comes back as a fact with its kit code', async () => {
    const { calls, events, lease, run } = await setup({ duplicate: true });
    await lease.acquire(1);
    const r = await run(bringUp(1), 1);
    assert.equal(r.ok, false);
    assert.deepEqual(calls, ['addVirtualIp', 'removeVirtualIp'], 'the duplicate address is taken back; the site is never started');
    assert.deepEqual(events, [{ reason: 'IpConflict', code: 9408 }]);
    assert.equal(r.patch.facts.activationFailed?.code, 9408);
  });

  it('an address still in duplicate address detection frees the worker: nothing starts on it, the group comes back soon', async () => {
    const { calls, events, lease, run } = await setup({ tentative: true });
    await lease.acquire(1);
    const r = await run(bringUp(1), 1);
    assert.equal(r.ok, false, 'not in service yet');
    assert.equal(r.detecting, true, 'a wait, not a failure');
    assert.equal(r.requeueAfterMs, ADDRESS_POLL_MS);
    assert.deepEqual(calls, ['addVirtualIp'], 'the site waits for its address');
    assert.deepEqual(events, []);
    assert.deepEqual(r.patch.facts, {}, 'no failure remembered');
  });

  it('an address that stays Tentative past the limit is taken back and fails the bring-up (9408), never starts a site', async () => {
    const { calls, events, lease, run, clock } = await setup();
    await lease.acquire(1);
    const wait: Action[] = [{ type: 'awaitAddress', vip: 'web-vip', address: VIP, epoch: 1 }];
    const early = await run(wait, 1, clock.monotonic() - ADDRESS_DETECTION_LIMIT_MS + 1);
    assert.equal(early.detecting, true);
    assert.deepEqual(calls, [], 'waiting reads nothing and changes nothing');
    const late = await run(wait, 1, clock.monotonic() - ADDRESS_DETECTION_LIMIT_MS);
    assert.equal(late.ok, false);
    assert.equal(late.detecting, undefined);
    assert.deepEqual(calls, ['removeVirtualIp']);
    assert.deepEqual(events, [{ reason: 'AddressDetectionTimeout', code: 9408 }]);
    assert.equal(late.patch.facts.activationFailed?.code, 9408);
    assert.match(late.patch.facts.activationFailed?.message ?? '', /still Tentative 10 s after it was added on node1/);
  });

  it('a release forgets the failures of the term it ends', async () => {
    const { lease, run } = await setup();
    await lease.acquire(1);
    const r = await run([{ type: 'releaseLease', epoch: 1, reason: 'Failover' }], 1);
    assert.equal(r.ok, true);
    assert.equal(lease.holds, false);
    assert.deepEqual(r.patch.facts, { activationFailed: null, recoveryFailed: null, failure: null });
    assert.equal(r.patch.takeover, null);
  });
});
