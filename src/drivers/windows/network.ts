/** Interfaces, addresses and virtual IPs through the net.* scripts. */
import { canonicalIp } from '../../lib/ip.js';
import { DriverError } from '../errors.js';
import { checkIp, checkNoLineBreaks, checkPrefixLength } from '../input-validation.js';
import type { AddressClaim, AddressState, CallOptions, IpAddressInfo, NetInterface, VirtualIpRequest } from '../types.js';
import { asArray, requireField, unexpected, type WindowsDriverContext } from './driver-context.js';

/** AA-BB-CC-DD-EE-FF (6 bytes; longer link-layer addresses too). */
const MAC = /^[0-9A-F]{2}(-[0-9A-F]{2}){5,}$/i;
const ADDRESS_STATES: ReadonlySet<string> = new Set(['Preferred', 'Tentative', 'Duplicate', 'Deprecated', 'Invalid']);

export function listInterfaces(ctx: WindowsDriverContext, o: CallOptions): Promise<NetInterface[]> {
  return ctx.run('listInterfaces', o, async (signal) => {
    const raw = await ctx.ps<unknown>('listInterfaces', 'net.interfaces', {}, o, signal);
    return asArray(raw as Record<string, unknown>[] | Record<string, unknown> | null).map((n) => ({
      alias: String(n.alias),
      index: Number(n.index),
      status: String(n.status) === 'Up' ? 'Up' : 'Down',
      macAddress: String(n.macAddress),
    }));
  });
}

export function listAddresses(ctx: WindowsDriverContext, o: CallOptions): Promise<IpAddressInfo[]> {
  return ctx.run('listAddresses', o, async (signal) => {
    const raw = await ctx.ps<unknown>('listAddresses', 'net.addresses', {}, o, signal);
    return asArray(raw as Record<string, unknown>[] | Record<string, unknown> | null).map(toAddressInfo);
  });
}

export function addVirtualIp(ctx: WindowsDriverContext, req: VirtualIpRequest, o: CallOptions): Promise<IpAddressInfo> {
  return ctx.run('addVirtualIp', o, async (signal) => {
    checkIp(req.address);
    checkPrefixLength(req.address, req.prefixLength);
    checkNoLineBreaks(req.interfaceAlias, 'interfaceAlias');
    // The adapter is chosen here by exact alias: on the host, -Name/-InterfaceAlias would read '*' or '[..]' as a pattern.
    const nics = await listInterfaces(ctx, o);
    const nic = exactAlias(nics, req.interfaceAlias);
    if (!nic) throw new DriverError({ code: 'InterfaceNotFound', message: `no interface "${req.interfaceAlias}" on ${ctx.nodeName}` });
    const r = await ctx.ps<{ outcome: string; address?: Record<string, unknown>; interfaceAlias?: string; prefixLength?: number }>(
      'addVirtualIp',
      'net.add',
      {
        address: req.address,
        prefixLength: req.prefixLength,
        interfaceIndex: nic.index,
        interfaceAlias: nic.alias,
        // 0: the script adds and reads the state once (the agent observes the end of detection later).
        waitMs: req.awaitDetection === false ? 0 : ctx.waitMs(o),
      },
      o,
      signal,
    );
    switch (r.outcome) {
      case 'noInterface':
        throw new DriverError({ code: 'InterfaceNotFound', message: `no interface "${req.interfaceAlias}" on ${ctx.nodeName}` });
      case 'inUse':
        throw new DriverError({
          code: 'AddressInUse',
          message: `${req.address} is already on ${ctx.nodeName} (${r.interfaceAlias}/${r.prefixLength})`,
        });
      case 'vanished':
        throw new DriverError({
          code: 'CommandFailed',
          transient: true,
          message: `${req.address} vanished while waiting for duplicate address detection`,
        });
      case 'present': {
        const info = toAddressInfo(requireField(r.address, 'net.add', 'address'));
        if (!sameAlias(info.interfaceAlias, nic.alias))
          throw new DriverError({
            code: 'CommandFailed',
            message: `net.add put ${req.address} on "${info.interfaceAlias}", not on "${nic.alias}" (index ${nic.index})`,
          });
        return info;
      }
      default:
        throw unexpected('net.add', r.outcome);
    }
  });
}

export function removeVirtualIp(ctx: WindowsDriverContext, address: string, o: CallOptions): Promise<void> {
  return ctx.run('removeVirtualIp', o, async (signal) => {
    await ctx.ps('removeVirtualIp', 'net.remove', { address: checkIp(address) }, o, signal);
  });
}

export function probeAddressClaimed(ctx: WindowsDriverContext, address: string, o: CallOptions): Promise<AddressClaim> {
  return ctx.run('probeAddressClaimed', o, async (signal) => {
    const r = await ctx.ps<unknown>('probeAddressClaimed', 'net.claimed', { address: checkIp(address) }, o, signal);
    return toClaim(r);
  });
}

// ───────────── decoding ─────────────

export function toAddressInfo(raw: Record<string, unknown>): IpAddressInfo {
  const state = String(raw.addressState);
  if (!ADDRESS_STATES.has(state))
    throw new DriverError({ code: 'ParseError', message: `AddressState ${state} is not a NetTCPIP address state` });
  return {
    address: canonicalIp(String(raw.address)),
    prefixLength: Number(raw.prefixLength),
    interfaceAlias: String(raw.interfaceAlias),
    addressState: state as AddressState,
    skipAsSource: Boolean(raw.skipAsSource),
  };
}

/** Anything but a well-formed answer is an error: a probe that cannot say "silent" must not read as silent. */
function toClaim(raw: unknown): AddressClaim {
  const r = (raw ?? {}) as { claimed?: unknown; byMac?: unknown };
  if (r.claimed === false) return { claimed: false };
  if (r.claimed !== true) throw new DriverError({ code: 'ParseError', message: `net.claimed answered ${JSON.stringify(raw)}` });
  if (typeof r.byMac !== 'string' || !MAC.test(r.byMac))
    throw new DriverError({ code: 'ParseError', message: `net.claimed byMac ${JSON.stringify(r.byMac)} is not a link-layer address` });
  return { claimed: true, byMac: r.byMac.toUpperCase() };
}

/** Windows aliases are unique regardless of case; an exact match wins over a case-insensitive one. */
function exactAlias(nics: NetInterface[], alias: string): NetInterface | undefined {
  return nics.find((n) => n.alias === alias) ?? onlyOne(nics.filter((n) => sameAlias(n.alias, alias)));
}

function onlyOne<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}

function sameAlias(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}
