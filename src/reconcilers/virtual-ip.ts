/**
 * VirtualIP reconciler: observe the address on this node, add it (duplicate address detection decides: a
 * Duplicate fails the bring-up with 9408) or remove it, probe whether another node still answers on it (the
 * safety check, docs/spec/seed003-core.md §4), and write its status.
 */
import type { VirtualIP } from '../api/types.js';
import { isCloudError } from '../cloud/errors.js';
import { heldLocally, movedByApi, probePortOf, providerOf } from '../cloud/vip-routing.js';
import { canonicalIp } from '../lib/ip.js';
import type { CallOptions, HostDriver, IpAddressInfo } from '../drivers/types.js';
import { KitFailure, type StepContext } from './types.js';
import { withNodeEntry, withOwnership, type Ownership, type ReadyCondition, type Status } from './resource-status.js';

export interface ObservedVip {
  name: string;
  address: string;
  present: boolean;
  state?: IpAddressInfo['addressState'];
  cloud?: { local: boolean; here?: boolean };
  probe?: { port: number; open: boolean };
}

/** What the host (and, for a holder, the cloud) says of v: `probePorts` open here, `cloudHere` from CloudObservation. */
export function observeVip(
  v: VirtualIP,
  addrs: readonly IpAddressInfo[],
  probePorts: readonly number[] = [],
  cloudHere?: boolean,
): ObservedVip {
  // Drivers report canonical text; the manifest may spell the address otherwise (2001:DB8::1).
  const address = canonicalIp(v.spec.address);
  const a = heldLocally(v) ? addrs.find((x) => x.address === address) : undefined;
  const port = probePortOf(v);
  return {
    name: v.metadata.name,
    address: v.spec.address,
    present: !!a,
    ...(a ? { state: a.addressState } : {}),
    ...(movedByApi(v) ? { cloud: { local: heldLocally(v), ...(cloudHere !== undefined ? { here: cloudHere } : {}) } } : {}),
    ...(port !== undefined ? { probe: { port, open: probePorts.includes(port) } } : {}),
  };
}

export function interfaceFor(v: VirtualIP, node: string): string {
  return v.spec.nodeInterfaces?.find((n) => n.node === node)?.interface ?? v.spec.interface ?? 'Ethernet';
}

/**
 * Bring v up here: on the interface, then, for an API-moved address, its cloud routing. The add does not wait for
 * duplicate address detection (about a second on Windows): `detecting` says the address is still Tentative, and the
 * group comes back for it (the cloud routing and the sites wait) instead of holding a worker meanwhile.
 */
export async function addVip(ctx: StepContext, v: VirtualIP): Promise<{ detecting: boolean }> {
  if (heldLocally(v) && (await addLocal(ctx, v)) === 'Tentative') return { detecting: true };
  if (movedByApi(v)) await claimCloud(ctx, v);
  return { detecting: false };
}

async function addLocal(ctx: StepContext, v: VirtualIP): Promise<IpAddressInfo['addressState']> {
  const r = await ctx.driver.addVirtualIp(
    { address: v.spec.address, prefixLength: v.spec.prefixLength, interfaceAlias: interfaceFor(v, ctx.node), awaitDetection: false },
    ctx.o,
  );
  if (r.addressState === 'Duplicate') {
    await ctx.driver.removeVirtualIp(v.spec.address, ctx.o);
    throw new KitFailure(9408, `virtual IP ${v.spec.address} is already in use on the network (duplicate address detected)`, 'IpConflict');
  }
  return r.addressState;
}

/** Take the cloud's routing of v for this node; a failure is the bring-up's (9408), transient when the cloud said so. */
async function claimCloud(ctx: StepContext, v: VirtualIP): Promise<void> {
  const what = `${providerOf(v)} ${v.spec.address}`;
  if (!ctx.claimCloud)
    throw new KitFailure(
      9408,
      `${what}: this agent has no cloud access (it runs outside the cloud, or was started without it)`,
      'CloudUnavailable',
    );
  try {
    const r = await ctx.claimCloud(v);
    for (const p of r.problems) await ctx.note(v, 'Warning', p.code, p.message, undefined, ctx.epoch);
    if (!r.here)
      throw new KitFailure(
        9408,
        `${what} still routes to ${r.target ?? 'nothing'} after moving it to ${ctx.node}`,
        'CloudRouteNotConfirmed',
      );
    await ctx.note(v, 'Normal', 'CloudRouted', `${what} now reaches ${ctx.node} (${r.target ?? '?'})`, undefined, ctx.epoch);
  } catch (err) {
    if (!isCloudError(err)) throw err;
    throw new KitFailure(
      9408,
      `${what}: could not move it to ${ctx.node}: ${err.message}`,
      err.code,
      undefined,
      err.transient || err.code === 'StaleEpoch',
    );
  }
}

/** Remove `address`; one found on a standby (drift) is reported, saying whether it collided with the active's (C6). */
export async function removeVip(ctx: StepContext, v: VirtualIP, address: string, standbyDrift: boolean): Promise<void> {
  // A cloud network answers ARP for every address itself: only on a segment does a claim mean another holder.
  const duplicate = standbyDrift && providerOf(v) === 'local' && (await isHeldElsewhere(ctx.driver, address, ctx.o));
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
 * anywhere wins; otherwise a probe that failed makes the answer unknown, never silent (issue 15 item 2). In a cloud
 * ARP says nothing: behind an Azure load balancer the question is whether `previousAddress` still answers the
 * probe port (the load balancer would keep sending it traffic); an AWS-moved address goes to one interface only,
 * so moving it cuts the previous active off whatever it still runs.
 */
export async function probePreviousActive(
  driver: HostDriver,
  vips: VirtualIP[],
  previous: string,
  o: CallOptions,
  timeoutMs: number,
  previousAddress?: string,
): Promise<{ outcome: 'serving' | 'silent' | 'unknown'; detail: string }> {
  const failed: string[] = [];
  const asked: string[] = [];
  const why = (err: unknown) => (err instanceof Error ? err.message : String(err));
  for (const v of vips) {
    const address = v.spec.address;
    const port = probePortOf(v);
    if (movedByApi(v)) continue;
    if (port !== undefined) {
      if (previousAddress === undefined) {
        failed.push(`no address known for ${previous} to probe its load balancer port ${port}`);
        continue;
      }
      asked.push(`${previousAddress}:${port}`);
      try {
        const r = await driver.probeTcp({ address: previousAddress, port }, { ...o, timeoutMs });
        if (r.alive)
          return { outcome: 'serving', detail: `${previous} still answers the load balancer probe on ${previousAddress}:${port}` };
      } catch (err) {
        failed.push(`could not probe ${previousAddress}:${port} (${why(err)})`);
      }
      continue;
    }
    asked.push(address);
    try {
      const c = await driver.probeAddressClaimed(address, { ...o, timeoutMs });
      if (c.claimed) return { outcome: 'serving', detail: `${address} still answers${c.byMac ? ` from ${c.byMac}` : ''}` };
    } catch (err) {
      failed.push(`could not probe ${address} (${why(err)})`);
    }
  }
  if (failed.length > 0) return { outcome: 'unknown', detail: `${failed.join('; ')}: cannot tell whether ${previous} still serves` };
  const moved = vips.filter(movedByApi).map((v) => v.spec.address);
  const cut = moved.length ? `; ${moved.join(', ')} move through the cloud API to one node only, cutting ${previous} off` : '';
  return {
    outcome: 'silent',
    detail: `nothing answers on ${asked.join(', ') || 'the group addresses'} for ${previous}${cut}`,
  };
}

/** The holder's Ready of an address: on the host (DAD over), and reaching it through the cloud when one routes it. */
function holderReady(address: string, node: string, observed: IpAddressInfo | undefined, local: ObservedVip | undefined): ReadyCondition {
  const onHost = local?.cloud?.local === false || observed?.addressState === 'Preferred';
  if (!onHost) {
    const reason = observed ? `Address${observed.addressState}` : 'NotConfigured';
    return {
      type: 'Ready',
      status: 'False',
      reason,
      message: `${address} is ${observed ? observed.addressState : 'not configured'} on ${node}`,
    };
  }
  if (local?.cloud && local.cloud.here !== true) {
    const where = local.cloud.here === false ? 'to another node' : 'to this node, not confirmed yet';
    return { type: 'Ready', status: 'False', reason: 'CloudRouteElsewhere', message: `the cloud routes ${address} ${where}` };
  }
  if (local?.probe && !local.probe.open) {
    const message = `${node} does not answer the load balancer probe on port ${local.probe.port} yet: ${address} gets no traffic`;
    return { type: 'Ready', status: 'False', reason: 'ProbeNotAnswered', message };
  }
  const via = local?.cloud
    ? ' and the cloud routes it here'
    : local?.probe
      ? ` and answers the load balancer probe on ${local.probe.port}`
      : '';
  return { type: 'Ready', status: 'True', reason: 'Configured', message: `${address} is up on ${node}${via}` };
}

export function virtualIpStatus(
  st: Status,
  node: string,
  address: string,
  observed: IpAddressInfo | undefined,
  own: Ownership,
  nowIso: string,
  local?: ObservedVip,
): Status {
  const entry: { name: string } & Record<string, unknown> = { name: node, present: !!observed };
  if (observed) {
    entry['addressState'] = observed.addressState;
    entry['interface'] = observed.interfaceAlias;
  }
  if (local?.cloud?.here !== undefined) entry['cloudRoutedHere'] = local.cloud.here;
  if (local?.probe) entry['probeAnswered'] = local.probe.open;
  const ready: ReadyCondition =
    own.kind === 'holder'
      ? holderReady(address, node, observed, local)
      : { type: 'Ready', status: 'False', reason: 'NoActiveNode', message: `${address} is not served by any node` };
  return withOwnership(withNodeEntry(st, entry), node, own, ready, nowIso);
}
