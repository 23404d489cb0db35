/**
 * Rules about a group's resources: virtual IPs, mirrors and sites, and the
 * dependencies the IIS kit derives between them (a site depends on the VIPs
 * its bindings name and on the mirror holding its physicalPath).
 */
import type { IISSiteSpec, MirrorSpec, VirtualIPSpec, SiteBinding } from '../../api/types.js';
import { DEFAULT_HOST_HEADER, DEFAULT_MIRROR_MODE, DEFAULT_SITE_SERVICE } from '../../api/defaults.js';
import type { Entry, Rule, RuleContext } from '../model.js';
import { canonicalIp } from '../../lib/ip.js';
import { clusterNodes, clusterOfGroup, groupNodes, groupOf, resolveGroup } from './topology.js';

function specOf<T>(e: Entry): T {
  return e.obj['spec'] as T;
}

/** Drive letter ("E") of a drive-letter volume or path, or undefined. */
export function driveLetter(s: string): string | undefined {
  const m = /^([A-Za-z]):/.exec(s);
  return m ? m[1]!.toUpperCase() : undefined;
}

const PROTOCOLS_OF_SERVICE: Record<string, readonly string[]> = {
  Web: ['http', 'https'],
  FTP: ['ftp', 'ftps'],
  SMTP: ['smtp'],
};

/** Resources in a group whose object is valid: VIP addresses and mirror letters by group. */
interface GroupResources {
  vips: Map<string, Entry>; // canonical address → VIP
  mirrors: Map<string, Entry>; // drive letter → Mirror
}

type ResourceIndex = { byGroup: Map<string, GroupResources>; vipByAddress: Map<string, Entry[]> };

function indexResources(ctx: RuleContext): ResourceIndex {
  return ctx.memo('resources', () => buildResourceIndex(ctx));
}

function buildResourceIndex(ctx: RuleContext): ResourceIndex {
  const byGroup = new Map<string, GroupResources>();
  const vipByAddress = new Map<string, Entry[]>();
  const slot = (ns: string, group: string): GroupResources => {
    const k = `${ns}/${group}`;
    let r = byGroup.get(k);
    if (!r) {
      r = { vips: new Map(), mirrors: new Map() };
      byGroup.set(k, r);
    }
    return r;
  };
  for (const v of ctx.valid('VirtualIP')) {
    const spec = specOf<VirtualIPSpec>(v);
    const addr = canonicalIp(spec.address);
    slot(v.namespace, spec.group).vips.set(addr, v);
    const k = `${v.namespace}/${addr}`;
    const list = vipByAddress.get(k);
    if (list) list.push(v);
    else vipByAddress.set(k, [v]);
  }
  for (const m of ctx.valid('Mirror')) {
    const spec = specOf<MirrorSpec>(m);
    const letter = driveLetter(spec.volume) ?? spec.volume.toUpperCase();
    slot(m.namespace, spec.group).mirrors.set(letter, m);
  }
  return { byGroup, vipByAddress };
}

export const virtualIpRules: Rule = (ctx) => {
  const { vipByAddress } = indexResources(ctx);
  for (const v of ctx.valid('VirtualIP')) {
    const spec = specOf<VirtualIPSpec>(v);
    const group = resolveGroup(ctx, v);
    const isV4 = !spec.address.includes(':');
    if (isV4 && spec.prefixLength > 32) {
      ctx.report(
        v,
        ['spec', 'prefixLength'],
        'schema',
        `prefixLength ${spec.prefixLength} is too long for the IPv4 address ${spec.address} (at most 32)`,
      );
    }
    const others = (vipByAddress.get(`${v.namespace}/${canonicalIp(spec.address)}`) ?? []).filter((o) => o !== v);
    if (others.length > 0) {
      ctx.report(
        v,
        ['spec', 'address'],
        'duplicate-virtual-ip',
        `address ${spec.address} is also declared by VirtualIP ${others[0]!.name} (${ctx.placeOf(others[0]!, ['spec', 'address'])}); one address can be active on one node only`,
      );
    }
    const members = clusterNodes(group && group.valid ? clusterOfGroup(ctx, group, false) : undefined);
    (spec.nodeInterfaces ?? []).forEach((ni, i) => {
      if (members && !members.has(ni.node)) {
        ctx.report(
          v,
          ['spec', 'nodeInterfaces', i, 'node'],
          'node-not-in-cluster',
          `node ${ni.node} is not a node of the cluster (nodes: ${[...members].join(', ')})`,
        );
      }
    });
  }
};

export const mirrorRules: Rule = (ctx) => {
  const letters = new Map<string, Entry>();
  for (const m of ctx.valid('Mirror')) {
    const spec = specOf<MirrorSpec>(m);
    const letter = driveLetter(spec.volume) ?? spec.volume.toUpperCase();
    const group = resolveGroup(ctx, m);
    if (letter === 'C') {
      ctx.report(
        m,
        ['spec', 'volume'],
        'mirror-system-volume',
        'C: is the system volume; DataKeeper cannot mirror it: put the data on its own volume',
      );
    }
    const k = `${m.namespace}/${letter}`;
    const prev = letters.get(k);
    if (prev) {
      for (const [a, b] of [
        [m, prev],
        [prev, m],
      ] as const) {
        ctx.report(
          a,
          ['spec', 'volume'],
          'duplicate-mirror-volume',
          `volume ${letter}: is also mirrored by Mirror ${b.name} (${ctx.placeOf(b, ['spec', 'volume'])})`,
        );
      }
    } else letters.set(k, m);
    if (spec.asyncFailover === 'Refuse' && (spec.mode ?? DEFAULT_MIRROR_MODE) === 'Synchronous') {
      // Inert, not unsafe: a synchronous mirror loses no acknowledged write, so nothing is refused. Allow is the
      // default (filled in everywhere by an API server), so only Refuse says something the mirror will not do.
      ctx.report(
        m,
        ['spec', 'asyncFailover'],
        'async-failover-on-sync-mirror',
        `asyncFailover: Refuse has no effect: Mirror ${m.name} is Synchronous (no queued writes to lose, so failover is never refused for them); remove it, or set mode: Asynchronous`,
        'warning',
      );
    }

    const members = clusterNodes(group && group.valid ? clusterOfGroup(ctx, group, false) : undefined);
    const seen = new Set<string>();
    spec.endpoints.forEach((ep, i) => {
      if (seen.has(ep.node))
        ctx.report(m, ['spec', 'endpoints', i, 'node'], 'duplicate-node', `node ${ep.node} has two endpoints in Mirror ${m.name}`);
      seen.add(ep.node);
      if (members && !members.has(ep.node)) {
        ctx.report(
          m,
          ['spec', 'endpoints', i, 'node'],
          'node-not-in-cluster',
          `node ${ep.node} is not a node of the cluster (nodes: ${[...members].join(', ')})`,
        );
      }
    });
    const nodes = groupNodes(group);
    if (nodes) {
      const missing = nodes.filter((n) => !seen.has(n));
      const extra = [...seen].filter((n) => !nodes.includes(n));
      if (missing.length || extra.length) {
        const parts = [];
        if (missing.length) parts.push(`no endpoint for ${missing.join(', ')}`);
        if (extra.length) parts.push(`endpoint${extra.length > 1 ? 's' : ''} for ${extra.join(', ')}, not in the group`);
        ctx.report(
          m,
          ['spec', 'endpoints'],
          'mirror-endpoint-mismatch',
          `Mirror ${m.name} must have one endpoint per node of FailoverGroup ${group!.name} (${nodes.join(', ')}): ${parts.join('; ')}`,
        );
      }
    }
  }
};

interface BindingRef {
  site: Entry;
  index: number;
  binding: SiteBinding;
}

export const siteRules: Rule = (ctx) => {
  const { byGroup, vipByAddress } = indexResources(ctx);
  const bindingKeys = new Map<string, BindingRef[]>();
  const siteNames = new Map<string, Entry>();
  for (const s of ctx.valid('IISSite')) {
    const spec = specOf<IISSiteSpec>(s);
    const group = resolveGroup(ctx, s);
    const service = spec.service ?? DEFAULT_SITE_SERVICE;
    const res = byGroup.get(`${s.namespace}/${spec.group}`) ?? { vips: new Map<string, Entry>(), mirrors: new Map<string, Entry>() };

    const nameKey = `${s.namespace}/${spec.siteName.toLowerCase()}`;
    const sameName = siteNames.get(nameKey);
    if (sameName) {
      for (const [a, b] of [
        [s, sameName],
        [sameName, s],
      ] as const) {
        ctx.report(
          a,
          ['spec', 'siteName'],
          'duplicate-object',
          `IIS site name "${spec.siteName}" is also used by IISSite ${b.name} (${ctx.placeOf(b, ['spec', 'siteName'])}); IIS site names are unique per server`,
        );
      }
    } else siteNames.set(nameKey, s);

    spec.bindings.forEach((b, i) => {
      const at = ['spec', 'bindings', i] as const;
      // An unknown service is already a schema problem; only known ones constrain protocols.
      const allowed = PROTOCOLS_OF_SERVICE[service];
      if (allowed && !allowed.includes(b.protocol)) {
        ctx.report(
          s,
          [...at, 'protocol'],
          'binding-protocol-mismatch',
          `a ${service} site cannot have a ${b.protocol} binding (allowed: ${allowed.join(', ')})`,
        );
      }
      if ((b.protocol === 'https' || b.protocol === 'ftps') && !b.certificateThumbprint) {
        ctx.report(
          s,
          [...at],
          'certificate-required',
          `${b.protocol} binding ${b.address}:${b.port} needs certificateThumbprint: the certificate every node must hold`,
        );
      }
      const addr = b.address.trim();
      if (addr === '*' || addr === '' || addr === '0.0.0.0' || addr === '::') {
        ctx.report(
          s,
          [...at, 'address'],
          'binding-address-not-virtual',
          `binding address "${b.address}" listens on every address of the node; name a VirtualIP of group ${spec.group} (the IIS kit refuses "*")`,
        );
      } else {
        const canon = canonicalIp(addr);
        if (!res.vips.has(canon)) {
          const elsewhere = (vipByAddress.get(`${s.namespace}/${canon}`) ?? [])[0];
          if (elsewhere) {
            ctx.report(
              s,
              [...at, 'address'],
              'vip-shared-across-groups',
              `binding address ${addr} is VirtualIP ${elsewhere.name} of group ${groupOf(elsewhere)}, but site ${s.name} belongs to group ${spec.group}: a site and its addresses must move together; put them in one group`,
            );
          } else if (group) {
            const known = [...res.vips.values()].map((v) => specOf<VirtualIPSpec>(v).address);
            ctx.report(
              s,
              [...at, 'address'],
              'binding-address-not-virtual',
              `binding address ${addr} is not a VirtualIP of group ${spec.group}${known.length ? ` (its VIPs: ${known.join(', ')})` : ' (the group declares no VirtualIP)'}`,
            );
          }
        }
        // The kit's 9422 key: protocol and IP:Port:Header; header compared without case, as HTTP.sys routes.
        const key = `${s.namespace}|${b.protocol}|${canon}|${b.port}|${(b.hostHeader ?? DEFAULT_HOST_HEADER).toLowerCase()}`;
        const list = bindingKeys.get(key);
        if (list) list.push({ site: s, index: i, binding: b });
        else bindingKeys.set(key, [{ site: s, index: i, binding: b }]);
      }
    });

    // Content must be on a mirror of the group (design §2 content-not-on-mirror).
    if (spec.physicalPath === undefined) {
      if (service !== 'SMTP')
        ctx.report(s, ['spec'], 'schema', `missing required field "spec.physicalPath": a ${service} site needs its content path`);
    } else {
      const p = spec.physicalPath;
      if (p.startsWith('\\\\') || p.startsWith('//')) {
        ctx.report(
          s,
          ['spec', 'physicalPath'],
          'content-not-on-mirror',
          `physicalPath ${p} is a UNC path; the content must be on a local mirrored volume of group ${spec.group}`,
        );
      } else {
        const letter = driveLetter(p);
        if (!letter || !/^[A-Za-z]:[\\/]/.test(p)) {
          ctx.report(
            s,
            ['spec', 'physicalPath'],
            'content-not-on-mirror',
            `physicalPath ${p} must be an absolute local path such as E:\\sites\\${spec.siteName}`,
          );
        } else if (group && !res.mirrors.has(letter)) {
          const letters = [...res.mirrors.keys()].map((l) => `${l}:`);
          ctx.report(
            s,
            ['spec', 'physicalPath'],
            'content-not-on-mirror',
            `physicalPath ${p} is on ${letter}:, which is no Mirror of group ${spec.group}${letters.length ? ` (its mirrors: ${letters.join(', ')})` : ' (the group declares no Mirror)'}; the standby would serve stale or missing content`,
          );
        }
      }
    }
    if (spec.checks?.ftp?.login === 'credentials' && !spec.checks.ftp.credentialsSecretRef) {
      ctx.report(
        s,
        ['spec', 'checks', 'ftp'],
        'credentials-missing',
        'FTP deep check with login: credentials needs credentialsSecretRef (the secret is referenced, never written here)',
      );
    }
  }
  for (const refs of bindingKeys.values()) {
    if (refs.length < 2) continue;
    for (const r of refs) {
      const other = refs.find((o) => o !== r)!;
      const b = r.binding;
      ctx.report(
        r.site,
        ['spec', 'bindings', r.index],
        'binding-conflict',
        `binding ${b.protocol} ${b.address}:${b.port}:${b.hostHeader ?? ''} is also declared by ${other.site === r.site ? 'this site' : `IISSite ${other.site.name}`} (${ctx.placeOf(other.site, ['spec', 'bindings', other.index])}); IIS would refuse to start the second site (9422)`,
      );
    }
  }
};
