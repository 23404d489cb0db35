/**
 * Gathering the cloud facts of `winha doctor` for this node's cloud VirtualIPs: IMDSv2 and the interfaces' AWS
 * identities, the instance role's permissions (each EC2 action sent with DryRun), the source/destination check, and
 * whether Azure probe ports are free. Every failure becomes a fact; nothing here throws for a missing cloud.
 */
import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  ReplaceRouteCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createServer } from 'node:net';
import type { Clock } from '../../lib/clock.js';
import type { HostDriver } from '../types.js';
import { callAws, type CallPolicy } from '../../cloud/aws/call.js';
import { awsIdentity } from '../../cloud/aws/identity.js';
import { isCloudError } from '../../cloud/errors.js';
import type { CloudAccess } from '../../cloud/types.js';
import type { AwsDoctorFacts, AzureDoctorFacts, CloudDoctorFacts, CloudFailure, CloudVipExpectation } from './types.js';

export type InterfaceMacs = () => Promise<{ alias: string; mac: string }[] | { unavailable: string }>;
export type PortFree = (port: number) => Promise<{ free: true } | { free: false; error: string }>;

export interface CloudGatherDeps {
  clock: Clock;
  /** The node's way into AWS (awsCloudAccess); absent: the AWS checks report that nothing could be asked. */
  cloud?: CloudAccess;
  /** This node's interface aliases and MACs (the driver's listInterfaces), or why they could not be listed. */
  interfaceMacs?: InterfaceMacs;
  /** Default: a brief real listen on the port. */
  portFree?: PortFree;
  /** Deadline of each EC2 call (IMDS has its own, 2 s). */
  timeoutMs?: number;
}

const failure = (e: unknown): CloudFailure =>
  isCloudError(e) ? { code: e.code, message: e.message } : { code: 'Unexpected', message: e instanceof Error ? e.message : String(e) };

export async function gatherCloudFacts(deps: CloudGatherDeps, vips: readonly CloudVipExpectation[]): Promise<CloudDoctorFacts> {
  const aws = vips.filter((v) => v.provider !== 'azureLoadBalancer');
  const azure = vips.filter((v) => v.provider === 'azureLoadBalancer');
  return {
    ...(aws.length > 0 ? { aws: await gatherAws(deps, aws) } : {}),
    ...(azure.length > 0 ? { azure: await gatherAzure(deps.portFree ?? listenBriefly, azure) } : {}),
  };
}

async function gatherAzure(portFree: PortFree, vips: CloudVipExpectation[]): Promise<AzureDoctorFacts> {
  const ports = [...new Set(vips.map((v) => v.probePort).filter((p): p is number => p !== undefined))].sort((a, b) => a - b);
  const probePorts: AzureDoctorFacts['probePorts'] = [];
  for (const port of ports) {
    const r = await portFree(port);
    probePorts.push(r.free ? { port, free: true } : { port, free: false, error: r.error });
  }
  return { probePorts };
}

async function gatherAws(deps: CloudGatherDeps, vips: CloudVipExpectation[]): Promise<AwsDoctorFacts> {
  const empty = { interfaces: [], permissions: [], sourceDestCheck: [] };
  if (!deps.cloud) return { metadata: { ok: false, error: { code: 'NoCloudAccess', message: 'no AWS access was configured' } }, ...empty };
  const { cloud } = deps;
  let instance: { instanceId: string; region: string };
  try {
    const [instanceId, region] = await Promise.all([
      cloud.metadata.get('meta-data/instance-id'),
      cloud.metadata.get('meta-data/placement/region'),
    ]);
    if (!instanceId || !region) throw new Error(`the instance metadata service has no ${instanceId ? 'placement/region' : 'instance-id'}`);
    instance = { instanceId: instanceId.trim(), region: region.trim() };
  } catch (e) {
    return { metadata: { ok: false, error: failure(e) }, ...empty };
  }

  const aliases = [...new Set(vips.map((v) => v.interface))].sort();
  const macs = deps.interfaceMacs ? await deps.interfaceMacs().catch((e: unknown) => ({ unavailable: failure(e).message })) : undefined;
  const interfaces: AwsDoctorFacts['interfaces'] = [];
  for (const alias of aliases) {
    if (!macs || 'unavailable' in macs) {
      const why = macs?.unavailable ?? 'no way to list interfaces was given';
      interfaces.push({ alias, error: { code: 'InterfacesUnavailable', message: `the MAC of ${alias} could not be read: ${why}` } });
      continue;
    }
    const nic = macs.find((m) => m.alias.toLowerCase() === alias.toLowerCase());
    if (!nic) {
      const present = macs.map((m) => m.alias).join(', ') || 'none';
      interfaces.push({ alias, error: { code: 'InterfaceMissing', message: `no network adapter named ${alias} (present: ${present})` } });
      continue;
    }
    try {
      const id = await awsIdentity(cloud.metadata, nic.mac);
      const identity = { eni: id.eni, primaryIp: id.primaryIp, region: id.region, instanceId: id.instanceId };
      interfaces.push({ alias, mac: id.mac, identity: id.vpcCidr ? { ...identity, vpcCidr: id.vpcCidr } : identity });
    } catch (e) {
      interfaces.push({ alias, mac: nic.mac, error: failure(e) });
    }
  }

  const policy: CallPolicy = {
    clock: deps.clock,
    callTimeoutMs: deps.timeoutMs ?? 10_000,
    maxAttempts: 2,
    backoffBaseMs: 500,
    backoffMaxMs: 2_000,
  };
  const probes = new Map<string, DryRun>();
  const sdc = new Map<string, string>();
  for (const v of vips) {
    const identity = interfaces.find((i) => i.alias === v.interface)?.identity;
    if (!identity) continue;
    const region = v.region ?? instance.region;
    for (const p of dryRunsFor(v, identity.eni, identity.primaryIp, region)) probes.set(`${p.action} ${region} ${p.resource}`, p);
    if (v.provider === 'awsRouteTable') sdc.set(identity.eni, region);
  }
  const permissions = await Promise.all([...probes.values()].map((p) => dryRun(policy, cloud.ec2(p.region), p)));
  const sourceDestCheck = await Promise.all(
    [...sdc].map(async ([eni, region]) => {
      try {
        const out = await callAws(policy, 'DescribeNetworkInterfaces', (abortSignal) =>
          cloud.ec2(region).send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }), { abortSignal }),
        );
        return { eni, enabled: out.NetworkInterfaces?.[0]?.SourceDestCheck !== false };
      } catch (e) {
        return { eni, error: failure(e) };
      }
    }),
  );
  return { metadata: { ok: true, ...instance }, interfaces, permissions, sourceDestCheck };
}

interface DryRun {
  action: string;
  region: string;
  resource: string;
  send(client: EC2Client, abortSignal: AbortSignal): Promise<unknown>;
  /** Not a DryRun but a request AWS refuses after the permission check: any 400 refusal means allowed. */
  refusalProves?: boolean;
}

/** The calls the AWS mover makes for this VirtualIP, each with DryRun and the parameters it would use. */
function dryRunsFor(v: CloudVipExpectation, eni: string, primaryIp: string, region: string): DryRun[] {
  const DryRun = true;
  const run = (action: string, resource: string, send: DryRun['send']): DryRun => ({ action, region, resource, send });
  const describeEni = run('DescribeNetworkInterfaces', eni, (c, abortSignal) =>
    c.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni], DryRun }), { abortSignal }),
  );
  switch (v.provider) {
    case 'awsSecondaryIp':
      return [
        // It has no DryRun: asking for the ENI's own primary address changes nothing, and AWS judges IAM first.
        {
          ...run('AssignPrivateIpAddresses', eni, (c, abortSignal) =>
            c.send(
              new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, PrivateIpAddresses: [primaryIp], AllowReassignment: false }),
              {
                abortSignal,
              },
            ),
          ),
          refusalProves: true,
        },
        describeEni,
      ];
    case 'awsRouteTable': {
      const cidr = `${v.address}/32`;
      return [
        ...(v.routeTableIds ?? []).flatMap((rtb) => [
          run('ReplaceRoute', rtb, (c, abortSignal) =>
            c.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: cidr, NetworkInterfaceId: eni, DryRun }), {
              abortSignal,
            }),
          ),
          run('CreateRoute', rtb, (c, abortSignal) =>
            c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: cidr, NetworkInterfaceId: eni, DryRun }), {
              abortSignal,
            }),
          ),
        ]),
        run('DescribeRouteTables', (v.routeTableIds ?? []).join(','), (c, abortSignal) =>
          c.send(new DescribeRouteTablesCommand({ RouteTableIds: v.routeTableIds ?? [], DryRun }), { abortSignal }),
        ),
        describeEni,
      ];
    }
    case 'awsElasticIp': {
      const allocationId = v.allocationId ?? '';
      return [
        run('AssociateAddress', allocationId, (c, abortSignal) =>
          c.send(
            new AssociateAddressCommand({
              AllocationId: allocationId,
              NetworkInterfaceId: eni,
              PrivateIpAddress: primaryIp,
              AllowReassociation: true,
              DryRun,
            }),
            { abortSignal },
          ),
        ),
        run('DescribeAddresses', allocationId, (c, abortSignal) =>
          c.send(new DescribeAddressesCommand({ AllocationIds: [allocationId], DryRun }), { abortSignal }),
        ),
      ];
    }
    default:
      return [];
  }
}

/** DryRunOperation (412) = the role may; UnauthorizedOperation (403) = it may not; anything else = could not tell. */
async function dryRun(policy: CallPolicy, client: EC2Client, p: DryRun): Promise<AwsDoctorFacts['permissions'][number]> {
  const base = { action: p.action, region: p.region, resource: p.resource };
  try {
    await callAws(policy, p.action, (abortSignal) => p.send(client, abortSignal));
    // Only a service that ignores DryRun answers 200: the permission is there all the same.
    return { ...base, verdict: 'allowed' };
  } catch (e) {
    const awsCode = isCloudError(e) ? e.detail['awsCode'] : undefined;
    if (awsCode === 'DryRunOperation') return { ...base, verdict: 'allowed' };
    if (awsCode === 'UnauthorizedOperation') return { ...base, verdict: 'denied', error: failure(e) };
    if (p.refusalProves && isCloudError(e, 'AwsFailed') && e.detail['httpStatus'] === 400) return { ...base, verdict: 'allowed' };
    return { ...base, verdict: 'error', error: failure(e) };
  }
}

/** The MACs as the driver lists them (Windows: Get-NetAdapter), with a driver opened for it and closed after. */
export function driverInterfaceMacs(open: () => HostDriver, timeoutMs = 60_000): InterfaceMacs {
  return async () => {
    const driver = open();
    try {
      return (await driver.listInterfaces({ epoch: 0, timeoutMs })).map((n) => ({ alias: n.alias, mac: n.macAddress }));
    } catch (e) {
      return { unavailable: e instanceof Error ? e.message : String(e) };
    } finally {
      await driver.close?.();
    }
  };
}

/** Listen on the port on every address for an instant: EADDRINUSE means something else holds it. */
export const listenBriefly: PortFree = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve({ free: false, error: e.code ?? e.message }));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve({ free: true })));
  });
