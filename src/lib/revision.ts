/** A sync revision as people read it: a commit's first 12 characters, a digest's first 12 after its prefix. */
export function shortRevision(r: string): string {
  if (/^[0-9a-f]{40}$/.test(r)) return r.slice(0, 12);
  const m = /^([0-9a-f]{40})\+dirty\.([0-9a-f]+)$/.exec(r);
  if (m) return `${m[1]!.slice(0, 12)}+dirty`;
  return r.startsWith('sha256:') ? r.slice(0, 19) : r;
}
