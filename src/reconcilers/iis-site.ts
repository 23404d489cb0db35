/**
 * IISSite reconciler: observe the site on this node → plan (pure) → act → status, with the IIS kit's restore,
 * remove and recover (iis-kit.ts). A Managed site is rendered identically on every node (docs/spec/seed-iis.md §3.5, §14.5),
 * always with serverAutoStart off: only the agent starts it. Adopted sites are never written, only verified (a
 * missing one fails restore with 9414).
 */
import { DEFAULT_SERVICE_START_TIMEOUT_SECONDS } from '../api/defaults.js';
import type { IISSite } from '../api/types.js';
import type { CallOptions, HostDriver, SiteBinding, SiteDefinition, SiteInfo } from '../drivers/types.js';
import { bindingKey } from '../drivers/types.js';
import { recover, remove, restore, UNRESPONSIVE_CODES, type KitOutcome } from './iis-kit.js';
import { withNodeEntry, withOwnership, type Ownership, type ReadyCondition, type Status } from './resource-status.js';
import { KitFailure, type Note, type StepContext } from './types.js';

/** How long a stop may wait for the IIS service (docs/spec/seed-iis.md §6.4). */
const SERVICE_STOP_TIMEOUT_MS = 60_000;

export interface ObservedSite {
  name: string;
  siteName: string;
  exists: boolean;
  started: boolean;
  serverAutoStart: boolean;
}

export function observeSite(s: IISSite, sites: ReadonlyMap<string, SiteInfo>): ObservedSite {
  const info = sites.get(s.spec.siteName.toLowerCase());
  return {
    name: s.metadata.name,
    siteName: s.spec.siteName,
    exists: !!info,
    started: info?.state === 'Started' || info?.state === 'Starting',
    serverAutoStart: info?.serverAutoStart ?? false,
  };
}

export function siteDefinition(site: IISSite): SiteDefinition {
  const s = site.spec;
  return {
    name: s.siteName,
    bindings: s.bindings.map((b): SiteBinding => ({
      protocol: b.protocol === 'ftps' ? 'ftp' : b.protocol,
      address: b.address,
      port: b.port,
      hostHeader: b.hostHeader ?? '',
      ...(b.certificateThumbprint ? { certificateThumbprint: b.certificateThumbprint.toUpperCase() } : {}),
    })),
    physicalPath: s.physicalPath ?? `C:\\inetpub\\${s.siteName}`,
    applicationPool: s.applicationPool ?? s.siteName,
    serverAutoStart: false,
    ...(s.bindings.some((b) => b.protocol === 'ftp' || b.protocol === 'ftps') ? { ftpLogin: s.checks?.ftp?.login ?? 'anonymous' } : {}),
  };
}

/** Which properties of the observed site differ from the definition (empty: nothing to do). */
export function planSite(site: IISSite, observed: SiteInfo | undefined): string[] {
  if ((site.spec.management ?? 'Managed') !== 'Managed') return [];
  const def = siteDefinition(site);
  if (!observed) return ['create'];
  const out: string[] = [];
  const keys = (bs: SiteBinding[]) => bs.map(bindingKey).sort().join('|');
  if (keys(observed.bindings) !== keys(def.bindings)) out.push('bindings');
  if (observed.physicalPath !== def.physicalPath) out.push('physicalPath');
  if (observed.applicationPool !== def.applicationPool) out.push('applicationPool');
  return out;
}

export async function actSite(driver: HostDriver, site: IISSite, o: CallOptions): Promise<string[]> {
  const def = siteDefinition(site);
  const r = await driver.ensureSite(def, o);
  return r.created ? ['create'] : r.changed;
}

/** Render a Managed site that differs from its manifest (before deciding: every node carries the same site). */
export async function renderSite(
  driver: HostDriver,
  s: IISSite,
  observed: SiteInfo | undefined,
  o: CallOptions,
  note: Note,
  node: string,
): Promise<void> {
  if (planSite(s, observed).length === 0) return;
  try {
    const changed = await actSite(driver, s, o);
    if (observed)
      await note(
        s,
        'Warning',
        'SiteDriftCorrected',
        `IIS site ${s.spec.siteName} on ${node} differed from its manifest (${changed.join(', ')}); re-rendered`,
      );
  } catch (err) {
    await note(s, 'Warning', 'SiteRenderFailed', `could not render IIS site ${s.spec.siteName} on ${node}: ${String(err)}`);
  }
}

function serviceStartTimeoutMs(s: IISSite): number {
  return (s.spec.serviceStartTimeoutSeconds ?? DEFAULT_SERVICE_START_TIMEOUT_SECONDS) * 1000;
}

/** restore: a failure ends the bring-up with the kit's code (9408 on the group). */
export async function startSite(ctx: StepContext, s: IISSite): Promise<void> {
  const r = await restore(ctx.driver, s, ctx.o, serviceStartTimeoutMs(s));
  if (!r.ok) {
    await ctx.note(s, 'Warning', 'RestoreFailed', r.message, r.codes[0], ctx.epoch);
    throw new KitFailure(
      r.codes[0] ?? 9408,
      `${r.message}; Restore resource ${s.spec.siteName} End: Failed.`,
      'RestoreFailed',
      9408,
      r.transient,
    );
  }
  await ctx.note(s, 'Normal', 'RestoreSucceeded', `${r.message} on ${ctx.node}`, 9407, ctx.epoch);
}

/** remove: the outcome (a failed stop is 9556/9557), with its events recorded. */
export async function stopSite(ctx: StepContext, s: IISSite, standbyDrift: boolean): Promise<KitOutcome> {
  const r = await remove(ctx.driver, s, ctx.o, SERVICE_STOP_TIMEOUT_MS);
  if (r.warning) await ctx.note(s, 'Warning', 'SiteMissing', r.warning.message, r.warning.code, ctx.epoch);
  if (!r.ok) await ctx.note(s, 'Warning', 'RemoveFailed', r.message, r.codes[0], ctx.epoch);
  else if (standbyDrift)
    await ctx.note(
      s,
      'Warning',
      'StandbyStarted',
      `IIS site ${s.spec.siteName} was running on standby ${ctx.node}; stopped it`,
      undefined,
      ctx.epoch,
    );
  else await ctx.note(s, 'Normal', 'RemoveSucceeded', `${r.message} on ${ctx.node}`, 9558, ctx.epoch);
  return r;
}

/** Local recovery after a failed check with `code`; a site that does not answer (9757/9760) is restarted. */
export async function recoverSite(ctx: StepContext, s: IISSite, code: number): Promise<KitOutcome> {
  const r = await recover(ctx.driver, s, ctx.o, serviceStartTimeoutMs(s), UNRESPONSIVE_CODES.has(code));
  if (!r.ok) await ctx.note(s, 'Warning', 'RecoveryFailed', r.message, r.codes[0], ctx.epoch);
  else
    await ctx.note(
      s,
      'Normal',
      'Recovered',
      `local recovery of ${s.spec.siteName} on ${ctx.node} succeeded after ${code}`,
      code,
      ctx.epoch,
    );
  return r;
}

export function siteStatus(
  st: Status,
  node: string,
  siteName: string,
  observed: SiteInfo | undefined,
  own: Ownership,
  nowIso: string,
): Status {
  const entry: { name: string } & Record<string, unknown> = { name: node, exists: !!observed };
  if (observed) {
    entry['state'] = observed.state;
    entry['serverAutoStart'] = observed.serverAutoStart;
  }
  const started = observed?.state === 'Started';
  const ready: ReadyCondition =
    own.kind === 'holder'
      ? started
        ? { type: 'Ready', status: 'True', reason: 'Started', message: `${siteName} runs on ${node}` }
        : {
            type: 'Ready',
            status: 'False',
            reason: observed ? 'NotStarted' : 'NotFound',
            message: `${siteName} is ${observed ? observed.state : 'missing from IIS'} on ${node}`,
          }
      : { type: 'Ready', status: 'False', reason: 'NoActiveNode', message: `${siteName} is not served by any node` };
  return withOwnership(withNodeEntry(st, entry), node, own, ready, nowIso);
}
