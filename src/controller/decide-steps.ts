/** The decision's action lists that do not depend on the election: taking a group out of service and standby duties. */
import type { Action, DecisionInput, VipLocal } from './decision-types.js';

/**
 * Deactivation in reverse order: sites, then VIPs (the mirror stays source until a new node takes it over).
 * `handOver`: the holder leaves, so a site missing from IIS still gets the kit's remove (it warns 9563 and succeeds, H3).
 */
export function deactivation(input: DecisionInput, handOver = false): Action[] {
  const epoch = input.lease.epoch;
  const out: Action[] = [];
  for (const s of input.local.sites)
    if (s.started || (handOver && !s.exists)) out.push({ type: 'stopSite', site: s.name, siteName: s.siteName, epoch, why: 'deactivate' });
  for (const v of input.local.vips)
    if (v.present) out.push({ type: 'removeVip', vip: v.name, address: v.address, epoch, why: 'deactivate' });
  return out;
}

/** Standby duties (docs/spec/seed-iis.md §14.5): site Stopped with serverAutoStart off, VIP absent; drift is undone. */
export function standbyDuties(input: DecisionInput): Action[] {
  const epoch = input.lease.epoch;
  const out: Action[] = [];
  for (const s of input.local.sites)
    if (s.started) out.push({ type: 'stopSite', site: s.name, siteName: s.siteName, epoch, why: 'standbyDrift' });
  for (const v of input.local.vips)
    if (v.present) out.push({ type: 'removeVip', vip: v.name, address: v.address, epoch, why: 'standbyDrift' });
  for (const s of input.local.sites)
    if (s.exists && s.serverAutoStart) out.push({ type: 'disableAutoStart', site: s.name, siteName: s.siteName, epoch });
  return out;
}

export function describeSteps(steps: Action[]): string {
  return steps
    .map((a) => {
      switch (a.type) {
        case 'promoteMirror':
          return `make ${a.volume}: source${a.force ? ' (forced)' : ''}`;
        case 'addVip':
          return `add ${a.address}`;
        case 'startSite':
          return `start ${a.siteName}`;
        case 'disableAutoStart':
          return `turn serverAutoStart off for ${a.siteName}`;
        case 'createMirror':
          return `create the mirror of ${a.volume}:`;
        case 'continueMirror':
          return `continue the mirror of ${a.volume}:`;
        default:
          return a.type;
      }
    })
    .join(', ');
}

/** A VIP serves only once duplicate address detection is over and found no conflict (VipLocal.state). */
export function vipAnswers(v: VipLocal): boolean {
  return v.present && (v.state === undefined || v.state === 'Preferred' || v.state === 'Deprecated');
}
