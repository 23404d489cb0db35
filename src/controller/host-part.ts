/**
 * A resting group's part of this host (issue 19): its sites and its addresses as its last full look saw them, in
 * one string. The beat compares it with the shared host observation and wakes the group on any difference, so
 * drift on a resting group is undone within a beat or two while the group itself decides far less often.
 */
import type { VirtualIP } from '../api/types.js';
import { movedByApi, probePortOf } from '../cloud/vip-routing.js';
import type { IpAddressInfo, SiteInfo } from '../drivers/types.js';
import { canonicalIp } from '../lib/ip.js';

export interface HostPart {
  /** The group's IIS site names, lower case (the observation's keys). */
  sites: readonly string[];
  /** The group's VirtualIP addresses, canonical. */
  addresses: readonly string[];
  /** What the observation said about each site, then each address, at the last full look. */
  seen: readonly string[];
  /** The group's quick-check interval (ms): the beat looks at its part with an observation at most half of it old. */
  quickMs: number;
  /** Clock.monotonic() of that look. */
  fullAt: number;
}

/**
 * Whether the host observation alone shows everything a look at the group would: not for an address a cloud API
 * moves or a load balancer probes (their state lives outside the host's address list).
 */
export function watchable(vips: readonly VirtualIP[]): boolean {
  return !vips.some((v) => movedByApi(v) || probePortOf(v) !== undefined);
}

/** Describes parts against observations: each site and address is serialized once per observation, however many groups read it. */
export class HostParts {
  private last: ObservationText | undefined;

  /** What `sites` and `addrs` (one observation) say about the part's sites, then its addresses. */
  seen(part: Pick<HostPart, 'sites' | 'addresses'>, sites: ReadonlyMap<string, SiteInfo>, addrs: readonly IpAddressInfo[]): string[] {
    const text = this.of(sites, addrs);
    return [...part.sites.map((n) => text.site(n)), ...part.addresses.map((a) => text.address(a))];
  }

  /** Whether one observation still says what `part.seen` recorded (string comparisons, nothing built per group). */
  same(part: HostPart, sites: ReadonlyMap<string, SiteInfo>, addrs: readonly IpAddressInfo[]): boolean {
    const text = this.of(sites, addrs);
    const n = part.sites.length;
    for (let i = 0; i < n; i++) if (text.site(part.sites[i]!) !== part.seen[i]) return false;
    for (let i = 0; i < part.addresses.length; i++) if (text.address(part.addresses[i]!) !== part.seen[n + i]) return false;
    return true;
  }

  private of(sites: ReadonlyMap<string, SiteInfo>, addrs: readonly IpAddressInfo[]): ObservationText {
    if (this.last?.sites !== sites || this.last.addrs !== addrs) this.last = new ObservationText(sites, addrs);
    return this.last;
  }
}

/** One observation's sites and addresses as text, made when first asked for. */
class ObservationText {
  private readonly siteText = new Map<string, string>();
  private byAddress: Map<string, string> | undefined;

  constructor(
    readonly sites: ReadonlyMap<string, SiteInfo>,
    readonly addrs: readonly IpAddressInfo[],
  ) {}

  site(name: string): string {
    let t = this.siteText.get(name);
    if (t === undefined) this.siteText.set(name, (t = JSON.stringify(this.sites.get(name) ?? null)));
    return t;
  }

  address(a: string): string {
    this.byAddress ??= byAddress(this.addrs);
    return this.byAddress.get(a) ?? '[]';
  }
}

/** Every entry of each address (an address may sit on several interfaces), serialized, by canonical address. */
function byAddress(addrs: readonly IpAddressInfo[]): Map<string, string> {
  const lists = new Map<string, IpAddressInfo[]>();
  for (const a of addrs) {
    const key = canonicalIp(a.address);
    const l = lists.get(key);
    if (l) l.push(a);
    else lists.set(key, [a]);
  }
  return new Map([...lists].map(([k, l]) => [k, JSON.stringify(l)]));
}
