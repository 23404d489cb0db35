/** IIS sites through the site.* scripts, with the kit's restore and stop checks (docs/spec/seed-iis.md). */
import { bindingConflictMessage, findBindingConflict } from '../binding-conflict.js';
import { DriverError } from '../errors.js';
import { checkSiteDefinition, checkSiteName } from '../input-validation.js';
import {
  siteServiceOf,
  type CallOptions,
  type EnsureSiteResult,
  type HostDriverOperation,
  type SiteDefinition,
  type SiteInfo,
  type SiteState,
} from '../types.js';
import { fromBindingInformation, toBindingInformation } from './binding-information.js';
import { asArray, requireField, unexpected, type WindowsDriverContext } from './driver-context.js';

const SITE_STATES: ReadonlySet<string> = new Set(['Started', 'Starting', 'Stopped', 'Stopping', 'Unknown']);

/** The kit re-checks a stopping site 10 times in all (docs/spec/seed-iis.md §6.4, 9556). */
const STOP_CHECK_INTERVAL_MS = 500;

export interface RawSite {
  id: number;
  name: string;
  state: string;
  ftpState: string | null;
  bindings:
    | { protocol: string; bindingInformation: string; certificateHash: string }[]
    | { protocol: string; bindingInformation: string; certificateHash: string }
    | null;
  physicalPath: string;
  applicationPool: string;
  serverAutoStart: boolean;
}

export function listSites(ctx: WindowsDriverContext, o: CallOptions): Promise<SiteInfo[]> {
  return ctx.run('listSites', o, (signal) => sites(ctx, 'listSites', o, signal));
}

async function sites(ctx: WindowsDriverContext, op: HostDriverOperation, o: CallOptions, signal: AbortSignal): Promise<SiteInfo[]> {
  const raw = await ctx.ps<RawSite[] | RawSite | null>(op, 'site.list', {}, o, signal);
  return asArray(raw).map(toSiteInfo);
}

export function getSite(ctx: WindowsDriverContext, name: string, o: CallOptions): Promise<SiteInfo | undefined> {
  return ctx.run('getSite', o, async (signal) => {
    checkSiteName(name);
    const r = await ctx.ps<{ found: boolean; site?: RawSite }>('getSite', 'site.get', { name }, o, signal);
    return r.found ? toSiteInfo(requireField(r.site, 'site.get', 'site')) : undefined;
  });
}

export function ensureSite(ctx: WindowsDriverContext, def: SiteDefinition, o: CallOptions): Promise<EnsureSiteResult> {
  return ctx.run('ensureSite', o, async (signal) => {
    checkSiteDefinition(def);
    const r = await ctx.ps<{ created: boolean; changed: string[] | string | null; site: RawSite }>(
      'ensureSite',
      'site.ensure',
      {
        name: def.name,
        physicalPath: def.physicalPath,
        applicationPool: def.applicationPool,
        serverAutoStart: def.serverAutoStart,
        isFtp: siteServiceOf(def.bindings) === 'FTPSVC',
        bindings: def.bindings.map((b) => ({
          protocol: b.protocol,
          bindingInformation: toBindingInformation(b),
          certificateHash: (b.certificateThumbprint ?? '').toUpperCase(),
        })),
      },
      o,
      signal,
    );
    return { created: Boolean(r.created), changed: asArray(r.changed).map(String), site: toSiteInfo(r.site) };
  });
}

export function startSite(ctx: WindowsDriverContext, name: string, o: CallOptions): Promise<SiteInfo> {
  return ctx.run('startSite', o, async (signal) => {
    checkSiteName(name);
    // Kit restore step 1 (9414) and step 4 (9422) from one listing.
    const all = await sites(ctx, 'startSite', o, signal);
    const site = all.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!site)
      throw new DriverError({
        code: 'SiteNotFound',
        kitCode: 9414,
        message: `IIS site ${name} not found in the IIS configuration on ${ctx.nodeName}`,
      });
    if (site.state === 'Started') return site;
    const conflict = findBindingConflict(
      site,
      all.filter((s) => s.state === 'Started'),
    );
    if (conflict) {
      throw new DriverError({
        code: 'BindingConflict',
        kitCode: 9422,
        message: bindingConflictMessage(site.name, conflict),
        detail: { ...conflict },
      });
    }
    const service = siteServiceOf(site.bindings);
    const r = await ctx.ps<{ outcome: string; serviceState?: number; address?: string; site?: RawSite }>(
      'startSite',
      'site.start',
      {
        name: site.name,
        service,
        isFtp: service === 'FTPSVC',
        addresses: [...new Set(site.bindings.map((b) => b.address).filter((a) => a !== '*'))],
      },
      o,
      signal,
    );
    switch (r.outcome) {
      case 'notFound':
        throw new DriverError({
          code: 'SiteNotFound',
          kitCode: 9414,
          message: `IIS site ${name} not found in the IIS configuration on ${ctx.nodeName}`,
        });
      case 'serviceNotRunning':
        throw new DriverError({
          code: 'ServiceNotRunning',
          message: `IIS site ${site.name} cannot start: service ${service} is not running (state ${r.serviceState})`,
          detail: { service, state: r.serviceState ?? 0 },
        });
      case 'addressMissing':
        throw new DriverError({
          code: 'BindingAddressMissing',
          kitCode: 9706,
          message: `Unable to start IIS Site "${site.name}" on system ${ctx.nodeName}: address ${r.address} is not present (Preferred) on this host`,
          detail: { address: r.address ?? '' },
        });
      case 'ran': {
        const after = toSiteInfo(requireField(r.site, 'site.start', 'site'));
        // Kit restore step 6: check once.
        if (after.state !== 'Started')
          throw new DriverError({
            code: 'SiteStartFailed',
            message: `Unable to start IIS Site "${site.name}" on system ${ctx.nodeName}`,
          });
        return after;
      }
      default:
        throw unexpected('site.start', r.outcome);
    }
  });
}

export function stopSite(ctx: WindowsDriverContext, name: string, o: CallOptions): Promise<SiteInfo | undefined> {
  return ctx.run('stopSite', o, async (signal) => {
    checkSiteName(name);
    const r = await ctx.ps<{ outcome: string; site?: RawSite }>(
      'stopSite',
      'site.stop',
      { name, checkIntervalMs: STOP_CHECK_INTERVAL_MS },
      o,
      signal,
    );
    if (r.outcome === 'notFound') return undefined; // kit 9563: treated as stopped
    if (r.outcome !== 'checked') throw unexpected('site.stop', r.outcome);
    const site = toSiteInfo(requireField(r.site, 'site.stop', 'site'));
    const state = site.ftpState ?? site.state;
    if (state !== 'Stopped')
      throw new DriverError({
        code: 'SiteStopFailed',
        kitCode: 9556,
        message: `Unable to stop IIS site ${name} on system ${ctx.nodeName}`,
      });
    return site;
  });
}

export function setServerAutoStart(ctx: WindowsDriverContext, name: string, value: boolean, o: CallOptions): Promise<SiteInfo> {
  return ctx.run('setServerAutoStart', o, async (signal) => {
    checkSiteName(name);
    const r = await ctx.ps<{ outcome: string; site?: RawSite }>('setServerAutoStart', 'site.autostart', { name, value }, o, signal);
    if (r.outcome === 'notFound')
      throw new DriverError({ code: 'SiteNotFound', kitCode: 9414, message: `IIS site ${name} not found on ${ctx.nodeName}` });
    if (r.outcome !== 'set') throw unexpected('site.autostart', r.outcome);
    return toSiteInfo(requireField(r.site, 'site.autostart', 'site'));
  });
}

// ───────────── decoding ─────────────

function toSiteState(raw: unknown): SiteState {
  const s = String(raw);
  return SITE_STATES.has(s) ? (s as SiteState) : 'Unknown';
}

export function toSiteInfo(raw: RawSite): SiteInfo {
  const bindings = asArray(raw.bindings).flatMap((b) => {
    const x = fromBindingInformation(String(b.protocol), String(b.bindingInformation), String(b.certificateHash ?? ''));
    return x ? [x] : [];
  });
  const info: SiteInfo = {
    id: Number(raw.id),
    name: String(raw.name),
    state: toSiteState(raw.ftpState ?? raw.state),
    bindings,
    physicalPath: String(raw.physicalPath),
    serverAutoStart: Boolean(raw.serverAutoStart),
    applicationPool: String(raw.applicationPool),
  };
  if (raw.ftpState !== null && raw.ftpState !== undefined) info.ftpState = toSiteState(raw.ftpState);
  return info;
}
