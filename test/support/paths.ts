/** Paths tests share: the repository root, whether run from test/ or dist/test/. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const EXAMPLES_DIR = join(ROOT, 'manifests', 'examples');
export const CRDS_DIR = join(ROOT, 'crds');
export const FIXTURES_DIR = join(ROOT, 'test', 'fixtures');
export const BIN = join(ROOT, 'bin', 'winha.js');
