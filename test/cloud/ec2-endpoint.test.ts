/**
 * The loopback EC2 endpoint on the wire, without the SDK: form-encoded POSTs, namespaced XML answers, EC2 error XML
 * with the right status, and the state model's AWS behaviours (asynchronous remap, an Elastic IP following its IP).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { VirtualClock } from '../../src/lib/clock.js';
import { EC2_XMLNS, Ec2Endpoint, listParam } from '../../src/sim/cloud/ec2-endpoint.js';
import { Ec2State } from '../../src/sim/cloud/ec2-state.js';
import { SEED } from './harness.js';

async function setup() {
  const clock = new VirtualClock();
  const state = new Ec2State(clock, structuredClone(SEED));
  const ep = new Ec2Endpoint(clock, state);
  const url = await ep.start();
  const post = async (form: Record<string, string>, auth = true) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth) headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=AKIDFAKE/20260101/us-east-1/ec2/aws4_request';
    const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams({ Version: '2016-11-15', ...form }).toString() });
    const text = await res.text();
    return { status: res.status, text, xml: new XMLParser({ ignoreAttributes: false }).parse(text) as Record<string, any> };
  };
  return { clock, state, ep, post };
}

describe('Ec2Endpoint on the wire', () => {
  it('answers in the EC2 namespace with requestId and the documented element names', async () => {
    const { ep, post } = await setup();
    const r = await post({ Action: 'DescribeNetworkInterfaces', 'NetworkInterfaceId.1': 'eni-0aaa' });
    assert.equal(r.status, 200);
    const body = r.xml['DescribeNetworkInterfacesResponse'];
    assert.equal(body['@_xmlns'], EC2_XMLNS);
    assert.ok(body.requestId);
    const item = body.networkInterfaceSet.item;
    assert.equal(item.networkInterfaceId, 'eni-0aaa');
    assert.equal(item.sourceDestCheck, true);
    assert.deepEqual(
      item.privateIpAddressesSet.item.map((i: { privateIpAddress: string }) => i.privateIpAddress),
      ['10.0.1.10', '10.0.1.100'],
    );
    const rr = await post({
      Action: 'ReplaceRoute',
      RouteTableId: 'rtb-0main',
      DestinationCidrBlock: '192.168.50.10/32',
      NetworkInterfaceId: 'eni-0bbb',
    });
    assert.equal(rr.xml['ReplaceRouteResponse']['return'], true);
    await ep.close();
  });

  it('errors use EC2 error XML and the HTTP status AWS uses', async () => {
    const { ep, post } = await setup();
    const nf = await post({ Action: 'DescribeNetworkInterfaces', 'NetworkInterfaceId.1': 'eni-0nope' });
    assert.equal(nf.status, 400);
    assert.equal(nf.xml['Response']['Errors']['Error']['Code'], 'InvalidNetworkInterfaceID.NotFound');
    assert.ok(nf.xml['Response']['RequestID']);
    const noAuth = await post({ Action: 'DescribeAddresses' }, false);
    assert.deepEqual([noAuth.status, noAuth.xml['Response']['Errors']['Error']['Code']], [401, 'AuthFailure']);
    ep.throttleNext(1);
    const th = await post({ Action: 'DescribeAddresses' });
    assert.deepEqual([th.status, th.xml['Response']['Errors']['Error']['Code']], [503, 'RequestLimitExceeded']);
    const bad = await post({ Action: 'TerminateInstances' });
    assert.deepEqual([bad.status, bad.xml['Response']['Errors']['Error']['Code']], [400, 'InvalidAction']);
    const missing = await post({ Action: 'AssignPrivateIpAddresses', NetworkInterfaceId: 'eni-0bbb' });
    assert.deepEqual([missing.status, missing.xml['Response']['Errors']['Error']['Code']], [400, 'MissingParameter']);
    assert.equal(ep.count(), 5, 'every request is counted');
    await ep.close();
  });

  it('lists come back in index order', () => {
    assert.deepEqual(listParam({ 'X.2': 'b', 'X.10': 'c', 'X.1': 'a', Y: 'z' }, 'X'), ['a', 'b', 'c']);
  });
});

describe('Ec2State', () => {
  it('a remap is invisible until its delay passes, and an Elastic IP on the moved address follows it', async () => {
    const clock = new VirtualClock();
    const state = new Ec2State(clock, structuredClone(SEED));
    state.associateAddress('eipalloc-0web', 'eni-0aaa', '10.0.1.100', true);
    state.assignDelayMs = 10_000;
    state.assign('eni-0bbb', ['10.0.1.100'], true);
    await clock.advance(9_999);
    assert.equal(state.holderOf('10.0.1.100'), 'eni-0aaa');
    await clock.advance(1);
    assert.equal(state.holderOf('10.0.1.100'), 'eni-0bbb');
    assert.equal(state.describeAddresses(['eipalloc-0web'])[0]?.eni, 'eni-0bbb');
  });

  it('refuses to take a primary address, and without reassignment an address in use', () => {
    const state = new Ec2State(new VirtualClock(), structuredClone(SEED));
    assert.throws(() => state.assign('eni-0bbb', ['10.0.1.10'], true), { code: 'InvalidParameterValue' });
    assert.throws(() => state.assign('eni-0bbb', ['10.0.1.100'], false), { code: 'InvalidIPAddress.InUse' });
    assert.throws(() => state.associateAddress('eipalloc-0web', 'eni-0bbb', undefined, false), { code: 'Resource.AlreadyAssociated' });
  });
});
