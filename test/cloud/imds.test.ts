/**
 * HttpInstanceMetadata and awsIdentity against a loopback IMDS stand-in on virtual time: IMDSv2 token flow and reuse,
 * refresh on 401 and near expiry, 404, deadlines, no fallback to IMDSv1, MAC normalisation, unknown MACs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock, VirtualClock } from '../../src/lib/clock.js';
import { HttpInstanceMetadata } from '../../src/cloud/aws/imds.js';
import { awsIdentity, normalizeMac } from '../../src/cloud/aws/identity.js';
import { awsCloudAccess } from '../../src/cloud/aws/access.js';
import { CloudError } from '../../src/cloud/errors.js';
import { ImdsStandIn, imdsTree, type ImdsSeed } from '../support/imds-standin.js';

const IMDS_SEED: ImdsSeed = {
  region: 'eu-west-1',
  instanceId: 'i-0abc',
  interfaces: [
    { mac: '00:15:5d:0a:01:02', eni: 'eni-0aaa', ips: ['10.0.1.10', '10.0.1.100'], vpcCidr: '10.0.0.0/16' },
    { mac: '0e:49:61:0f:c3:11', eni: 'eni-0ccc', ips: ['10.0.2.10'] },
  ],
};

async function setup(seed = IMDS_SEED) {
  const clock = new VirtualClock();
  const imds = new ImdsStandIn(clock, imdsTree(seed));
  const url = await imds.start();
  const md = new HttpInstanceMetadata({ clock, baseUrl: url });
  return { clock, imds, url, md };
}

/** Real waiting for real I/O (the stand-in's sockets), until cond holds. */
async function until(cond: () => boolean): Promise<void> {
  const real = new SystemClock();
  for (let i = 0; i < 2_500 && !cond(); i++) await real.sleep(2);
  assert.ok(cond(), 'condition never held');
}

const rejectsWith = async (p: Promise<unknown>, code: string, message: RegExp) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CloudError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
};

describe('HttpInstanceMetadata (IMDSv2)', () => {
  it('asks for a token with the TTL header, then GETs with it; 404 is undefined', async () => {
    const { imds, md } = await setup();
    assert.equal(await md.get('meta-data/instance-id'), 'i-0abc');
    assert.equal(await md.get('/meta-data/nothing-here'), undefined);
    assert.deepEqual(imds.requests, [
      { method: 'PUT', path: 'api/token', withToken: false, ttl: '21600' },
      { method: 'GET', path: 'meta-data/instance-id', withToken: true },
      { method: 'GET', path: 'meta-data/nothing-here', withToken: true },
    ]);
    await imds.close();
  });

  it('reuses the token until shortly before it expires, and concurrent first calls share one token request', async () => {
    const { clock, imds, md } = await setup();
    await Promise.all([md.get('meta-data/instance-id'), md.get('meta-data/placement/region'), md.get('meta-data/mac')]);
    assert.equal(imds.count('PUT'), 1);
    await clock.advance(21_600_000 - 61_000);
    await md.get('meta-data/instance-id');
    assert.equal(imds.count('PUT'), 1, 'still valid for more than a minute');
    await clock.advance(2_000);
    await md.get('meta-data/instance-id');
    assert.equal(imds.count('PUT'), 2, 'renewed within a minute of expiry');
    await imds.close();
  });

  it('a 401 (token revoked) gets one fresh token and the same GET again', async () => {
    const { imds, md } = await setup();
    await md.get('meta-data/instance-id');
    imds.revokeTokens();
    assert.equal(await md.get('meta-data/placement/region'), 'eu-west-1');
    assert.deepEqual(
      imds.requests.slice(2).map((r) => `${r.method} ${r.path}`),
      ['GET meta-data/placement/region', 'PUT api/token', 'GET meta-data/placement/region'],
    );
    await imds.close();
  });

  it('an IMDSv1-only service (PUT refused) is a coded error, and no GET is sent without a token', async () => {
    const { imds, md } = await setup();
    imds.v1Only = true;
    await rejectsWith(
      md.get('meta-data/instance-id'),
      'MetadataUnavailable',
      /no IMDSv2 session token \(PUT \/latest\/api\/token answered HTTP 405\).*IMDSv2 only/,
    );
    assert.equal(imds.count('GET'), 0);
    await imds.close();
  });

  it('a hanging service fails after 2 s of the injected clock with the EC2/hop-limit question', async () => {
    const { clock, imds, url, md } = await setup();
    imds.hangNext(1);
    const p = md.get('meta-data/instance-id');
    p.catch(() => undefined);
    await until(() => imds.parked === 1);
    await clock.advance(1_999);
    let settled = false;
    void p.finally(() => (settled = true)).catch(() => undefined);
    await new SystemClock().sleep(20);
    assert.equal(settled, false, 'still waiting at 1999 ms');
    await clock.advance(1);
    const host = new URL(url).host.replace(/\./g, '\\.');
    await rejectsWith(
      p,
      'MetadataUnavailable',
      new RegExp(`at ${host} did not answer within 2 s: is this an EC2 instance, and is IMDS enabled with a hop limit ≥ 1\\?`),
    );
    await imds.close();
  });

  it('an unreachable service is a coded error naming the reason', async () => {
    const { imds, url } = await setup();
    await imds.close();
    const md = new HttpInstanceMetadata({ clock: new VirtualClock(), baseUrl: url });
    await rejectsWith(
      md.get('meta-data/instance-id'),
      'MetadataUnavailable',
      /could not be reached \(ECONNREFUSED\): is this an EC2 instance/,
    );
  });

  it('a GET refused even with a fresh token fails once (no loop) and never shows the token', async () => {
    const { imds, md } = await setup();
    imds.refuseGets = true;
    const e = await md.get('meta-data/instance-id').then(
      () => assert.fail('no error'),
      (err: unknown) => err as CloudError,
    );
    assert.equal(e.code, 'MetadataUnavailable');
    assert.match(e.message, /reading meta-data\/instance-id: .* refused a fresh session token/);
    assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.detail }), /token-\d/);
    assert.deepEqual(
      imds.requests.map((r) => r.method),
      ['PUT', 'GET', 'PUT', 'GET'],
    );
    await imds.close();
  });

  it('talks to 169.254.169.254 unless told otherwise', async () => {
    // Real time, briefly: off EC2 the link-local address either refuses at once or stays silent past the deadline.
    const md = new HttpInstanceMetadata({ clock: new SystemClock(), timeoutMs: 200 });
    const outcome = await md.get('meta-data/instance-id').then(
      () => 'answered (running on EC2)',
      (e: Error) => e.message,
    );
    if (outcome !== 'answered (running on EC2)') assert.match(outcome, /instance metadata service at 169\.254\.169\.254/);
  });
});

describe('awsIdentity', () => {
  it('normalises a Windows MAC and reads region, instance, ENI, primary IP and VPC CIDR', async () => {
    const { imds, md } = await setup();
    assert.deepEqual(await awsIdentity(md, '00-15-5D-0A-01-02'), {
      region: 'eu-west-1',
      instanceId: 'i-0abc',
      mac: '00:15:5d:0a:01:02',
      eni: 'eni-0aaa',
      primaryIp: '10.0.1.10',
      vpcCidr: '10.0.0.0/16',
    });
    const second = await awsIdentity(md, '0E:49:61:0F:C3:11');
    assert.equal(second.eni, 'eni-0ccc');
    assert.equal(second.vpcCidr, undefined);
    await imds.close();
  });

  it('caches per MAC (any spelling), but not failures', async () => {
    const { imds, url, md } = await setup();
    await awsIdentity(md, '00-15-5D-0A-01-02');
    const gets = imds.count('GET');
    await awsIdentity(md, '00:15:5d:0a:01:02');
    await awsIdentity(md, '00155D0A0102');
    assert.equal(imds.count('GET'), gets, 'no new requests');
    imds.v1Only = true;
    const other = new HttpInstanceMetadata({ clock: new VirtualClock(), baseUrl: url });
    await assert.rejects(awsIdentity(other, '0e:49:61:0f:c3:11'), { code: 'MetadataUnavailable' });
    imds.v1Only = false;
    assert.equal((await awsIdentity(other, '0e:49:61:0f:c3:11')).eni, 'eni-0ccc', 'the failure was not cached');
    await imds.close();
  });

  it('an unknown MAC is AwsInterfaceUnknown listing the MACs IMDS knows; a non-MAC is refused', async () => {
    const { imds, md } = await setup();
    await rejectsWith(
      awsIdentity(md, '00-15-5D-FF-FF-FF'),
      'AwsInterfaceUnknown',
      /no network interface with MAC 00:15:5d:ff:ff:ff \(the instance metadata service knows 00:15:5d:0a:01:02, 0e:49:61:0f:c3:11\)/,
    );
    await rejectsWith(awsIdentity(md, 'Ethernet'), 'AwsInterfaceUnknown', /"Ethernet" is not a MAC address/);
    assert.equal(normalizeMac('00-15-5d-0A-01:02'), undefined, 'mixed separators are not a MAC');
    await imds.close();
  });
});

describe('awsCloudAccess', () => {
  it('uses IMDSv2 at 169.254.169.254 by default and one EC2 client per region', () => {
    const access = awsCloudAccess({ clock: new VirtualClock() });
    assert.ok(access.metadata instanceof HttpInstanceMetadata);
    assert.equal(access.ec2('us-east-1'), access.ec2('us-east-1'));
    assert.notEqual(access.ec2('us-east-1'), access.ec2('eu-west-1'));
    access.close();
  });
});
