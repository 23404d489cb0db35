/**
 * A self-fence not yet reported (issue 13 item 5), and the Warning that reports it once the store answers again:
 * when the node fenced, what it stopped, and how long it was out of service.
 */
import type { Decision } from '../decision-types.js';
import { iso } from './time.js';

export interface FenceRecord {
  /** Epoch ms. */
  at: number;
  epoch: number | undefined;
  sites: string[];
  addresses: string[];
  servedAgainAt?: number;
}

/** The record after a fencing decision: the first fence's time, every site and address it took down. */
export function noteFence(prev: FenceRecord | undefined, decision: Decision, epoch: number | undefined, now: number): FenceRecord {
  const f: FenceRecord = prev
    ? { ...prev, sites: [...prev.sites], addresses: [...prev.addresses] }
    : { at: now, epoch, sites: [], addresses: [] };
  delete f.servedAgainAt;
  for (const a of decision.actions) {
    if (a.type === 'stopSite' && !f.sites.includes(a.siteName)) f.sites.push(a.siteName);
    if (a.type === 'removeVip' && !f.addresses.includes(a.address)) f.addresses.push(a.address);
  }
  return f;
}

export function fenceMessage(
  f: FenceRecord,
  f2: { node: string; group: string; holder: string; renewDeadlineMs: number; now: number },
): string {
  const { node } = f2;
  const what = [
    ...(f.sites.length ? [`stopped site ${f.sites.join(', ')}`] : []),
    ...(f.addresses.length ? [`removed address ${f.addresses.join(', ')}`] : []),
  ];
  const holds = f2.holder && f2.holder !== node ? `${f2.holder} holds the group now` : 'no lease held here';
  const out =
    f.servedAgainAt !== undefined
      ? `out of service for ${((f.servedAgainAt - f.at) / 1000).toFixed(1)} s (served again at ${iso(f.servedAgainAt)})`
      : `still out of service (the store answered again at ${iso(f2.now)}; ${holds})`;
  return (
    `${node} fenced itself at ${iso(f.at)}: the lease of ${f2.group}` +
    `${f.epoch !== undefined ? ` (epoch ${f.epoch})` : ''} was not renewed within renewDeadline (${f2.renewDeadlineMs / 1000} s); ` +
    `${what.length ? what.join(' and ') : 'nothing was running here'}; ${out}`
  );
}
