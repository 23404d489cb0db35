/**
 * IISSite reconciler: observe the site on this node → plan (pure) → act.
 * A Managed site is rendered identically on every node (IIS kit §3.5, §14.5),
 * always with serverAutoStart off: only the agent starts it. Adopted sites are
 * never written, only verified (a missing one fails restore with 9414).
 */
import type { IISSite } from '../api/types.js';
import type { CallOptions, HostDriver, SiteBinding, SiteDefinition, SiteInfo } from '../drivers/types.js';
import { bindingKey } from '../drivers/types.js';

export function siteDefinition(site: IISSite): SiteDefinition {
  const s = site.spec;
  return {
    name: s.siteName,
    bindings: s.bindings.map((b): SiteBinding => ({
      protocol: b.protocol === 'https' ? 'https' : b.protocol === 'ftp' || b.protocol === 'ftps' ? 'ftp' : 'http',
      address: b.address,
      port: b.port,
      hostHeader: b.hostHeader ?? '',
      ...(b.certificateThumbprint ? { certificateThumbprint: b.certificateThumbprint.toUpperCase() } : {}),
    })),
    physicalPath: s.physicalPath ?? `C:\\inetpub\\${s.siteName}`,
    applicationPool: s.applicationPool ?? s.siteName,
    serverAutoStart: false,
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
