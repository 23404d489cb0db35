/**
 * A resting group's part of this host (issue 19): its sites and its addresses as its last full look saw them. The
 * beat compares it with the shared host observation and wakes the group on any difference, so drift on a resting
 * group is undone within half a check interval and a beat while the group itself decides far less often.
 */
import type { VirtualIP } from '../api/types.js';
import { movedByApi, probePortOf } from '../cloud/vip-routing.js';
import type { IpAddressInfo, SiteInfo } from '../drivers/types.js';
import { canonicalIp } from '../lib/ip.js';
import { jsonEqual } from '../lib/json.js';

export interface HostPart {
  /** The group's IIS site names, lower case (the observation's keys). */
  sites: readonly string[];
  /** The group's VirtualIP addresses, canonical. */
  addresses: readonly string[];
  /** What the observation said at the last full look: each site as read (null: none), each address's entries. */
  seen: Seen;
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

/** The host's own objects, kept by reference and compared by value: nothing is serialized per observation. */
export interface Seen {
  sites: (SiteInfo | null)[];
  addresses: (readonly IpAddressInfo[])[];
}

/** Records and compares parts against observations; each observation's addresses are indexed once, however many groups read it. */
export class HostParts {
  private last: { addrs: readonly IpAddressInfo[]; byAddress: Map<string, IpAddressInfo[]> } | undefined;

  /** What `sites` and `addrs` (one observation) say about the part's sites and addresses. */
  seen(part: Pick<HostPart, 'sites' | 'addresses'>, sites: ReadonlyMap<string, SiteInfo>, addrs: readonly IpAddressInfo[]): Seen {
    const by = this.index(addrs);
    return { sites: part.sites.map((n) => sites.get(n) ?? null), addresses: part.addresses.map((a) => by.get(a) ?? []) };
  }

  /** Whether one observation still says what `part.seen` recorded (compared field by field, nothing built per group). */
  same(part: HostPart, sites: ReadonlyMap<string, SiteInfo>, addrs: readonly IpAddressInfo[]): boolean {
    const by = this.index(addrs);
    for (let i = 0; i < part.sites.length; i++) if (!jsonEqual(sites.get(part.sites[i]!) ?? null, part.seen.sites[i])) return false;
    for (let i = 0; i < part.addresses.length; i++) if (!jsonEqual(by.get(part.addresses[i]!) ?? [], part.seen.addresses[i])) return false;
    return true;
  }

  private index(addrs: readonly IpAddressInfo[]): Map<string, IpAddressInfo[]> {
    if (this.last?.addrs !== addrs) this.last = { addrs, byAddress: byAddress(addrs) };
    return this.last.byAddress;
  }
}

/** Every entry of each address (an address may sit on several interfaces), by canonical address. */
function byAddress(addrs: readonly IpAddressInfo[]): Map<string, IpAddressInfo[]> {
  const lists = new Map<string, IpAddressInfo[]>();
  for (const a of addrs) {
    const key = canonicalIp(a.address);
    const l = lists.get(key);
    if (l) l.push(a);
    else lists.set(key, [a]);
  }
  return lists;
}
