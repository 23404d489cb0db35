/**
 * The AWS mover with the real @aws-sdk/client-ec2 against the loopback EC2 endpoint: asynchronous moves, reassignment,
 * throttling, deadlines, the epoch guard, routes, source/dest check, Elastic IPs, error XML to coded errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AssignPrivateIpAddressesCommand } from '@aws-sdk/client-ec2';
import { isCloudError, type CloudError } from '../../src/cloud/errors.js';
import { SystemClock } from '../../src/lib/clock.js';
import { FAKE_SECRET, harness } from './harness.js';

async function rejected(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isCloudError(e), `expected a CloudError, got ${String(e)}`);
    assert.ok(!JSON.stringify({ m: e.message, d: e.detail }).includes(FAKE_SECRET), 'no secret in errors');
    return e;
  }
  assert.fail('expected a rejection');
}

describe('AwsMover.moveSecondaryIp', () => {
  it('waits for an asynchronous move: visible after 10 s of virtual delay, polled on the clock', async () => {
    const h = await harness();
    h.state.assignDelayMs = 10_000;
    const out = await h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() }));
    assert.equal(out.eni, 'eni-0bbb');
    assert.ok(out.visibleAfterMs >= 10_000 && out.visibleAfterMs <= 12_000, `visible after ${out.visibleAfterMs} ms`);
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0bbb');
    assert.ok(h.endpoint.count('DescribeNetworkInterfaces') >= 10, 'polled until it landed');
    const assign = h.endpoint.requests.find((r) => r.action === 'AssignPrivateIpAddresses')!;
    assert.deepEqual(
      {
        eni: assign.params['NetworkInterfaceId'],
        ip: assign.params['PrivateIpAddress.1'],
        re: assign.params['AllowReassignment'],
        v: assign.params['Version'],
      },
      { eni: 'eni-0bbb', ip: '10.0.1.100', re: 'true', v: '2016-11-15' },
    );
    await h.close();
  });

  it('AllowReassignment takes the address from the other ENI (which a plain assign may not)', async () => {
    const h = await harness();
    const plain = h.client.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: 'eni-0bbb', PrivateIpAddresses: ['10.0.1.100'] }),
    );
    await assert.rejects(plain, (e: Error) => e.name === 'InvalidIPAddress.InUse');
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0aaa');
    await h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() }));
    const [a] = h.state.describeEnis(['eni-0aaa']);
    assert.deepEqual(a?.secondary, [], 'gone from the old ENI');
    await h.close();
  });

  it('a move that never becomes visible ends at the move deadline with AwsTimeout', async () => {
    const h = await harness();
    h.state.assignDelayMs = 120_000;
    const e = await rejected(h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() })));
    assert.equal(e.code, 'AwsTimeout');
    assert.equal(e.detail['deadlineMs'], 30_000);
    await h.close();
  });

  it('throttling is retried with backoff on the clock, and the guard is asked before each attempt', async () => {
    const h = await harness();
    h.endpoint.throttleNext(2);
    await h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() }));
    assert.equal(h.endpoint.count('AssignPrivateIpAddresses'), 3);
    assert.equal(h.guardCalls.n, 3);
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0bbb');
    await h.close();
  });

  it('throttling past the bounded retries is AwsThrottled with the AWS code', async () => {
    const h = await harness();
    h.endpoint.throttleNext(10);
    const e = await rejected(h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() })));
    assert.equal(e.code, 'AwsThrottled');
    assert.deepEqual(
      [e.detail['awsCode'], e.detail['httpStatus'], e.detail['attempts'], e.transient],
      ['RequestLimitExceeded', 503, 4, true],
    );
    assert.equal(h.endpoint.count('AssignPrivateIpAddresses'), 4);
    await h.close();
  });

  it('a call that hangs ends at its deadline with AwsTimeout; a slow answer inside the deadline is fine', async () => {
    const h = await harness();
    h.endpoint.hangNext(1);
    const t0 = h.clock.monotonic();
    const e = await rejected(h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() })));
    assert.equal(e.code, 'AwsTimeout');
    assert.equal(e.detail['operation'], 'AssignPrivateIpAddresses');
    assert.ok(h.clock.monotonic() - t0 >= 5_000, 'not before the deadline (virtual time)');
    assert.equal(h.endpoint.count('AssignPrivateIpAddresses'), 1, 'a timeout is not retried: its outcome is unknown');
    h.endpoint.delayNext(1, 3_000);
    await h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard() }));
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0bbb');
    await h.close();
  });

  it('a refusing epoch guard: StaleEpoch, and no request reached the endpoint', async () => {
    const h = await harness();
    const e = await rejected(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard(false) }));
    assert.equal(e.code, 'StaleEpoch');
    const r = await rejected(
      h.mover.moveRoute({ cidr: '192.168.50.10/32', routeTableId: 'rtb-0main', eni: 'eni-0bbb', epochGuard: h.guard(false) }),
    );
    const a = await rejected(
      h.mover.associateElasticIp({ allocationId: 'eipalloc-0web', eni: 'eni-0bbb', privateIp: '10.0.1.20', epochGuard: h.guard(false) }),
    );
    assert.deepEqual([r.code, a.code], ['StaleEpoch', 'StaleEpoch']);
    assert.equal(h.endpoint.count(), 0);
    assert.equal(h.state.holderOf('10.0.1.100'), 'eni-0aaa');
    await h.close();
  });

  it('an epoch lost between ReplaceRoute and CreateRoute stops the create', async () => {
    const h = await harness();
    const answers = [true, false];
    const epochGuard = async () => answers.shift() ?? false;
    const e = await rejected(
      h.drive(h.mover.moveRoute({ cidr: '192.168.99.0/24', routeTableId: 'rtb-0main', eni: 'eni-0bbb', epochGuard })),
    );
    assert.equal(e.code, 'StaleEpoch');
    assert.deepEqual(
      h.endpoint.requests.map((x) => x.action),
      ['ReplaceRoute'],
    );
    await h.close();
  });
});

describe('AwsMover.moveRoute', () => {
  it('replaces an existing route and confirms it; no problem when source/dest check is off', async () => {
    const h = await harness();
    const out = await h.drive(
      h.mover.moveRoute({ cidr: '192.168.50.10/32', routeTableId: 'rtb-0main', eni: 'eni-0bbb', epochGuard: h.guard() }),
    );
    assert.deepEqual(out, { created: false, problems: [] });
    assert.equal(h.state.describeRouteTables(['rtb-0main'])[0]?.routes.find((r) => r.cidr === '192.168.50.10/32')?.eni, 'eni-0bbb');
    await h.close();
  });

  it('creates the route when it is absent (InvalidRoute.NotFound)', async () => {
    const h = await harness();
    const out = await h.drive(
      h.mover.moveRoute({ cidr: '192.168.60.0/24', routeTableId: 'rtb-0main', eni: 'eni-0bbb', epochGuard: h.guard() }),
    );
    assert.equal(out.created, true);
    assert.deepEqual(
      h.endpoint.requests.map((x) => x.action),
      ['ReplaceRoute', 'CreateRoute', 'DescribeRouteTables', 'DescribeNetworkInterfaces'],
    );
    assert.equal(h.guardCalls.n, 2, 'guard before each mutating call');
    await h.close();
  });

  it('source/dest check on the target ENI is a coded problem', async () => {
    const h = await harness();
    const out = await h.drive(
      h.mover.moveRoute({ cidr: '192.168.50.10/32', routeTableId: 'rtb-0main', eni: 'eni-0aaa', epochGuard: h.guard() }),
    );
    assert.deepEqual(
      out.problems.map((p) => p.code),
      ['SourceDestCheckEnabled'],
    );
    await h.close();
  });

  it('an unknown route table is AwsNotFound with the AWS code', async () => {
    const h = await harness();
    const e = await rejected(
      h.drive(h.mover.moveRoute({ cidr: '192.168.50.10/32', routeTableId: 'rtb-0nope', eni: 'eni-0bbb', epochGuard: h.guard() })),
    );
    assert.equal(e.code, 'AwsNotFound');
    assert.equal(e.detail['awsCode'], 'InvalidRouteTableID.NotFound');
    await h.close();
  });
});

describe('AwsMover.associateElasticIp and observe', () => {
  it('reassociates an Elastic IP held by another ENI', async () => {
    const h = await harness();
    const before = await h.drive(h.mover.observe({ elasticIps: ['eipalloc-0web'] }));
    assert.deepEqual(before.elasticIps, [{ allocationId: 'eipalloc-0web', eni: 'eni-0aaa', privateIp: '10.0.1.10' }]);
    const out = await h.drive(
      h.mover.associateElasticIp({ allocationId: 'eipalloc-0web', eni: 'eni-0bbb', privateIp: '10.0.1.20', epochGuard: h.guard() }),
    );
    assert.match(out.associationId, /^eipassoc-/);
    assert.equal(h.endpoint.requests.at(-1)?.params['AllowReassociation'], 'true');
    const after = await h.drive(h.mover.observe({ elasticIps: ['eipalloc-0web'] }));
    assert.deepEqual(after.elasticIps, [{ allocationId: 'eipalloc-0web', eni: 'eni-0bbb', privateIp: '10.0.1.20' }]);
    await h.close();
  });

  it('observe reports the holder of each secondary IP, route and Elastic IP (null when none)', async () => {
    const h = await harness();
    const o = await h.drive(
      h.mover.observe({
        secondaryIps: [
          { address: '10.0.1.100', enis: ['eni-0aaa', 'eni-0bbb'] },
          { address: '10.0.1.222', enis: ['eni-0aaa', 'eni-0bbb'] },
        ],
        routes: [
          { routeTableId: 'rtb-0main', cidr: '192.168.50.10/32' },
          { routeTableId: 'rtb-0main', cidr: '192.168.70.0/24' },
        ],
        elasticIps: ['eipalloc-0web'],
      }),
    );
    assert.deepEqual(o.secondaryIps, [
      { address: '10.0.1.100', holder: 'eni-0aaa' },
      { address: '10.0.1.222', holder: null },
    ]);
    assert.deepEqual(
      o.routes.map((r) => r.eni),
      ['eni-0aaa', null],
    );
    assert.equal(o.elasticIps[0]?.eni, 'eni-0aaa');
    await h.close();
  });
});

describe('error XML to coded errors', () => {
  const cases: [string, number, string, boolean][] = [
    ['AuthFailure', 401, 'AwsUnauthorized', false],
    ['UnauthorizedOperation', 403, 'AwsUnauthorized', false],
    ['InvalidParameterValue', 400, 'AwsFailed', false],
    ['InternalError', 500, 'AwsFailed', true],
  ];
  for (const [awsCode, status, code, transient] of cases) {
    it(`${awsCode} (${status}) → ${code}`, async () => {
      const h = await harness();
      h.endpoint.failNext(10, awsCode, status);
      const e = await rejected(h.drive(h.mover.observe({ secondaryIps: [{ address: '10.0.1.100', enis: ['eni-0aaa'] }] })));
      assert.deepEqual([e.code, e.detail['awsCode'], e.detail['httpStatus'], e.transient], [code, awsCode, status, transient]);
      assert.match(String(e.detail['requestId']), /^00000000-/);
      assert.equal(h.endpoint.count(), status >= 500 ? 4 : 1, 'only 5xx is retried');
      await h.close();
    });
  }

  it('an unknown ENI → AwsNotFound carrying InvalidNetworkInterfaceID.NotFound', async () => {
    const h = await harness();
    const e = await rejected(h.drive(h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0nope', epochGuard: h.guard() })));
    assert.deepEqual([e.code, e.detail['awsCode'], e.detail['httpStatus']], ['AwsNotFound', 'InvalidNetworkInterfaceID.NotFound', 400]);
    await h.close();
  });

  it('an unreachable endpoint → AwsFailed with the socket error code, transient', async () => {
    const h = await harness();
    await h.endpoint.close();
    const e = await rejected(h.drive(h.mover.observe({ routes: [{ routeTableId: 'rtb-0main', cidr: '192.168.50.10/32' }] })));
    assert.deepEqual([e.code, e.detail['awsCode'], e.transient], ['AwsFailed', 'ECONNREFUSED', true]);
    h.client.destroy();
  });

  it("the caller's cancellation ends a hanging call as AwsTimeout", async () => {
    const h = await harness();
    h.endpoint.hangNext(1);
    const ac = new AbortController();
    const p = h.mover.moveSecondaryIp({ address: '10.0.1.100', eni: 'eni-0bbb', epochGuard: h.guard(), signal: ac.signal });
    const real = new SystemClock();
    for (let i = 0; i < 1_000 && h.endpoint.parked === 0; i++) await real.sleep(2);
    ac.abort();
    const e = await rejected(p);
    assert.equal(e.code, 'AwsTimeout');
    assert.match(e.message, /cancelled by the caller/);
    await h.close();
  });
});
