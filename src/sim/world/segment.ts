/**
 * A shared L2 segment: which machine holds which IP address.
 *
 * Windows runs duplicate address detection (DAD) on every new address: it is
 * Tentative for a moment, then Preferred, or Duplicate when another machine on
 * the segment already answers for it. Whenever an address is held by two
 * machines at once the segment records a conflict — the raw data of the
 * singleActive invariant.
 *
 * A cloud-routed address (a VirtualIP with a cloud provider) is isolated: the cloud network carries no ARP
 * between hosts for it, so DAD sees no one else and two hosts holding it is no conflict (the cloud routes it).
 */
import type { Clock } from '../../lib/clock.js';
import type { AddressState, IpAddressInfo } from '../../drivers/types.js';
import type { AddressConflictRecord } from '../../drivers/sim/world-protocol.js';

export interface AddressHolding {
  /** Host name, or `foreign:<mac>` for a machine outside the cluster. */
  holder: string;
  mac: string;
  address: string;
  prefixLength: number;
  interfaceAlias: string;
  skipAsSource: boolean;
  /** Added by the driver (ActiveStore: gone after a reboot), not part of the host's configuration. */
  virtual: boolean;
  state: AddressState;
}

export class Segment {
  private holdings: AddressHolding[] = [];
  readonly conflicts: AddressConflictRecord[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly dadMs: number,
    /** Whether a holder is powered on (a crashed host answers for nothing). */
    private readonly isUp: (holder: string) => boolean,
    /** Whether the address is cloud-routed (no ARP between hosts for it). */
    private readonly isolated: (address: string) => boolean = () => false,
  ) {}

  /** Holdings of one holder (whether up or not). */
  of(holder: string): AddressHolding[] {
    return this.holdings.filter((h) => h.holder === holder);
  }

  find(holder: string, address: string): AddressHolding | undefined {
    return this.holdings.find((h) => h.holder === holder && h.address === address);
  }

  /** Machines that are up and answer ARP for the address (Preferred/Deprecated), first claimant first. */
  answering(address: string): AddressHolding[] {
    return this.holdings.filter(
      (h) => h.address === address && this.isUp(h.holder) && (h.state === 'Preferred' || h.state === 'Deprecated'),
    );
  }

  /** Configured (non-virtual) addresses are Preferred from boot; DAD is not modelled for them. */
  addConfigured(h: Omit<AddressHolding, 'state' | 'virtual'>): void {
    this.holdings.push({ ...h, virtual: false, state: 'Preferred' });
  }

  /**
   * Add an address on a holder: Tentative now; after DAD, Duplicate if another
   * live machine already holds it, else Preferred. Records a conflict at once
   * if anyone else holds it.
   */
  addVirtual(h: Omit<AddressHolding, 'state' | 'virtual'>, onSettled?: () => void): AddressHolding {
    const holding: AddressHolding = { ...h, virtual: true, state: 'Tentative' };
    this.recordConflictIfShared(h.address, h.holder);
    this.holdings.push(holding);
    this.clock.setTimer(this.dadMs, () => {
      if (!this.holdings.includes(holding) || holding.state !== 'Tentative') return;
      const others = this.isolated(holding.address)
        ? []
        : this.holdings.filter((o) => o !== holding && o.address === holding.address && this.isUp(o.holder) && o.state !== 'Duplicate');
      holding.state = others.length > 0 ? 'Duplicate' : 'Preferred';
      onSettled?.();
    });
    return holding;
  }

  /** A machine outside the cluster starts answering for the address (ipConflict fault). */
  claimForeign(address: string, mac: string): void {
    const holder = `foreign:${mac}`;
    if (this.find(holder, address)) return;
    this.recordConflictIfShared(address, holder);
    this.holdings.push({
      holder,
      mac,
      address,
      prefixLength: 32,
      interfaceAlias: 'foreign',
      skipAsSource: false,
      virtual: true,
      state: 'Preferred',
    });
  }

  remove(holder: string, address: string): boolean {
    const before = this.holdings.length;
    this.holdings = this.holdings.filter((h) => !(h.holder === holder && h.address === address));
    return this.holdings.length !== before;
  }

  /** On a crash: addresses added to the ActiveStore are lost. */
  dropVirtual(holder: string): void {
    this.holdings = this.holdings.filter((h) => !(h.holder === holder && h.virtual));
  }

  /** Holders of the address other than `holder`, that are up. */
  othersHolding(address: string, holder: string): AddressHolding[] {
    return this.holdings.filter((h) => h.address === address && h.holder !== holder && this.isUp(h.holder));
  }

  /** Host whose configured (non-virtual) address this is, e.g. a replication endpoint. */
  ownerOfConfigured(address: string): string | undefined {
    return this.holdings.find((h) => h.address === address && !h.virtual)?.holder;
  }

  allAddresses(): string[] {
    return [...new Set(this.holdings.map((h) => h.address))];
  }

  toInfo(h: AddressHolding): IpAddressInfo {
    return {
      address: h.address,
      prefixLength: h.prefixLength,
      interfaceAlias: h.interfaceAlias,
      addressState: h.state,
      skipAsSource: h.skipAsSource,
    };
  }

  private recordConflictIfShared(address: string, newcomer: string): void {
    if (this.isolated(address)) return;
    const others = this.othersHolding(address, newcomer);
    if (others.length === 0) return;
    this.conflicts.push({
      address,
      holders: [...others.map((o) => o.holder), newcomer],
      at: this.clock.now(),
    });
  }
}
