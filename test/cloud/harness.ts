/**
 * The real SDK client against the loopback EC2 endpoint, on virtual time. Only the sockets are real: drive() lets
 * real I/O run and moves virtual time only while the mover sleeps or the endpoint holds a request on purpose.
 */
import assert from 'node:assert/strict';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { AwsMover, createEc2Client, type AwsMoverOptions } from '../../src/cloud/aws/mover.js';
import { Ec2Endpoint } from '../../src/sim/cloud/ec2-endpoint.js';
import { Ec2State, type Ec2Seed } from '../../src/sim/cloud/ec2-state.js';

export const FAKE_SECRET = 'fake-secret-key-for-tests-only';

/** A VirtualClock that knows when someone is asleep on it (then time may move without racing real I/O). */
export class TrackingClock extends VirtualClock {
  sleeping = 0;
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeping++;
    return super.sleep(ms, signal).finally(() => this.sleeping--);
  }
}

export const SEED: Ec2Seed = {
  enis: [
    { id: 'eni-0aaa', primaryIp: '10.0.1.10', secondaryIps: ['10.0.1.100'] },
    { id: 'eni-0bbb', primaryIp: '10.0.1.20', sourceDestCheck: false },
  ],
  routeTables: [{ id: 'rtb-0main', routes: [{ cidr: '192.168.50.10/32', eni: 'eni-0aaa' }] }],
  addresses: [{ allocationId: 'eipalloc-0web', publicIp: '203.0.113.7', eni: 'eni-0aaa', privateIp: '10.0.1.10' }],
};

export async function harness(seed: Ec2Seed = SEED, opts: Partial<AwsMoverOptions> = {}) {
  const clock = new TrackingClock();
  const state = new Ec2State(clock, structuredClone(seed));
  const endpoint = new Ec2Endpoint(clock, state);
  const url = await endpoint.start();
  const client = createEc2Client({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: FAKE_SECRET },
  });
  const mover = new AwsMover({ client, clock, callTimeoutMs: 5_000, pollIntervalMs: 1_000, moveDeadlineMs: 30_000, ...opts });
  const guardCalls = { n: 0 };
  const guard =
    (ok = true) =>
    async () => {
      guardCalls.n++;
      return ok;
    };
  /** Settle p: real I/O runs; virtual time moves by stepMs only while nothing real is in flight. */
  async function drive<T>(p: Promise<T>, stepMs = 250): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    const real = new SystemClock();
    for (let i = 0; i < 5_000 && !done; i++) {
      await real.sleep(2);
      if (!done && (clock.sleeping > 0 || endpoint.parked > 0)) await clock.advance(stepMs);
    }
    assert.ok(done, 'the operation did not settle');
    return watched;
  }
  const close = async () => {
    client.destroy();
    await endpoint.close();
  };
  return { clock, state, endpoint, client, mover, guard, guardCalls, drive, close };
}
