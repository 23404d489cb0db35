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
 * file systems (Windows): only [a-z0-9._-] stay as they are; a Windows device
 * name (NUL, CON, COM1... also before a dot: nul.prod) gets its first letter
 * escaped; an encoding longer than MAX_SEGMENT becomes a prefix, `~` (never
 * produced otherwise) and a hash of the whole name. So any name fits in one
 * path component, and a file's path below the store is at most
 * MAX_RELATIVE_PATH characters (temp suffix included): under Windows' 260
 * with a store directory of up to ~50 characters, and Node uses \\?\ paths
 * beyond that anyway.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InvalidError } from '../errors.js';

export const FORMAT = { format: 'winha-file-store', version: 1 };

const RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$|clock\$)$/i;
export const MAX_SEGMENT = 56;
/** objects/ + kind/ + namespace/ + name.json + .<pid>.<seq>.tmp */
export const MAX_RELATIVE_PATH = 8 + 3 * (MAX_SEGMENT + 1) + 5 + 24;

export function encodeSegment(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[a-z0-9_-]/.test(c) || (c === '.' && out !== '') ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.endsWith('.')) out = `${out.slice(0, -1)}%2E`;
  // Windows opens the device for "nul" and for "nul.anything": judge the part before the first dot.
  if (RESERVED.test(out.split('.')[0]!)) out = `%${out.charCodeAt(0).toString(16).toUpperCase()}${out.slice(1)}`;
  if (out.length > MAX_SEGMENT) {
    const hash = createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 32);
    out = `${out.slice(0, MAX_SEGMENT - hash.length - 1)}~${hash}`;
  }
  return out === '' ? '%' : out;
}

/** Refuse, before anything is committed, a file name no file system here would take (cannot happen with encodeSegment; a guard). */
export function assertFits(root: string, file: string): void {
  const rel = path.relative(root, file);
  if (rel.length > MAX_RELATIVE_PATH || rel.split(path.sep).some((c) => Buffer.byteLength(c) > 200)) {
    throw new InvalidError(`file store ${root}: ${rel} would be too long a file name; nothing was written`);
  }
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
