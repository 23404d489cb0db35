/**
 * The safety probe (issue 15 item 2) fails closed: a probe that errors or times out makes the answer unknown, never
 * silent; an address that answers wins over one that could not be probed; each probe gets the Cluster's own budget
 * (spec.safetyCheck.probeTimeoutSeconds), not the operation's timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualIP } from '../../src/api/types.js';
import { DriverError } from '../../src/drivers/errors.js';
import type { AddressClaim, CallOptions, HostDriver } from '../../src/drivers/types.js';
import { probePreviousActive } from '../../src/reconcilers/virtual-ip.js';

const o: CallOptions = { epoch: 1, timeoutMs: 120_000 };

function vip(address: string): VirtualIP {
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'VirtualIP',
    metadata: { name: address },
    spec: { group: 'web', address, prefixLength: 24 },
  };
}

/** A driver whose ARP probe answers per address: a claim, or an error to throw. */
function prober(answers: Record<string, AddressClaim | Error>): { driver: HostDriver; budgets: number[] } {
  const budgets: number[] = [];
  const driver = {
    nodeName: 'node2',
    probeAddressClaimed: (address: string, opts: CallOptions) => {
      budgets.push(opts.timeoutMs);
      const a = answers[address];
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a ?? { claimed: false });
    },
  } as unknown as HostDriver;
  return { driver, budgets };
}

const timeout = new DriverError({ code: 'Timeout', transient: true, message: 'probeAddressClaimed on node2 timed out after 3000 ms' });

test('a probe that times out is unknown, naming the address and the error', async () => {
  const { driver, budgets } = prober({ '10.0.0.50': timeout });
  const r = await probePreviousActive(driver, [vip('10.0.0.50')], 'node1', o, 3000);
  assert.equal(r.outcome, 'unknown');
  assert.match(r.detail, /could not probe 10\.0\.0\.50 \(.*timed out after 3000 ms\)/);
  assert.match(r.detail, /node1/);
  assert.deepEqual(budgets, [3000], 'the probe runs on its own budget, not the operation timeout');
});

test('serving on one address wins over a failed probe of another', async () => {
  const { driver } = prober({ '10.0.0.50': timeout, '10.0.0.51': { claimed: true, byMac: '00-15-5D-00-01-01' } });
  const r = await probePreviousActive(driver, [vip('10.0.0.50'), vip('10.0.0.51')], 'node1', o, 5000);
  assert.equal(r.outcome, 'serving');
  assert.match(r.detail, /10\.0\.0\.51 still answers from 00-15-5D-00-01-01/);
});

test('silent only when every address was probed and none answers', async () => {
  const ok = await probePreviousActive(prober({}).driver, [vip('10.0.0.50'), vip('10.0.0.51')], 'node1', o, 3000);
  assert.equal(ok.outcome, 'silent');
  const oneFailed = await probePreviousActive(
    prober({ '10.0.0.51': new Error('ARP socket closed') }).driver,
    [vip('10.0.0.50'), vip('10.0.0.51')],
    'node1',
    o,
    3000,
  );
  assert.equal(oneFailed.outcome, 'unknown');
  assert.match(oneFailed.detail, /could not probe 10\.0\.0\.51 \(ARP socket closed\)/);
});
