/**
 * endpoint-conflict: the HTTP.sys endpoint rule. TLS is configured per IP:port endpoint, so http and https
 * cannot share one; and where an http/https binding claims an IP:port, no FTP or SMTP binding can listen.
 * Only sites that may run on one node at one time are compared; "*" overlaps every address on its port.
 */
import type { IISSiteSpec, SiteBinding } from '../../api/types.js';
import { canonicalIp } from '../../lib/ip.js';
import type { Entry, Rule, RuleContext } from '../model.js';
import { clusterOfGroup, groupNodes, groupOf } from './topology.js';

interface Bound {
  site: Entry;
  index: number;
  binding: SiteBinding;
  /** Canonical address, or "*" for every address. */
  addr: string;
}

/** Which listener owns a binding's socket: HTTP.sys for http/https, the FTP or SMTP service otherwise. */
function listenerOf(protocol: string): string {
  if (protocol === 'http' || protocol === 'https') return 'HTTP.sys';
  return protocol === 'smtp' ? 'SMTP' : 'FTP';
}

function isWildcard(addr: string): boolean {
  return addr === '*' || addr === '';
}

/** Whether two listening addresses overlap: equal, or one listens on every address (of its family for 0.0.0.0 and ::). */
function overlaps(a: string, b: string): boolean {
  if (a === b || isWildcard(a) || isWildcard(b)) return true;
  const any = (x: string, y: string) => (x === '0.0.0.0' && !y.includes(':')) || (x === '::' && y.includes(':'));
  return any(a, b) || any(b, a);
}

function endpointText(b: SiteBinding): string {
  const a = b.address.trim() === '' ? '*' : b.address;
  return `${a.includes(':') ? `[${a}]` : a}:${b.port}`;
}

/** Why two bindings on overlapping IP:ports conflict, or undefined when they can share the endpoint. */
function conflictReason(x: SiteBinding, y: SiteBinding): string | undefined {
  const lx = listenerOf(x.protocol);
  const ly = listenerOf(y.protocol);
  if (lx === 'HTTP.sys' && ly === 'HTTP.sys') {
    if (x.protocol === y.protocol) return undefined; // SNI and host headers share one endpoint
    return 'TLS is configured per IP:port endpoint in HTTP.sys, so one endpoint cannot serve both http and https; move one to another port or address';
  }
  if (lx !== 'HTTP.sys' && ly !== 'HTTP.sys') return undefined; // ftp and ftps on one IP:port are one FTP endpoint
  const other = lx === 'HTTP.sys' ? ly : lx;
  return `HTTP.sys claims that IP:port for http/https (TLS is configured per IP:port endpoint), so the ${other} service cannot listen on it; use another port`;
}

/** Whether two sites may be active on one node at one time: one group, or groups of one cluster sharing a node. */
function mayCoRun(ctx: RuleContext, a: Entry, b: Entry): boolean {
  if (a.namespace !== b.namespace) return false;
  const ga = groupOf(a);
  const gb = groupOf(b);
  if (ga === gb) return true;
  const A = ga === undefined ? undefined : ctx.declared('FailoverGroup', a.namespace, ga);
  const B = gb === undefined ? undefined : ctx.declared('FailoverGroup', b.namespace, gb);
  // An undeclared or malformed group is reported by other rules; until then assume the worst.
  if (!A?.valid || !B?.valid) return true;
  const ca = clusterOfGroup(ctx, A, false);
  const cb = clusterOfGroup(ctx, B, false);
  if (ca && cb && ca.name !== cb.name) return false;
  const nb = new Set(groupNodes(B));
  return (groupNodes(A) ?? []).some((n) => nb.has(n));
}

/** Whether two objects' groups may be active on one node at one time, memoized per pair of groups. */
export function coRunMemo(ctx: RuleContext): (a: Entry, b: Entry) => boolean {
  const memo = new Map<string, boolean>();
  return (a, b) => {
    if (a === b) return true;
    const k = [`${a.namespace}/${groupOf(a)}`, `${b.namespace}/${groupOf(b)}`].sort().join('|');
    let v = memo.get(k);
    if (v === undefined) memo.set(k, (v = mayCoRun(ctx, a, b)));
    return v;
  };
}

export const endpointRules: Rule = (ctx) => {
  const byPort = new Map<string, Bound[]>();
  for (const s of ctx.valid('IISSite')) {
    (s.obj['spec'] as IISSiteSpec).bindings.forEach((binding, index) => {
      const raw = binding.address.trim();
      const addr = isWildcard(raw) ? '*' : canonicalIp(raw);
      const k = `${s.namespace}|${binding.port}`;
      const list = byPort.get(k);
      const b = { site: s, index, binding, addr };
      if (list) list.push(b);
      else byPort.set(k, [b]);
    });
  }
  const coRun = coRunMemo(ctx);
  for (const list of byPort.values()) {
    if (new Set(list.map((b) => b.binding.protocol)).size < 2) continue; // one protocol on a port never conflicts
    for (const r of list) {
      for (const o of list) {
        if (o === r || !overlaps(r.addr, o.addr)) continue;
        const why = conflictReason(r.binding, o.binding);
        if (!why || !coRun(r.site, o.site)) continue;
        report(ctx, r, o, why);
        break; // one problem per binding, naming the first it collides with
      }
    }
  }
};

function report(ctx: RuleContext, r: Bound, o: Bound, why: string): void {
  const b = r.binding;
  const who = o.site === r.site ? 'this site' : `IISSite ${o.site.name}`;
  const wild = r.addr === o.addr ? '' : wildcardNote(r, o);
  ctx.report(
    r.site,
    ['spec', 'bindings', r.index],
    'endpoint-conflict',
    `${b.protocol} binding ${endpointText(b)} shares its IP:port endpoint with the ${o.binding.protocol} binding ${endpointText(o.binding)} of ${who} (${ctx.placeOf(o.site, ['spec', 'bindings', o.index])})${wild}: ${why}`,
  );
}

function wildcardNote(r: Bound, o: Bound): string {
  const [w, s] = r.addr === '*' ? [r, o] : [o, r];
  if (w.addr !== '*') return '';
  return ` ("*" means every address of the node, so ${endpointText(w.binding)} overlaps ${endpointText(s.binding)})`;
}
