/** Interfaces, addresses and virtual IPs through the net.* scripts. */
import { canonicalIp } from '../../lib/ip.js';
import { DriverError } from '../errors.js';
import { checkIp, checkNoLineBreaks, checkPrefixLength } from '../input-validation.js';
import type { AddressClaim, AddressState, CallOptions, IpAddressInfo, NetInterface, VirtualIpRequest } from '../types.js';
import { asArray, requireField, unexpected, type WindowsDriverContext } from './driver-context.js';

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
    const r = await ctx.ps<{ outcome: string; address?: Record<string, unknown>; interfaceAlias?: string; prefixLength?: number }>(
      'addVirtualIp',
      'net.add',
      {
        address: req.address,
        prefixLength: req.prefixLength,
        interfaceAlias: req.interfaceAlias,
        waitMs: ctx.waitMs(o),
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
      case 'present':
        return toAddressInfo(requireField(r.address, 'net.add', 'address'));
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
    const r = await ctx.ps<{ claimed: boolean; byMac?: string }>(
      'probeAddressClaimed',
      'net.claimed',
      { address: checkIp(address) },
      o,
      signal,
    );
    return r.claimed ? { claimed: true, byMac: String(r.byMac) } : { claimed: false };
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
