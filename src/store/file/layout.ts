/**
 * Where things live in a file store directory:
 *
 *   FORMAT                          format marker
 *   HEAD                            {"revision": N}: the journal is applied to objects/ and leases/ up to N
 *   lock                            the writer lock (see lock.ts)
 *   journal/<first revision>.json   one file per write: {first, last, changes}; the commit point
 *   objects/<kind>/<namespace>/<name>.json
 *   leases/<name>.json
 *
 * Names are encoded so that they are safe and distinct on case-insensitive
 * file systems (Windows): only [a-z0-9._-] stay as they are.
 */
import path from 'node:path';

export const FORMAT = { format: 'winha-file-store', version: 1 };

const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

export function encodeSegment(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[a-z0-9_-]/.test(c) || (c === '.' && out !== '') ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.endsWith('.')) out = `${out.slice(0, -1)}%2E`;
  if (RESERVED.test(out)) out = `%${out.charCodeAt(0).toString(16).toUpperCase()}${out.slice(1)}`;
  return out === '' ? '%' : out;
}

/** Revisions as fixed-width names so they sort as numbers. */
export function revisionName(rev: number): string {
  return String(rev).padStart(20, '0');
}

export class Layout {
  readonly head: string;
  readonly format: string;
  readonly lock: string;
  readonly journal: string;
  readonly objects: string;
  readonly leases: string;

  constructor(readonly root: string) {
    this.head = path.join(root, 'HEAD');
    this.format = path.join(root, 'FORMAT');
    this.lock = path.join(root, 'lock');
    this.journal = path.join(root, 'journal');
    this.objects = path.join(root, 'objects');
    this.leases = path.join(root, 'leases');
  }

  journalFile(first: number): string {
    return path.join(this.journal, `${revisionName(first)}.json`);
  }

  /** Kind directories are the lower-cased kind name: kind names are unique regardless of case. */
  objectDir(kind: string, namespace: string): string {
    return path.join(this.objects, encodeSegment(kind.toLowerCase()), encodeSegment(namespace));
  }

  objectFile(kind: string, namespace: string, name: string): string {
    return path.join(this.objectDir(kind, namespace), `${encodeSegment(name)}.json`);
  }

  leaseFile(name: string): string {
    return path.join(this.leases, `${encodeSegment(name)}.json`);
  }
}
