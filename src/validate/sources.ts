/**
 * Where manifests come from: files, directories (optionally recursive) and
 * standard input. Failing to read is an I/O error (exit 2), not a problem in
 * a manifest.
 */
import { readdir, stat } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
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
      throw new InputError(
        `cannot read ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      );
    }
    if (st.isDirectory()) await walk(p, recursive, out);
    else out.push(p);
  }
  return out;
}

async function walk(dir: string, recursive: boolean, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputError(`cannot read directory ${dir}: ${(err as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive && !e.name.startsWith('.') && e.name !== 'node_modules') await walk(p, recursive, out);
    } else if (e.isFile() && isManifest(e.name)) out.push(p);
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
    let content: Buffer;
    try {
      const size = statSync(f).size;
      if (size > MAX_FILE_BYTES) throw new InputError(`${f} is ${size} bytes; files larger than ${MAX_FILE_BYTES} bytes are refused`);
      content = readFileSync(f);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read ${f}: ${(err as Error).message}`);
    }
    const shown = isAbsolute(f) && !relative(cwd, f).startsWith('..') ? relative(cwd, f) : f;
    inputs.push({ name: shown, content });
  }
  return inputs;
}
