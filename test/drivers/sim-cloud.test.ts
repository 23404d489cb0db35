/**
 * The agent's cloud transport in the simulator: the real AwsMover on the real @aws-sdk/client-ec2, whose HTTP
 * handler goes through the world protocol to the world's EC2 Query API, on virtual time only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AwsMover } from '../../src/cloud/aws/mover.js';
import { isCloudError, type CloudError } from '../../src/cloud/errors.js';
import { simCloudAccess } from '../../src/drivers/sim/sim-cloud.js';
import type { VirtualClock } from '../../src/lib/clock.js';
import { ENI1, ENI2, ROUTED, SECONDARY, TABLE, cloudWorld } from '../sim/cloud-world.js';

/** Settle p by moving virtual time only (no real sleep): a real timer or socket in the path would never settle it. */
async function drive<T>(clock: VirtualClock, p: Promise<T>, stepMs = 250, maxSteps = 2_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(stepMs);
  assert.ok(done, 'the operation did not settle on virtual time');
  return watched;
}

async function rejected(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isCloudError(e), `expected a CloudError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

function setup() {
  const w = cloudWorld();
  const mover = (host: string) =>
    new AwsMover({
      client: simCloudAccess(w.api, host).ec2('us-east-1'),
      clock: w.clock,
      callTimeoutMs: 5_000,
      pollIntervalMs: 1_000,
      moveDeadlineMs: 30_000,
    });
  const guard = async () => true;
  return { ...w, mover, guard };
}

describe('sim-cloud: the AWS mover through the world', () => {
  it('finds its ENI through the metadata service', async () => {
    const w = setup();
    const md = simCloudAccess(w.api, 'node2').metadata;
    const mac = await md.get('meta-data/mac');
    assert.equal(mac, '00:15:5d:00:02:01');
    assert.equal(await md.get(`meta-data/network/interfaces/macs/${mac}/interface-id`), ENI2);
    assert.equal(await md.get('meta-data/placement/region'), 'us-east-1');
    assert.equal(await md.get('meta-data/no/such/thing'), undefined);
  });

  it('moves a secondary IP between two hosts, visible only after the 10 s assignment delay', async () => {
    const w = setup();
    await w.fault({ type: 'cloudAssignDelay', ms: 10_000 });
    await drive(w.clock, w.mover('node1').moveSecondaryIp({ address: SECONDARY, eni: ENI1, epochGuard: w.guard }));
    assert.deepEqual((await w.routes())[SECONDARY], ['node1']);
    const started = w.clock.monotonic();
    const move = w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard });
    await w.clock.advance(5_000);
    assert.deepEqual((await w.routes())[SECONDARY], ['node1'], 'not moved before the delay');
    const out = await drive(w.clock, move);
    assert.equal(out.eni, ENI2);
    assert.ok(out.visibleAfterMs >= 10_000 && out.visibleAfterMs <= 12_000, `visible after ${out.visibleAfterMs} ms`);
    assert.ok(w.clock.monotonic() - started >= 10_000);
    assert.deepEqual((await w.routes())[SECONDARY], ['node2']);
    const assigns = w.cloud.api.requests.filter((r) => r.action === 'AssignPrivateIpAddresses');
    assert.deepEqual(
      assigns.map((r) => [r.host, r.params['NetworkInterfaceId'], r.params['AllowReassignment']]),
      [
        ['node1', ENI1, 'true'],
        ['node2', ENI2, 'true'],
      ],
    );
  });

  it('retries through a throttle fault (the backoff on virtual time)', async () => {
    const w = setup();
    await w.fault({ type: 'cloudApiFault', mode: 'throttle', times: 2 });
    await drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard }));
    assert.equal(w.cloud.api.count('AssignPrivateIpAddresses'), 3);
    assert.deepEqual((await w.routes())[SECONDARY], ['node2']);
  });

  it('times out on a hang fault at its deadline, and works again after the heal', async () => {
    const w = setup();
    await w.fault({ type: 'cloudApiFault', mode: 'hang', times: 10 });
    const started = w.clock.monotonic();
    const e = await rejected(drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard })));
    assert.equal(e.code, 'AwsTimeout');
    assert.equal(e.detail['timeoutMs'], 5_000);
    assert.ok(w.clock.monotonic() - started >= 5_000 && w.clock.monotonic() - started < 6_000, 'ends at the call deadline');
    assert.equal((await w.routes())[SECONDARY]?.length, 0, 'a hung request performs nothing');
    await w.fault({ type: 'cloudApiHeal' });
    await drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard }));
    assert.deepEqual((await w.routes())[SECONDARY], ['node2']);
  });

  it('a fail fault is the EC2 error the mover maps', async () => {
    const w = setup();
    await w.fault({ type: 'cloudApiFault', mode: 'fail', times: 1, code: 'UnauthorizedOperation', status: 403 });
    const e = await rejected(drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard })));
    assert.equal(e.code, 'AwsUnauthorized');
    assert.equal(e.detail['httpStatus'], 403);
    assert.match(String(e.detail['requestId']), /^00000000-0000-4000-8000-/);
  });

  it('moves a route (created on first use, then replaced) and sees source/dest check as the world has it', async () => {
    const w = setup();
    const first = await drive(
      w.clock,
      w.mover('node1').moveRoute({ cidr: `${ROUTED}/32`, routeTableId: TABLE, eni: ENI1, epochGuard: w.guard }),
    );
    assert.deepEqual(first, { created: true, problems: [] });
    assert.deepEqual((await w.routes())[ROUTED], ['node1']);
    w.cloud.state.setSourceDestCheck(ENI2, true);
    const second = await drive(
      w.clock,
      w.mover('node2').moveRoute({ cidr: `${ROUTED}/32`, routeTableId: TABLE, eni: ENI2, epochGuard: w.guard }),
    );
    assert.equal(second.created, false);
    assert.deepEqual(
      second.problems.map((p) => p.code),
      ['SourceDestCheckEnabled'],
    );
    assert.deepEqual((await w.routes())[ROUTED], [], 'an ENI with the check on drops the routed traffic');
    w.cloud.state.setSourceDestCheck(ENI2, false);
    assert.deepEqual((await w.routes())[ROUTED], ['node2']);
  });

  it('uses no real timer: nothing in the SDK path calls setTimeout or setInterval', async () => {
    const w = setup();
    const g = globalThis as unknown as Record<'setTimeout' | 'setInterval', (...a: unknown[]) => unknown>;
    const real = { setTimeout: g.setTimeout, setInterval: g.setInterval };
    const calls: string[] = [];
    for (const k of ['setTimeout', 'setInterval'] as const)
      g[k] = (...a: unknown[]) => {
        calls.push(`${k}(${String(a[1])})`);
        return real[k](...a);
      };
    try {
      await w.fault({ type: 'cloudAssignDelay', ms: 3_000 });
      await drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard }));
    } finally {
      Object.assign(g, real);
    }
    assert.deepEqual(calls, []);
  });

  it('a host that is down cannot reach EC2', async () => {
    const w = setup();
    await w.fault({ type: 'nodeCrash', node: 'node2' });
    const e = await rejected(drive(w.clock, w.mover('node2').moveSecondaryIp({ address: SECONDARY, eni: ENI2, epochGuard: w.guard })));
    assert.equal(e.code, 'AwsFailed');
    assert.match(e.message, /down/);
  });
});
