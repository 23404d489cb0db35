/**
 * Who this node is in AWS, for one of its network interfaces: region, instance, ENI, primary private IP and VPC CIDR,
 * read from the instance metadata service by the interface's MAC address (as Windows prints it or as IMDS does).
 */
import { CloudError } from '../errors.js';
import type { InstanceMetadata } from '../types.js';

export interface AwsIdentity {
  region: string;
  instanceId: string;
  /** The MAC in IMDS's form: lower case, colons. */
  mac: string;
  /** The network interface (eni-...) with that MAC. */
  eni: string;
  /** Its primary private IPv4 address. */
  primaryIp: string;
  /** The VPC's primary IPv4 CIDR, when IMDS reports it. */
  vpcCidr?: string;
}

const MAC = /^[0-9a-f]{2}([-:]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** `00-15-5D-0A-01-02` (Windows), `00:15:5d:0a:01:02` (IMDS) or `00155D0A0102` → `00:15:5d:0a:01:02`; undefined if not a MAC. */
export function normalizeMac(mac: string): string | undefined {
  const m = mac.trim();
  if (!MAC.test(m)) return undefined;
  const hex = m.replace(/[-:]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}

/** They do not change for the life of an instance: one lookup per metadata service and MAC (failures are not kept). */
const cache = new WeakMap<InstanceMetadata, Map<string, Promise<AwsIdentity>>>();

export function awsIdentity(metadata: InstanceMetadata, mac: string, signal?: AbortSignal): Promise<AwsIdentity> {
  const normal = normalizeMac(mac);
  if (normal === undefined) {
    return Promise.reject(
      new CloudError('AwsInterfaceUnknown', `${JSON.stringify(mac)} is not a MAC address (expected e.g. 00-15-5D-0A-01-02)`, { mac }),
    );
  }
  const perMac = cache.get(metadata) ?? new Map<string, Promise<AwsIdentity>>();
  cache.set(metadata, perMac);
  const known = perMac.get(normal);
  if (known) return known;
  const p = lookup(metadata, normal, signal);
  perMac.set(normal, p);
  p.catch(() => {
    if (perMac.get(normal) === p) perMac.delete(normal);
  });
  return p;
}

async function lookup(md: InstanceMetadata, mac: string, signal?: AbortSignal): Promise<AwsIdentity> {
  const base = `meta-data/network/interfaces/macs/${mac}`;
  const [region, instanceId, eni, ips, vpcCidr] = await Promise.all([
    required(md, 'meta-data/placement/region', signal),
    required(md, 'meta-data/instance-id', signal),
    md.get(`${base}/interface-id`, signal),
    md.get(`${base}/local-ipv4s`, signal),
    md.get(`${base}/vpc-ipv4-cidr-block`, signal),
  ]);
  const primaryIp = ips
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (eni === undefined || eni.trim() === '' || primaryIp === undefined) {
    const listing = (await md.get('meta-data/network/interfaces/macs/', signal)) ?? '';
    const macs = listing
      .split('\n')
      .map((l) => l.trim().replace(/\/$/, ''))
      .filter((l) => l !== '');
    throw new CloudError(
      'AwsInterfaceUnknown',
      `this instance has no network interface with MAC ${mac} (the instance metadata service knows ${macs.join(', ') || 'none'}): ` +
        "check the VirtualIP's interface alias names an adapter on an ENI of this instance",
      { mac, knownMacs: macs.join(',') },
    );
  }
  const cidr = vpcCidr?.trim();
  return {
    region: region.trim(),
    instanceId: instanceId.trim(),
    mac,
    eni: eni.trim(),
    primaryIp,
    ...(cidr ? { vpcCidr: cidr } : {}),
  };
}

async function required(md: InstanceMetadata, path: string, signal?: AbortSignal): Promise<string> {
  const v = await md.get(path, signal);
  if (v === undefined || v.trim() === '')
    throw new CloudError('MetadataUnavailable', `the instance metadata service has no ${path} (HTTP 404)`, {
      path,
      step: 'get',
      httpStatus: 404,
    });
  return v;
}
