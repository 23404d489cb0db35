/** The loopback EC2 endpoint's IAM stand-in through the real SDK: DryRun answers 412 and changes nothing; deny() answers 403 first. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AssociateAddressCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { harness } from './harness.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected an EC2 error'),
    (e: { name?: string; $metadata?: { httpStatusCode?: number }; message?: string }) => ({
      name: e.name,
      status: e.$metadata?.httpStatusCode,
      message: e.message,
    }),
  );

describe('Ec2Endpoint IAM stand-in', () => {
  it('DryRun=true answers 412 DryRunOperation without changing state', async () => {
    const h = await harness();
    const input = { RouteTableId: 'rtb-0main', DestinationCidrBlock: '192.168.50.10/32', NetworkInterfaceId: 'eni-0bbb', DryRun: true };
    assert.deepEqual(await err(h.client.send(new ReplaceRouteCommand(input))), {
      name: 'DryRunOperation',
      status: 412,
      message: 'Request would have succeeded, but DryRun flag is set.',
    });
    assert.equal(h.state.describeRouteTables(['rtb-0main'])[0]?.routes.find((r) => r.cidr === '192.168.50.10/32')?.eni, 'eni-0aaa');
    await h.close();
  });

  it('a denied action answers 403 UnauthorizedOperation, with or without DryRun; deny([]) allows again', async () => {
    const h = await harness();
    h.endpoint.deny(['AssociateAddress']);
    const input = { AllocationId: 'eipalloc-0web', NetworkInterfaceId: 'eni-0bbb', AllowReassociation: true };
    for (const DryRun of [false, true]) {
      assert.deepEqual(await err(h.client.send(new AssociateAddressCommand({ ...input, DryRun }))), {
        name: 'UnauthorizedOperation',
        status: 403,
        message: 'You are not authorized to perform this operation.',
      });
    }
    assert.equal(h.state.describeAddresses(['eipalloc-0web'])[0]?.eni, 'eni-0aaa');
    h.endpoint.deny([]);
    assert.equal((await err(h.client.send(new AssociateAddressCommand({ ...input, DryRun: true })))).name, 'DryRunOperation');
    await h.close();
  });
});
