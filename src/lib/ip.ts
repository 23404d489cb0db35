/**
 * One text form per IP address, so addresses from manifests and from hosts compare as strings:
 * IPv6 in RFC 5952 form (lower case, zeros compressed), IPv4-mapped IPv6 as the IPv4 it carries,
 * IPv4 in plain decimal. Anything that is not an address ("*", a host name) is returned as it is.
 */
import { isIP } from 'node:net';

const cache = new Map<string, string>();

export function canonicalIp(text: string): string {
  let c = cache.get(text);
  if (c === undefined) {
    c = canonicalize(text);
    // Bounded: manifests and hosts hold few distinct addresses; a flood of them must not grow memory.
    if (cache.size < 10_000) cache.set(text, c);
  }
  return c;
}

function canonicalize(text: string): string {
  const v4 = dottedQuad(text);
  if (v4) return v4.join('.');
  if (isIP(text) !== 6) return text;
  const pct = text.indexOf('%');
  const zone = pct < 0 ? '' : text.slice(pct);
  const groups = ipv6Groups(pct < 0 ? text : text.slice(0, pct));
  if (!groups) return text.toLowerCase();
  // ::ffff:a.b.c.d is how dual-stack sockets show an IPv4 peer: the same host address as a.b.c.d.
  if (zone === '' && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return compress(groups) + zone;
}

/** The four octets of a dotted-decimal IPv4 address (leading zeros read as decimal, as the validator always has), or undefined. */
function dottedQuad(text: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address already accepted by net.isIP (zone removed). */
function ipv6Groups(text: string): number[] | undefined {
  const lastColon = text.lastIndexOf(':');
  const v4 = dottedQuad(text.slice(lastColon + 1));
  // A trailing a.b.c.d is the last two groups written in decimal.
  const s = v4 ? `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}` : text;
  const hex = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const dbl = s.indexOf('::');
  let groups: number[];
  if (dbl < 0) groups = hex(s);
  else {
    const head = hex(s.slice(0, dbl));
    const rest = hex(s.slice(dbl + 2));
    groups = [...head, ...Array<number>(Math.max(0, 8 - head.length - rest.length)).fill(0), ...rest];
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  return groups;
}

/** RFC 5952 §4.2: the longest run of two or more zero groups (the first of equals) becomes "::". */
function compress(groups: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
