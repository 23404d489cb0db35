/** A recording on disk: one JSON file per call plus manifest.json (test/drivers/windows/fixtures/README.md). */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FixtureSink, RecordedFile, RecordingManifest } from './recorder.js';

export function directorySink(dir: string): FixtureSink {
  return {
    async write(name, content) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, name), content, 'utf8');
    },
  };
}

/** The manifest and the call files it lists, in recording order. */
export async function readRecordingDir(dir: string): Promise<{ manifest: RecordingManifest; files: RecordedFile[] }> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
  const files: RecordedFile[] = [];
  for (const name of manifest.files) files.push(JSON.parse(await readFile(path.join(dir, name), 'utf8')) as RecordedFile);
  return { manifest, files };
}

/** True when the directory is absent or empty (a recording never mixes with other files). */
export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}
