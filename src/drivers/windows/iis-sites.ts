/**
 * IIS sites through the site.* operations, SMTP virtual servers (IIS 6 metabase) through smtp.*, with the kit's restore
 * and stop checks (docs/spec/seed-iis.md).
 */
import { bindingConflictMessage, findBindingConflict } from '../binding-conflict.js';
import { DriverError } from '../errors.js';
import { checkSiteDefinition, checkSiteName } from '../input-validation.js';
import {
  bindingKey,
  siteServiceOf,
  type CallOptions,
  type EnsureSiteResult,
  type HostDriverOperation,
  type SiteBinding,
  type SiteDefinition,
  type SiteInfo,
  type SiteState,
} from '../types.js';
import { fromBindingInformation, toBindingInformation } from './binding-information.js';
import { asArray, requireField, unexpected, type HostOp, type WindowsDriverContext } from './driver-context.js';
import { SHARING_VIOLATION, type PowerShellFailure } from './powershell.js';

const SITE_STATES: ReadonlySet<string> = new Set(['Started', 'Starting', 'Stopped', 'Stopping', 'Unknown']);

/** The kit re-checks a stopping site 10 times in all (docs/spec/seed-iis.md §6.4, 9556). */
const STOP_CHECK_INTERVAL_MS = 500;

export interface RawSite {
  /** Set (with name) instead of the rest when the host could not convert this site. */
  error?: string;
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
    const service = siteServiceOf(def.bindings);
    if (service === 'SMTPSVC') return verifySmtp(ctx, def, o, signal);
    const ftps = def.bindings.find((b) => b.protocol === 'ftp' && b.certificateThumbprint);
    const r = await ctx.ps<{ created: boolean; changed: string[] | string | null; site: RawSite }>(
      'ensureSite',
      'site.ensure',
      {
        name: def.name,
        physicalPath: def.physicalPath,
        applicationPool: def.applicationPool,
        serverAutoStart: def.serverAutoStart,
        // An FTPS site is an ftp binding plus the certificate on ftpServer.security.ssl (SslRequire).
        ftp:
          service === 'FTPSVC'
            ? { login: def.ftpLogin ?? 'anonymous', certificateHash: (ftps?.certificateThumbprint ?? '').toUpperCase() }
            : null,
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

/** SMTP virtual servers are made with IIS 6 Manager (no applicationHost.config to write): verify, never create. */
async function verifySmtp(ctx: WindowsDriverContext, def: SiteDefinition, o: CallOptions, signal: AbortSignal): Promise<EnsureSiteResult> {
  const site = (await sites(ctx, 'ensureSite', o, signal)).find((s) => s.name.toLowerCase() === def.name.toLowerCase());
  if (!site)
    throw new DriverError({
      code: 'SiteNotFound',
      kitCode: 9414,
      message: `SMTP virtual server ${def.name} does not exist on ${ctx.nodeName}: WinHA does not create SMTP virtual servers; create it with IIS 6 Manager on every node`,
    });
  const keys = (bs: readonly SiteBinding[]) => bs.map(bindingKey).sort().join(', ');
  if (keys(site.bindings) !== keys(def.bindings))
    throw new DriverError({
      code: 'InvalidArgument',
      message: `SMTP virtual server ${def.name} on ${ctx.nodeName} is bound to ${keys(site.bindings) || 'nothing'}, not ${keys(def.bindings)}: change it with IIS 6 Manager`,
    });
  if (site.serverAutoStart === def.serverAutoStart) return { created: false, changed: [], site };
  const after = await autostart(ctx, 'ensureSite', 'smtp.autostart', def.name, def.serverAutoStart, o, signal);
  return { created: false, changed: ['serverAutoStart'], site: after ?? site };
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
    // Its bindings (so its service and the conflict check) are unknown: starting it blind could take another's port.
    if (site.error !== undefined)
      throw new DriverError({
        code: 'SiteStartFailed',
        message: `Unable to start IIS Site "${site.name}" on system ${ctx.nodeName}: IIS could not describe it (${site.error})`,
      });
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
      service === 'SMTPSVC' ? 'smtp.start' : 'site.start',
      { name: site.name, service, addresses: [...new Set(site.bindings.map((b) => b.address).filter((a) => a !== '*'))] },
      o,
      signal,
      portInUse(site.name, ctx.nodeName),
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
    type Stop = { outcome: string; message?: string; site?: RawSite };
    const params = { name, checkIntervalMs: STOP_CHECK_INTERVAL_MS };
    let r = await ctx.ps<Stop>('stopSite', 'site.stop', params, o, signal);
    // Not an IIS site: it may be an SMTP virtual server (IIS 6 metabase).
    if (r.outcome === 'notFound') r = await ctx.ps<Stop>('stopSite', 'smtp.stop', params, o, signal);
    if (r.outcome === 'notFound') return undefined; // kit 9563: treated as stopped
    if (r.outcome === 'unavailable') throw metabaseUnavailable(name, ctx.nodeName, r.message);
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
    const site =
      (await autostart(ctx, 'setServerAutoStart', 'site.autostart', name, value, o, signal)) ??
      (await autostart(ctx, 'setServerAutoStart', 'smtp.autostart', name, value, o, signal));
    if (!site) throw new DriverError({ code: 'SiteNotFound', kitCode: 9414, message: `IIS site ${name} not found on ${ctx.nodeName}` });
    return site;
  });
}

/** site.autostart or smtp.autostart: the site after the change, undefined when that store has no such site. */
async function autostart(
  ctx: WindowsDriverContext,
  op: HostDriverOperation,
  script: HostOp,
  name: string,
  value: boolean,
  o: CallOptions,
  signal: AbortSignal,
): Promise<SiteInfo | undefined> {
  const r = await ctx.ps<{ outcome: string; message?: string; site?: RawSite }>(op, script, { name, value }, o, signal);
  if (r.outcome === 'notFound') return undefined;
  if (r.outcome === 'unavailable') throw metabaseUnavailable(name, ctx.nodeName, r.message);
  if (r.outcome !== 'set') throw unexpected(script, r.outcome);
  return toSiteInfo(requireField(r.site, script, 'site'));
}

// ───────────── failures ─────────────

function metabaseUnavailable(name: string, node: string, detail = ''): DriverError {
  return new DriverError({
    code: 'CommandFailed',
    message:
      `SMTP virtual server ${name} on ${node}: the IIS 6 metabase cannot be read (is IIS 6 Metabase Compatibility installed?) ${detail}`.trim(),
  });
}

/** Site start failing with ERROR_SHARING_VIOLATION: another process holds the port (docs/spec/seed-iis.md §15 T9: 9706). */
function portInUse(site: string, node: string) {
  return (f: PowerShellFailure): DriverError | undefined =>
    SHARING_VIOLATION.test(f.message) && !/\.config\b/i.test(f.message)
      ? new DriverError({
          code: 'SiteStartFailed',
          kitCode: 9706,
          message: `Unable to start IIS Site "${site}" on system ${node}: a port of its bindings is held by another process (${f.message})`,
          detail: { reason: 'PortInUse' },
        })
      : undefined;
}

// ───────────── decoding ─────────────

function toSiteState(raw: unknown): SiteState {
  const s = String(raw);
  return SITE_STATES.has(s) ? (s as SiteState) : 'Unknown';
}

export function toSiteInfo(raw: RawSite): SiteInfo {
  // A site the host could not read: Unknown, so it never passes for Stopped (or Started).
  if (raw.error !== undefined)
    return {
      id: 0,
      name: String(raw.name),
      state: 'Unknown',
      bindings: [],
      physicalPath: '',
      serverAutoStart: false,
      applicationPool: '',
      error: String(raw.error),
    };
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
