/**
 * The file store's journal: one file per committed write, named by its first
 * revision, holding every change of that write ({first, last, changes}). A
 * batch is one file, so a bulk apply costs one journal write.
 *
 * The journal is the commit point: a write exists once its journal file has
 * been renamed into place. Readers follow the chain first=R+1 after revision R.
 * It is bounded: files whose changes are all older than the newest `keep`
 * revisions are deleted (the newest file always stays, so the head revision
 * can be recovered from it). A reader that finds its next file gone knows it
 * was compacted away.
 */
import { promises as fs } from 'node:fs';
import type { Change } from '../engine.js';
import { UnavailableError } from '../errors.js';
import { isErrno, readJson, removeFile, syncDir, writeFileAtomic } from './fsutil.js';
import type { Layout } from './layout.js';

export interface JournalFile {
  first: number;
  last: number;
  changes: Change[];
}

export async function readJournal(layout: Layout, first: number): Promise<JournalFile | null> {
  const file = layout.journalFile(first);
  let j: JournalFile | null;
  try {
    j = await readJson<JournalFile>(file);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UnavailableError(`file store journal ${file} is corrupt: ${e.message}`);
    throw e;
  }
  if (j && (j.first !== first || j.changes.length !== j.last - j.first + 1)) {
    throw new UnavailableError(`file store journal ${file} is inconsistent (first ${j.first}, last ${j.last})`);
  }
  return j;
}

export async function writeJournal(layout: Layout, j: JournalFile, durable: boolean): Promise<void> {
  await writeFileAtomic(layout.journalFile(j.first), JSON.stringify(j), durable);
  if (durable) await syncDir(layout.journal);
}

/** First revisions of the journal files present, ascending. */
export async function listJournal(layout: Layout): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(layout.journal);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return [];
    throw e;
  }
  return names
    .filter((n) => /^\d{20}\.json$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

/** Delete journal files whose last change is older than the newest `keep` revisions. Caller holds the lock. */
export async function compactJournal(layout: Layout, head: number, keep: number): Promise<void> {
  const firsts = await listJournal(layout);
  for (let i = 0; i < firsts.length - 1; i++) {
    const last = firsts[i + 1]! - 1;
    if (last > head - keep) break;
    await removeFile(layout.journalFile(firsts[i]!));
  }
}
