/**
 * Checks on caller values, shared by both drivers so they refuse the same
 * inputs with the same typed error. They also keep protocol framing intact
 * (no CR/LF in FTP credentials or HTTP headers).
 */
import { isIP } from 'node:net';
import { DriverError } from './errors.js';
import type { SiteBinding, SiteDefinition } from './types.js';

function invalid(message: string): DriverError {
  return new DriverError({ code: 'InvalidArgument', message });
}

/** design.md §2: IISSite.siteName is `^[A-Za-z0-9-]+$`. */
export function checkSiteName(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw invalid(`site name ${JSON.stringify(name)} must match ^[A-Za-z0-9-]+$`);
  return name;
}

export function checkIp(address: string, what = 'address'): string {
  if (isIP(address) === 0) throw invalid(`${what} ${JSON.stringify(address)} is not an IP address`);
  return address;
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`port ${port} is not in 1–65535`);
  return port;
}

export function checkPrefixLength(address: string, prefixLength: number): number {
  const max = isIP(address) === 6 ? 128 : 32;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max)
    throw invalid(`prefix length ${prefixLength} is not in 0–${max}`);
  return prefixLength;
}

/** Host headers are DNS names: no spaces, no control characters, no colon. */
export function checkHostHeader(host: string): string {
  if (host !== '' && !/^[A-Za-z0-9.*_-]+$/.test(host)) throw invalid(`host header ${JSON.stringify(host)} is not a DNS name`);
  return host;
}

/** Anything that travels inside a line-based protocol. */
export function checkNoLineBreaks(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw invalid(`${what} must not contain line breaks or NUL`);
  return value;
}

export function checkHttpPath(path: string): string {
  if (!path.startsWith('/') || /[\s\0]/.test(path))
    throw invalid(`HTTP path ${JSON.stringify(path)} must start with / and contain no whitespace`);
  return path;
}

export function checkBinding(b: SiteBinding): SiteBinding {
  if (b.protocol !== 'http' && b.protocol !== 'https' && b.protocol !== 'ftp' && b.protocol !== 'smtp')
    throw invalid(`binding protocol ${String(b.protocol)} is not http, https, ftp or smtp`);
  if (b.address !== '*') checkIp(b.address, 'binding address');
  checkPort(b.port);
  checkHostHeader(b.hostHeader);
  if (b.certificateThumbprint !== undefined && !/^[0-9A-Fa-f]{40}$/.test(b.certificateThumbprint)) {
    throw invalid('certificate thumbprint must be 40 hex digits');
  }
  return b;
}

export function checkSiteDefinition(def: SiteDefinition): SiteDefinition {
  checkSiteName(def.name);
  if (def.bindings.length === 0) throw invalid(`site ${def.name} needs at least one binding`);
  def.bindings.forEach(checkBinding);
  checkNoLineBreaks(def.physicalPath, 'physicalPath');
  checkNoLineBreaks(def.applicationPool, 'applicationPool');
  if (def.physicalPath.trim() === '') throw invalid('physicalPath is empty');
  return def;
}
