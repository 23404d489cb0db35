/**
 * Where a cloud network sends a VirtualIP's traffic, and how the active node takes it: the AWS providers move the
 * address with the EC2 API (secondary IP, route, Elastic IP) to this node's network interface; Azure needs no API
 * call (its load balancer follows the health probe the agent answers, as LifeKeeper's Gen LB kit does,
 * docs/spec/seed-iis.md §13), so it has nothing here. The EC2 side follows the EC2 kit (§12).
 */
import type { VirtualIP } from '../api/types.js';
import type { Clock } from '../lib/clock.js';
import type { Random } from '../lib/random.js';
import type { AwsIdentity as FullIdentity } from './aws/identity.js';
import { AwsMover, type EpochGuard } from './aws/mover.js';
import { CloudError, type CloudProblem } from './errors.js';
import type { CloudAccess, InstanceMetadata } from './types.js';

export type ProviderType = 'local' | 'azureLoadBalancer' | 'awsSecondaryIp' | 'awsRouteTable' | 'awsElasticIp';

export function providerOf(v: VirtualIP): ProviderType {
  return v.spec.provider?.type ?? 'local';
}

/** The EC2 API moves it: the cloud, not ARP, decides which node gets its traffic. */
export function movedByApi(v: VirtualIP): boolean {
  return providerOf(v).startsWith('aws');
}

/** Whether the address is also configured on the active node's interface (an Elastic IP is NATed to the primary IP). */
export function heldLocally(v: VirtualIP): boolean {
  return providerOf(v) !== 'awsElasticIp';
}

/** The Azure load balancer's probe port, for an address behind one. */
export function probePortOf(v: VirtualIP): number | undefined {
  return providerOf(v) === 'azureLoadBalancer' ? v.spec.provider?.probePort : undefined;
}

/** This node as AWS knows it, for the interface with one MAC address (./aws/identity.ts finds it). */
export type AwsIdentity = Pick<FullIdentity, 'region' | 'instanceId' | 'eni' | 'primaryIp'>;

export type IdentityLookup = (metadata: InstanceMetadata, mac: string, signal?: AbortSignal) => Promise<AwsIdentity>;

export interface CloudRoute {
  /** The cloud sends the address's traffic to this node's interface. */
  here: boolean;
  /** Where it goes instead (an ENI id), or null when nowhere. */
  target: string | null;
  problems: CloudProblem[];
}

export interface CloudRoutingOptions {
  access: CloudAccess | undefined;
  identity: IdentityLookup;
  clock: Clock;
  random?: Random;
  /** Deadline of one API call (default 10 s). */
  callTimeoutMs?: number;
}

export class CloudRouting {
  private readonly movers = new Map<string, AwsMover>();

  constructor(private readonly o: CloudRoutingOptions) {}

  /** Send the address's traffic to this node (the interface with `mac`); every mutating call asks `epochGuard` first. */
  async claim(v: VirtualIP, mac: string, epochGuard: EpochGuard, signal?: AbortSignal): Promise<CloudRoute> {
    const { mover, me } = await this.prepare(v, mac, signal);
    const p = v.spec.provider!;
    switch (providerOf(v)) {
      case 'awsSecondaryIp':
        await mover.moveSecondaryIp({ address: v.spec.address, eni: me.eni, epochGuard, ...(signal ? { signal } : {}) });
        return { here: true, target: me.eni, problems: [] };
      case 'awsRouteTable': {
        const problems: CloudProblem[] = [];
        for (const routeTableId of p.routeTableIds ?? []) {
          const r = await mover.moveRoute({
            cidr: hostCidr(v.spec.address),
            routeTableId,
            eni: me.eni,
            epochGuard,
            ...(signal ? { signal } : {}),
          });
          for (const x of r.problems) if (!problems.some((y) => y.message === x.message)) problems.push(x);
        }
        return { here: problems.every((x) => x.code !== 'RouteNotConfirmed'), target: me.eni, problems };
      }
      case 'awsElasticIp':
        await mover.associateElasticIp({
          allocationId: p.allocationId!,
          eni: me.eni,
          privateIp: me.primaryIp,
          epochGuard,
          ...(signal ? { signal } : {}),
        });
        return { here: true, target: me.eni, problems: [] };
      default:
        throw notApiMoved(v);
    }
  }

  /** Where the cloud sends the address's traffic now (read-only: no epoch needed); drift shows as here=false. */
  async observe(v: VirtualIP, mac: string, signal?: AbortSignal): Promise<CloudRoute> {
    const { mover, me } = await this.prepare(v, mac, signal);
    const p = v.spec.provider!;
    switch (providerOf(v)) {
      case 'awsSecondaryIp': {
        const o = await mover.observe({ secondaryIps: [{ address: v.spec.address, enis: [me.eni] }] }, signal);
        const holder = o.secondaryIps[0]?.holder ?? null;
        return { here: holder === me.eni, target: holder, problems: [] };
      }
      case 'awsRouteTable': {
        const o = await mover.observe(
          { routes: (p.routeTableIds ?? []).map((id) => ({ routeTableId: id, cidr: hostCidr(v.spec.address) })) },
          signal,
        );
        const away = o.routes.find((r) => r.eni !== me.eni);
        return { here: away === undefined, target: away ? away.eni : me.eni, problems: [] };
      }
      case 'awsElasticIp': {
        const o = await mover.observe({ elasticIps: [p.allocationId!] }, signal);
        const a = o.elasticIps[0];
        return { here: a?.eni === me.eni && a.privateIp === me.primaryIp, target: a?.eni ?? null, problems: [] };
      }
      default:
        throw notApiMoved(v);
    }
  }

  private async prepare(v: VirtualIP, mac: string, signal?: AbortSignal): Promise<{ mover: AwsMover; me: AwsIdentity }> {
    const access = this.o.access;
    if (!access)
      throw new CloudError(
        'AwsFailed',
        `VirtualIP ${v.metadata.name} (${providerOf(v)}) needs the cloud, and this agent has no cloud access`,
        {
          operation: 'prepare',
          awsCode: 'NoCloudAccess',
        },
      );
    const me = await this.o.identity(access.metadata, mac, signal);
    const region = v.spec.provider?.region ?? me.region;
    let mover = this.movers.get(region);
    if (!mover) {
      mover = new AwsMover({
        client: access.ec2(region),
        clock: this.o.clock,
        ...(this.o.random ? { random: this.o.random } : {}),
        ...(this.o.callTimeoutMs !== undefined ? { callTimeoutMs: this.o.callTimeoutMs } : {}),
      });
      this.movers.set(region, mover);
    }
    return { mover, me };
  }
}

/** The route a VirtualIP's address takes: one host (/32, /128). */
export function hostCidr(address: string): string {
  return `${address}/${address.includes(':') ? 128 : 32}`;
}

function notApiMoved(v: VirtualIP): CloudError {
  return new CloudError('AwsFailed', `VirtualIP ${v.metadata.name} (${providerOf(v)}) is not moved through a cloud API`, {
    operation: 'claim',
    awsCode: 'NotApiMoved',
  });
}
