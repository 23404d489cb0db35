/**
 * Where manifests come from: files, directories (optionally recursive) and
 * standard input. Failing to read is an I/O error (exit 2), not a problem in
 * a manifest.
 */
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type { InputFile } from './validate.js';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
/** A file larger than this is refused before it is read (no manifest set is this large). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export class InputError extends Error {
  readonly code = 'InputError';
}

function isManifest(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** What a path is, for a message: "a directory", "a FIFO", "a character device"... */
function describeType(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function notRegular(p: string, st: Stats): InputError {
  return new InputError(`${p} is not a regular file (it is ${describeType(st)}); name manifest files, directories or - for standard input`);
}

function cannotRead(p: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InputError(`cannot read ${p}: no such file or directory`);
  if (code === 'ELOOP') return new InputError(`cannot read ${p}: too many levels of symbolic links`);
  return new InputError(`cannot read ${p}: ${(err as Error).message}`);
}

/** Expand paths into manifest file paths, in a stable (sorted) order. */
export async function expandPaths(paths: readonly string[], recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push('-');
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      throw cannotRead(p, err);
    }
    if (st.isDirectory()) await walk(p, recursive, out, new Set([await realpath(p)]));
    else if (st.isFile()) out.push(p);
    else throw notRegular(p, st);
  }
  return out;
}

/** `seen`: real paths of the directories on the way down, so a link back up ends the descent. */
async function walk(dir: string, recursive: boolean, out: string[], seen: Set<string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputError(`cannot read directory ${dir}: ${(err as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      // Followed like the file or directory it names; a dangling link is an error, not a silent skip.
      let st;
      try {
        st = await stat(p);
      } catch (err) {
        if (!isManifest(e.name)) continue;
        const code = (err as NodeJS.ErrnoException).code;
        throw new InputError(
          `cannot read ${p}: it is a symbolic link to ${code === 'ELOOP' ? 'itself (a loop)' : `a missing file (${await readlink(p).catch(() => '?')})`}`,
        );
      }
      isDir = st.isDirectory();
      isFile = st.isFile();
      if (!isDir && !isFile && isManifest(e.name)) throw notRegular(p, st);
    } else if (!isDir && !isFile && isManifest(e.name)) {
      throw notRegular(p, await stat(p).catch(() => lstat(p)));
    }
    if (isDir) {
      if (!recursive || e.name.startsWith('.') || e.name === 'node_modules') continue;
      const real = await realpath(p).catch(() => p);
      if (seen.has(real)) continue;
      await walk(p, recursive, out, new Set([...seen, real]));
    } else if (isFile && isManifest(e.name)) out.push(p);
  }
}

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_FILE_BYTES) throw new InputError(`standard input is larger than ${MAX_FILE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Read the inputs named by paths (after expansion), in order; `-` reads the stdin stream once. */
export async function readInputs(
  paths: readonly string[],
  recursive: boolean,
  cwd = process.cwd(),
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<InputFile[]> {
  const files = await expandPaths(paths, recursive);
  const inputs: InputFile[] = [];
  let stdinRead = false;
  for (const f of files) {
    if (f === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      inputs.push({ name: '<stdin>', content: await readStdin(stdin) });
      continue;
    }
    // Synchronous reads: for hundreds of small manifests they beat a promise per file.
    const content = readRegularFile(f);
    const shown = isAbsolute(f) && !relative(cwd, f).startsWith('..') ? relative(cwd, f) : f;
    inputs.push({ name: shown, content });
  }
  return inputs;
}

/**
 * A regular file's bytes, at most MAX_FILE_BYTES. Opened without blocking (a
 * FIFO would wait for a writer) and checked on the open descriptor, so a path
 * swapped for a device after the walk is refused too.
 */
export function readRegularFile(f: string): Buffer {
  let fd: number;
  try {
    fd = openSync(f, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw cannotRead(f, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(f, st);
    if (st.size > MAX_FILE_BYTES) throw new InputError(`${f} is ${st.size} bytes; files larger than ${MAX_FILE_BYTES} bytes are refused`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw cannotRead(f, err);
  } finally {
    closeSync(fd);
  }
}
