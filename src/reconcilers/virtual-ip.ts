/**
 * VirtualIP reconciler: observe the address on this node, add it (duplicate address detection decides: a
 * Duplicate fails the bring-up with 9408) or remove it, probe whether another node still answers on it (the
 * safety check, docs/spec/seed003-core.md §4), and write its status.
 */
import type { VirtualIP } from '../api/types.js';
import { canonicalIp } from '../lib/ip.js';
import type { CallOptions, HostDriver, IpAddressInfo } from '../drivers/types.js';
import { KitFailure, type StepContext } from './types.js';
import { withNodeEntry, withOwnership, type Ownership, type ReadyCondition, type Status } from './resource-status.js';

export interface ObservedVip {
  name: string;
  address: string;
  present: boolean;
  state?: IpAddressInfo['addressState'];
}

export function observeVip(v: VirtualIP, addrs: readonly IpAddressInfo[]): ObservedVip {
  // Drivers report canonical text; the manifest may spell the address otherwise (2001:DB8::1).
  const address = canonicalIp(v.spec.address);
  const a = addrs.find((x) => x.address === address);
  return { name: v.metadata.name, address: v.spec.address, present: !!a, ...(a ? { state: a.addressState } : {}) };
}

export function interfaceFor(v: VirtualIP, node: string): string {
  return v.spec.nodeInterfaces?.find((n) => n.node === node)?.interface ?? v.spec.interface ?? 'Ethernet';
}

export async function addVip(ctx: StepContext, v: VirtualIP): Promise<void> {
  const r = await ctx.driver.addVirtualIp(
    { address: v.spec.address, prefixLength: v.spec.prefixLength, interfaceAlias: interfaceFor(v, ctx.node) },
    ctx.o,
  );
  if (r.addressState === 'Duplicate') {
    await ctx.driver.removeVirtualIp(v.spec.address, ctx.o);
    throw new KitFailure(9408, `virtual IP ${v.spec.address} is already in use on the network (duplicate address detected)`, 'IpConflict');
  }
}

/** Remove `address`; one found on a standby (drift) is reported, saying whether it collided with the active's (C6). */
export async function removeVip(ctx: StepContext, v: VirtualIP, address: string, standbyDrift: boolean): Promise<void> {
  const duplicate = standbyDrift && (await isHeldElsewhere(ctx.driver, address, ctx.o));
  await ctx.driver.removeVirtualIp(address, ctx.o);
  if (standbyDrift) {
    const dup = duplicate ? ` (a duplicate: another node holds ${address} on the segment)` : '';
    await ctx.note(
      v,
      'Warning',
      'StandbyAddress',
      `virtual IP ${address} was configured on standby ${ctx.node}${dup}; removed it`,
      undefined,
      ctx.epoch,
    );
  }
}

/** Whether an address found on this node is also held elsewhere (DAD says Duplicate, or another MAC answers ARP). */
async function isHeldElsewhere(driver: HostDriver, address: string, o: CallOptions): Promise<boolean> {
  try {
    if ((await driver.listAddresses(o)).some((x) => x.address === canonicalIp(address) && x.addressState === 'Duplicate')) return true;
    return (await driver.probeAddressClaimed(address, { ...o, timeoutMs: 3000 })).claimed;
  } catch {
    return false;
  }
}

/**
 * The safety check (docs/spec/seed003-core.md §4): does the previous active still answer on one of the group's
 * addresses? Each probe has its own budget (`timeoutMs`, Cluster spec.safetyCheck.probeTimeoutSeconds). Serving
 * anywhere wins; otherwise a probe that failed makes the answer unknown, never silent (issue 15 item 2).
 */
export async function probePreviousActive(
  driver: HostDriver,
  vips: VirtualIP[],
  previous: string,
  o: CallOptions,
  timeoutMs: number,
): Promise<{ outcome: 'serving' | 'silent' | 'unknown'; detail: string }> {
  const failed: string[] = [];
  for (const v of vips) {
    const address = v.spec.address;
    try {
      const c = await driver.probeAddressClaimed(address, { ...o, timeoutMs });
      if (c.claimed) return { outcome: 'serving', detail: `${address} still answers${c.byMac ? ` from ${c.byMac}` : ''}` };
    } catch (err) {
      failed.push(`could not probe ${address} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (failed.length > 0) return { outcome: 'unknown', detail: `${failed.join('; ')}: cannot tell whether ${previous} still serves` };
  return {
    outcome: 'silent',
    detail: `nothing answers on ${vips.map((v) => v.spec.address).join(', ') || 'the group addresses'} for ${previous}`,
  };
}

export function virtualIpStatus(
  st: Status,
  node: string,
  address: string,
  observed: IpAddressInfo | undefined,
  own: Ownership,
  nowIso: string,
): Status {
  const entry: { name: string } & Record<string, unknown> = { name: node, present: !!observed };
  if (observed) {
    entry['addressState'] = observed.addressState;
    entry['interface'] = observed.interfaceAlias;
  }
  const up = observed?.addressState === 'Preferred';
  const ready: ReadyCondition =
    own.kind === 'holder'
      ? up
        ? { type: 'Ready', status: 'True', reason: 'Configured', message: `${address} is up on ${node}` }
        : {
            type: 'Ready',
            status: 'False',
            reason: observed ? `Address${observed.addressState}` : 'NotConfigured',
            message: `${address} is ${observed ? observed.addressState : 'not configured'} on ${node}`,
          }
      : { type: 'Ready', status: 'False', reason: 'NoActiveNode', message: `${address} is not served by any node` };
  return withOwnership(withNodeEntry(st, entry), node, own, ready, nowIso);
}
