/**
 * IIS bindingInformation "IP:Port:HostHeader" ↔ the driver's SiteBinding.
 * IPv6 addresses are bracketed; an empty or `*` IP means all unassigned.
 */
import { canonicalIp } from '../../lib/ip.js';
import { DriverError } from '../errors.js';
import type { SiteBinding } from '../types.js';

export function toBindingInformation(b: SiteBinding): string {
  const ip = b.address === '*' ? '*' : b.address.includes(':') ? `[${b.address}]` : b.address;
  return `${ip}:${b.port}:${b.hostHeader}`;
}

export function fromBindingInformation(protocol: string, info: string, certificateHash = ''): SiteBinding | undefined {
  const p = protocol.toLowerCase();
  if (p !== 'http' && p !== 'https' && p !== 'ftp' && p !== 'smtp') return undefined; // net.tcp etc.: not ours to manage
  const m = /^(\[[^\]]+\]|[^:]*):(\d+):(.*)$/.exec(info);
  if (!m) throw new DriverError({ code: 'ParseError', message: `binding information ${JSON.stringify(info)} is not IP:Port:Host` });
  const rawIp = m[1]!;
  const ip = rawIp === '' || rawIp === '*' ? '*' : canonicalIp(rawIp.replace(/^\[|\]$/g, ''));
  const b: SiteBinding = { protocol: p, address: ip, port: Number.parseInt(m[2]!, 10), hostHeader: m[3]! };
  if (certificateHash) b.certificateThumbprint = certificateHash.toUpperCase();
  return b;
}
