/**
 * Moves a cluster's AWS addresses to the active node: a secondary private IP between ENIs, a VPC route's target,
 * an Elastic IP association. Every mutating call is preceded by the epoch guard, so a stale holder never moves one.
 */
import { createRequire } from 'node:module';
import type { EC2Client, EC2ClientConfig, NetworkInterface } from '@aws-sdk/client-ec2';
import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { CloudError, isCloudError, type CloudProblem } from '../errors.js';
import { callAws, type CallPolicy } from './call.js';

const requireCjs = createRequire(import.meta.url);
let sdk: typeof Ec2Sdk | undefined;

/** The AWS SDK, loaded on first use: it adds about 90 MB to a process, and most agents never move an AWS address. */
function ec2Sdk(): typeof Ec2Sdk {
  return (sdk ??= requireCjs('@aws-sdk/client-ec2') as typeof Ec2Sdk);
}

export type EpochGuard = () => Promise<boolean>;

export interface Ec2ClientOptions {
  region: string;
  /** Only for tests and private endpoints (a loopback EC2 endpoint). */
  endpoint?: string;
  /** Only for tests; production leaves it out so the SDK's default provider chain (instance role) is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Only for the simulator: the SDK's requests go to the simulated world instead of a socket. */
  requestHandler?: EC2ClientConfig['requestHandler'];
}

/** The SDK client as the mover needs it: no SDK retries (ours run on the injected clock). */
export function createEc2Client(o: Ec2ClientOptions): EC2Client {
  // WinHA runs on Node 20 with a pinned SDK: its "will require node >= 22 after January 2027" notice would land in
  // every agent log and CLI output on every start; the upgrade is tracked in the README, not told to each operator.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new (ec2Sdk().EC2Client)({
    region: o.region,
    maxAttempts: 1,
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
    ...(o.requestHandler !== undefined ? { requestHandler: o.requestHandler } : {}),
  });
}

export interface AwsMoverOptions {
  client: EC2Client;
  clock: Clock;
  random?: Random;
  /** Deadline of each API call (default 10 s). */
  callTimeoutMs?: number;
  /** Attempts per call for throttling and 5xx (default 4). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often to look whether an asynchronous IP move has landed (default 1 s). */
  pollIntervalMs?: number;
  /** How long a secondary-IP move may take to become visible (default 60 s). */
  moveDeadlineMs?: number;
}

export interface MoveSecondaryIp {
  address: string;
  eni: string;
  epochGuard: EpochGuard;
  signal?: AbortSignal;
}
export interface MoveRoute {
  cidr: string;
  routeTableId: string;
  eni: string;
  epochGuard: EpochGuard;
  signal?: AbortSignal;
}
export interface AssociateElasticIp {
  allocationId: string;
  eni: string;
  privateIp: string;
  epochGuard: EpochGuard;
  signal?: AbortSignal;
}

export interface ObserveRequest {
  /** Secondary IPs and the ENIs (the cluster's nodes) that may hold them. */
  secondaryIps?: { address: string; enis: string[] }[];
  routes?: { routeTableId: string; cidr: string }[];
  elasticIps?: string[];
}
export interface Observation {
  secondaryIps: { address: string; holder: string | null }[];
  routes: { routeTableId: string; cidr: string; eni: string | null }[];
  elasticIps: { allocationId: string; eni: string | null; privateIp: string | null }[];
}

const ipsOf = (n: NetworkInterface | undefined) =>
  (n?.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress).filter((a): a is string => a !== undefined);

export class AwsMover {
  private readonly client: EC2Client;
  private readonly clock: Clock;
  private readonly policy: CallPolicy;
  private readonly pollIntervalMs: number;
  private readonly moveDeadlineMs: number;

  constructor(o: AwsMoverOptions) {
    this.client = o.client;
    this.clock = o.clock;
    this.policy = {
      clock: o.clock,
      callTimeoutMs: o.callTimeoutMs ?? 10_000,
      maxAttempts: o.maxAttempts ?? 4,
      backoffBaseMs: o.backoffBaseMs ?? 500,
      backoffMaxMs: o.backoffMaxMs ?? 8_000,
      ...(o.random ? { random: o.random } : {}),
    };
    this.pollIntervalMs = o.pollIntervalMs ?? 1_000;
    this.moveDeadlineMs = o.moveDeadlineMs ?? 60_000;
  }

  /** Reassign the address to the ENI, then wait until AWS shows it there (the remap is asynchronous). */
  async moveSecondaryIp(m: MoveSecondaryIp): Promise<{ address: string; eni: string; visibleAfterMs: number }> {
    const started = this.clock.monotonic();
    const deadline = started + this.moveDeadlineMs;
    await callAws(
      this.policy,
      'AssignPrivateIpAddresses',
      (abortSignal) =>
        this.client.send(
          new (ec2Sdk().AssignPrivateIpAddressesCommand)({
            NetworkInterfaceId: m.eni,
            PrivateIpAddresses: [m.address],
            AllowReassignment: true,
          }),
          { abortSignal },
        ),
      { epochGuard: m.epochGuard, ...(m.signal ? { signal: m.signal } : {}) },
    );
    for (;;) {
      const enis = await this.describeEnis([m.eni], m.signal);
      if (ipsOf(enis[0]).includes(m.address)) return { address: m.address, eni: m.eni, visibleAfterMs: this.clock.monotonic() - started };
      if (this.clock.monotonic() + this.pollIntervalMs > deadline) {
        const detail = { operation: 'AssignPrivateIpAddresses', address: m.address, eni: m.eni, deadlineMs: this.moveDeadlineMs };
        throw new CloudError(
          'AwsTimeout',
          `${m.address} was not visible on ${m.eni} within ${this.moveDeadlineMs} ms of the move`,
          detail,
          true,
        );
      }
      await this.clock.sleep(this.pollIntervalMs, m.signal);
    }
  }

  /** Point the route at the ENI (creating it when absent), confirm it, and report an ENI that would drop forwarded traffic. */
  async moveRoute(m: MoveRoute): Promise<{ created: boolean; problems: CloudProblem[] }> {
    const opts = { epochGuard: m.epochGuard, ...(m.signal ? { signal: m.signal } : {}) };
    const input = { RouteTableId: m.routeTableId, DestinationCidrBlock: m.cidr, NetworkInterfaceId: m.eni };
    let created = false;
    try {
      await callAws(
        this.policy,
        'ReplaceRoute',
        (abortSignal) => this.client.send(new (ec2Sdk().ReplaceRouteCommand)(input), { abortSignal }),
        opts,
      );
    } catch (e) {
      if (!(isCloudError(e, 'AwsNotFound') && e.detail['awsCode'] === 'InvalidRoute.NotFound')) throw e;
      await callAws(
        this.policy,
        'CreateRoute',
        (abortSignal) => this.client.send(new (ec2Sdk().CreateRouteCommand)(input), { abortSignal }),
        opts,
      );
      created = true;
    }
    const problems: CloudProblem[] = [];
    const [route] = await this.describeRoutes([{ routeTableId: m.routeTableId, cidr: m.cidr }], m.signal);
    if (route?.eni !== m.eni) {
      problems.push({
        code: 'RouteNotConfirmed',
        message: `route ${m.cidr} in ${m.routeTableId} points at ${route?.eni ?? 'nothing'}, not ${m.eni}, after the change`,
      });
    }
    const [eni] = await this.describeEnis([m.eni], m.signal);
    if (eni?.SourceDestCheck !== false) {
      problems.push({
        code: 'SourceDestCheckEnabled',
        message: `${m.eni} has source/destination checking on: it drops traffic for ${m.cidr} routed to it; turn it off`,
      });
    }
    return { created, problems };
  }

  /** Associate the Elastic IP with the ENI's private IP, taking it from wherever it is. */
  async associateElasticIp(m: AssociateElasticIp): Promise<{ associationId: string }> {
    const out = await callAws(
      this.policy,
      'AssociateAddress',
      (abortSignal) =>
        this.client.send(
          new (ec2Sdk().AssociateAddressCommand)({
            AllocationId: m.allocationId,
            NetworkInterfaceId: m.eni,
            PrivateIpAddress: m.privateIp,
            AllowReassociation: true,
          }),
          {
            abortSignal,
          },
        ),
      { epochGuard: m.epochGuard, ...(m.signal ? { signal: m.signal } : {}) },
    );
    if (!out.AssociationId)
      throw new CloudError('AwsFailed', `AssociateAddress for ${m.allocationId} answered without an association id`, {
        operation: 'AssociateAddress',
        awsCode: 'None',
      });
    return { associationId: out.AssociationId };
  }

  /** Who holds each address now (read-only: no epoch needed), for drift repair. */
  async observe(r: ObserveRequest, signal?: AbortSignal): Promise<Observation> {
    const secondary = r.secondaryIps ?? [];
    const enis = await this.describeEnis([...new Set(secondary.flatMap((s) => s.enis))], signal);
    const holders = new Map<string, string>();
    for (const n of enis) for (const ip of ipsOf(n)) if (n.NetworkInterfaceId) holders.set(ip, n.NetworkInterfaceId);
    const eips = r.elasticIps?.length ? await this.describeAddresses(r.elasticIps, signal) : [];
    return {
      secondaryIps: secondary.map((s) => ({ address: s.address, holder: holders.get(s.address) ?? null })),
      routes: await this.describeRoutes(r.routes ?? [], signal),
      elasticIps: (r.elasticIps ?? []).map((id) => {
        const a = eips.find((x) => x.AllocationId === id);
        return { allocationId: id, eni: a?.NetworkInterfaceId ?? null, privateIp: a?.PrivateIpAddress ?? null };
      }),
    };
  }

  private async describeEnis(ids: string[], signal?: AbortSignal): Promise<NetworkInterface[]> {
    if (ids.length === 0) return [];
    const out = await callAws(
      this.policy,
      'DescribeNetworkInterfaces',
      (abortSignal) => this.client.send(new (ec2Sdk().DescribeNetworkInterfacesCommand)({ NetworkInterfaceIds: ids }), { abortSignal }),
      signal ? { signal } : {},
    );
    return out.NetworkInterfaces ?? [];
  }

  private async describeRoutes(want: { routeTableId: string; cidr: string }[], signal?: AbortSignal): Promise<Observation['routes']> {
    if (want.length === 0) return [];
    const ids = [...new Set(want.map((w) => w.routeTableId))];
    const out = await callAws(
      this.policy,
      'DescribeRouteTables',
      (abortSignal) => this.client.send(new (ec2Sdk().DescribeRouteTablesCommand)({ RouteTableIds: ids }), { abortSignal }),
      signal ? { signal } : {},
    );
    return want.map((w) => {
      const route = out.RouteTables?.find((t) => t.RouteTableId === w.routeTableId)?.Routes?.find((x) => x.DestinationCidrBlock === w.cidr);
      return { routeTableId: w.routeTableId, cidr: w.cidr, eni: route?.NetworkInterfaceId ?? null };
    });
  }

  private async describeAddresses(ids: string[], signal?: AbortSignal) {
    const out = await callAws(
      this.policy,
      'DescribeAddresses',
      (abortSignal) => this.client.send(new (ec2Sdk().DescribeAddressesCommand)({ AllocationIds: ids }), { abortSignal }),
      signal ? { signal } : {},
    );
    return out.Addresses ?? [];
  }
}
