/**
 * Reading a file store into memory without the writer lock, and what a
 * directory must be before we touch it.
 *
 * Readers never write and never wait for a writer. They still see a committed,
 * consistent state: object and lease files are only replaced by rename (never
 * half-written), each is written after the journal file of its revision, and
 * HEAD after the files. So reading HEAD (H), then the files, then the journal
 * chain, and applying every journal change after H on top of the files, gives
 * the state at the chain's end whatever a writer did meanwhile: any file newer
 * than H has its journal file in the chain. If the journal was compacted past H
 * between those reads, the load starts again.
 *
 * Damage does not stop a load: a truncated object file is rebuilt from the
 * newest journal change of its path; a bad journal file breaks the retained
 * history there (watches older than it get Gone). Both are reported as
 * `repairs`/`badJournal` for the next writer to fix on disk.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Change, Snapshot } from '../engine.js';
import { InvalidError, UnavailableError, isStoreError } from '../errors.js';
import type { LeaseRecord, StoredObject } from '../types.js';
import { isErrno, readJson, readJsonSync, walkFiles } from './fsutil.js';
import { listJournal, readJournal, type JournalFile } from './journal.js';
import { FORMAT, type Layout } from './layout.js';

/** Which object or lease a file holds: the writer rewrites it from memory. */
export type FileKey = { resource: 'object'; kind: string; namespace: string; name: string } | { resource: 'lease'; name: string };

export interface Loaded {
  snapshot: Snapshot;
  /** Files the next writer rewrites: truncated ones and ones at a path the current encoding does not give. */
  repairs: Map<string, FileKey>;
  /** First revisions of journal files that cannot be read. */
  badJournal: number[];
  /** Temporary files seen (debris of a crash, or a live writer's). */
  debris: boolean;
}

export type DirState = 'missing' | 'empty' | 'store';

/** What `root` is. A directory with files but no FORMAT is not ours: refuse it (never write there). */
export async function inspectDir(root: string): Promise<DirState> {
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 'missing';
    if (isErrno(e, 'ENOTDIR')) throw new InvalidError(`file store ${root} is a file, not a directory`, { reason: 'NotAStore' });
    throw e;
  }
  if (!entries.includes('FORMAT')) {
    // A FORMAT being written by the first writer (FORMAT.<pid>.<n>.tmp) is ours too.
    entries = entries.filter((e) => !/^FORMAT\..*\.tmp$/.test(e));
    if (entries.length === 0) return 'empty';
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', ...' : '');
    throw new InvalidError(
      `${root} is not a WinHA file store (no FORMAT file; it holds ${shown}): refusing to use it; name a new or empty directory`,
      { reason: 'NotAStore' },
    );
  }
  const format = await readJson<typeof FORMAT>(path.join(root, 'FORMAT')).catch(() => null);
  if (format?.format !== FORMAT.format || format.version !== FORMAT.version) {
    throw new InvalidError(`${root} is not a WinHA file store of version ${FORMAT.version} (its FORMAT file says otherwise)`, {
      reason: 'NotAStore',
    });
  }
  return 'store';
}

export async function readHead(layout: Layout): Promise<number | undefined> {
  try {
    const h = await readJson<{ revision: number }>(layout.head);
    return h && Number.isInteger(h.revision) ? h.revision : undefined;
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export function changeFile(layout: Layout, c: Change): string {
  return c.resource === 'lease'
    ? layout.leaseFile(c.lease.name)
    : layout.objectFile(c.object.kind, c.object.metadata.namespace, c.object.metadata.name);
}

function changeKey(c: Change): FileKey {
  if (c.resource === 'lease') return { resource: 'lease', name: c.lease.name };
  const md = c.object.metadata;
  return { resource: 'object', kind: c.object.kind, namespace: md.namespace, name: md.name };
}

export async function loadStore(layout: Layout): Promise<Loaded> {
  for (let attempt = 1; ; attempt++) {
    // The last attempt takes what it finds (a HEAD lost to power loss can stay behind the journal for good).
    const loaded = await loadOnce(layout, attempt === 5);
    if (loaded) return loaded;
  }
}

async function loadOnce(layout: Layout, final: boolean): Promise<Loaded | undefined> {
  const headFile = await readHead(layout);
  const objects = new Map<string, StoredObject>();
  const leases = new Map<string, LeaseRecord>();
  const repairs = new Map<string, FileKey>();
  const corrupt: string[] = [];
  let debris = false;
  for (const [dir, isLease] of [
    [layout.objects, false],
    [layout.leases, true],
  ] as const) {
    for (const file of await walkFiles(dir)) {
      if (file.endsWith('.tmp')) debris = true;
      if (!file.endsWith('.json')) continue;
      let v: (StoredObject & LeaseRecord) | null;
      try {
        v = readJsonSync<StoredObject & LeaseRecord>(file);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        corrupt.push(file);
        continue;
      }
      if (!v) continue;
      if (isLease) {
        const prev = leases.get(v.name);
        if (!prev || Number(prev.revision) < Number(v.revision)) leases.set(v.name, v);
        if (layout.leaseFile(v.name) !== file) repairs.set(file, { resource: 'lease', name: v.name });
      } else {
        const md = v.metadata;
        const key = `${v.kind}\0${md.namespace}\0${md.name}`;
        const prev = objects.get(key);
        if (!prev || Number(prev.metadata.resourceVersion) < Number(md.resourceVersion)) objects.set(key, v);
        if (layout.objectFile(v.kind, md.namespace, md.name) !== file) {
          repairs.set(file, { resource: 'object', kind: v.kind, namespace: md.namespace, name: md.name });
        }
      }
    }
  }

  for (const dir of [layout.root, layout.journal]) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith('.tmp') || (dir === layout.root && /^lock(\..*\.(id|stale))?$/.test(n)))) debris = true;
  }
  const firsts = await listJournal(layout);
  const badJournal: number[] = [];
  let chain: JournalFile[] = [];
  for (const f of firsts) {
    let j: JournalFile | null = null;
    try {
      j = await readJournal(layout, f);
    } catch (e) {
      if (!isStoreError(e, 'Unavailable')) throw e;
      badJournal.push(f);
    }
    // A missing (compacted meanwhile) or bad file, or a gap, breaks the retained history there.
    if (!j || (chain.length > 0 && chain[chain.length - 1]!.last + 1 !== j.first)) chain = [];
    if (j) chain.push(j);
  }
  const head = headFile ?? (chain.length > 0 ? chain[0]!.first - 1 : 0);
  if (chain.length > 0 && chain[0]!.first > head + 1 && badJournal.length === 0 && !final) return undefined; // compacted past HEAD while we read

  const changes = chain.flatMap((j) => j.changes);
  for (const file of corrupt) {
    const latest = changes.findLast((c) => changeFile(layout, c) === file);
    if (!latest) {
      throw new UnavailableError(
        `file store ${layout.root}: ${file} is corrupt and the journal no longer holds it; restore it from a backup or remove it`,
        { reason: 'Corrupt' },
      );
    }
    repairs.set(file, changeKey(latest));
    applyTo(objects, leases, latest);
  }
  for (const c of changes) if (c.revision > head) applyTo(objects, leases, c);
  const revision = Math.max(head, chain.length > 0 ? chain[chain.length - 1]!.last : 0);
  const history: Change[] = changes;
  const compactedRevision = chain.length > 0 ? chain[0]!.first - 1 : revision;
  return {
    snapshot: { revision, objects: [...objects.values()], leases: [...leases.values()], history, compactedRevision },
    repairs,
    badJournal,
    debris,
  };
}

function applyTo(objects: Map<string, StoredObject>, leases: Map<string, LeaseRecord>, c: Change): void {
  if (c.resource === 'lease') {
    leases.set(c.lease.name, c.lease);
    return;
  }
  const md = c.object.metadata;
  const key = `${c.object.kind}\0${md.namespace}\0${md.name}`;
  if (c.type === 'DELETED') objects.delete(key);
  else objects.set(key, c.object);
}
