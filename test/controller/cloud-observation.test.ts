/**
 * CloudObservation: what the holder knows of where the cloud sends its addresses is per lease term; a claim is the
 * term's truth until the next read; a read that fails keeps it (no failover on a cloud API timeout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VirtualIP } from '../../src/api/types.js';
import { CloudObservation } from '../../src/controller/cloud-observation.js';
import type { CloudRoute, CloudRouting } from '../../src/cloud/vip-routing.js';
import type { HostDriver } from '../../src/drivers/types.js';
import { VirtualClock } from '../../src/lib/clock.js';

const V: VirtualIP = {
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name: 'web-vip', namespace: 'aws' },
  spec: { group: 'web', address: '10.0.1.50', prefixLength: 24, provider: { type: 'awsSecondaryIp' } },
};
const O = { epoch: 3, timeoutMs: 5000 };
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function setup() {
  const clock = new VirtualClock();
  const calls: string[] = [];
  let next: CloudRoute | Error = { here: false, target: 'eni-other', problems: [] };
  const routing = {
    claim: (_v: VirtualIP, mac: string) => {
      calls.push(`claim ${mac}`);
      return Promise.resolve({ here: true, target: 'eni-mine', problems: [] });
    },
    observe: (_v: VirtualIP, mac: string) => {
      calls.push(`observe ${mac}`);
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  } as unknown as CloudRouting;
  const driver = {
    listInterfaces: () => {
      calls.push('listInterfaces');
      return Promise.resolve([{ alias: 'Ethernet', index: 1, status: 'Up', macAddress: '0A-00-00-00-00-01' }]);
    },
  } as unknown as HostDriver;
  const obs = new CloudObservation({ routing, driver, clock, log: silent, node: 'web1' });
  return { clock, calls, obs, setNext: (r: CloudRoute | Error) => (next = r) };
}

describe('CloudObservation', () => {
  it('a new term knows nothing (the holder claims at once, without reading first)', async () => {
    const { obs, calls } = setup();
    assert.equal(await obs.here(V, 'Ethernet', 3, O, 30_000), undefined);
    assert.deepEqual(calls, [], 'no cloud call just to learn it is unknown');
  });

  it('a claim is the truth of its term until the read interval, then the cloud is read (drift shows)', async () => {
    const { obs, calls, clock } = setup();
    await obs.claim(V, 'Ethernet', 3, () => Promise.resolve(true), O);
    assert.equal(await obs.here(V, 'Ethernet', 3, O, 30_000), true);
    assert.deepEqual(calls, ['listInterfaces', 'claim 0A-00-00-00-00-01']);
    await clock.advance(30_000);
    assert.equal(await obs.here(V, 'Ethernet', 3, O, 30_000), false, 'someone moved it: the next activation takes it back');
    assert.equal(calls.filter((c) => c === 'listInterfaces').length, 1, 'the MAC is read once');
  });

  it('what one term learnt is not trusted in the next (another node may have held it in between)', async () => {
    const { obs } = setup();
    await obs.claim(V, 'Ethernet', 3, () => Promise.resolve(true), O);
    assert.equal(await obs.here(V, 'Ethernet', 4, O, 30_000), undefined);
  });

  it('a read that fails keeps what the term knows and is asked again next time', async () => {
    const { obs, clock, setNext, calls } = setup();
    await obs.claim(V, 'Ethernet', 3, () => Promise.resolve(true), O);
    await clock.advance(30_000);
    setNext(new Error('AwsTimeout'));
    assert.equal(await obs.here(V, 'Ethernet', 3, O, 30_000), true);
    setNext({ here: true, target: 'eni-mine', problems: [] });
    assert.equal(await obs.here(V, 'Ethernet', 3, O, 30_000), true);
    assert.equal(calls.filter((c) => c.startsWith('observe')).length, 2, 'the failed read did not count as fresh');
  });
});
