/**
 * The kit's 9422 rule (docs/spec/seed-iis.md §7): a site may not start while
 * another *started* site uses the same protocol + IP:port:host, compared by
 * bindingKey (canonical IP text, host header case-insensitively).
 */
import { bindingKey, type SiteBinding } from './types.js';

export interface SiteBindings {
  name: string;
  bindings: readonly SiteBinding[];
}

export interface BindingConflict {
  /** The started site that holds the binding. */
  activeSite: string;
  /** IP:Port:Header, as the kit prints it. */
  binding: string;
}

export function findBindingConflict(site: SiteBindings, startedSites: readonly SiteBindings[]): BindingConflict | undefined {
  const mine = new Set(site.bindings.map(bindingKey));
  for (const other of startedSites) {
    if (other.name.toLowerCase() === site.name.toLowerCase()) continue;
    for (const b of other.bindings) {
      if (mine.has(bindingKey(b))) return { activeSite: other.name, binding: `${b.address}:${b.port}:${b.hostHeader}` };
    }
  }
  return undefined;
}

export function bindingConflictMessage(siteName: string, c: BindingConflict): string {
  return `IIS Site ${siteName} can not be started because its IP:Port:Header binding (${c.binding}) is currently in use on site "${c.activeSite}"`;
}
