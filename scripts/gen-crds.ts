/**
 * Writes crds/*.yaml from the API schema, or with --check exits 1 when the
 * committed files differ from a fresh generation (used by `make lint`).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrds } from '../src/api/crd.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'crds');
const check = process.argv.includes('--check');
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const [name, text] of renderCrds()) {
  const path = join(dir, name);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === text) continue;
  if (check) {
    process.stderr.write(`crds/${name} is out of date: run \`make gen\`\n`);
    stale++;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote crds/${name}\n`);
  }
}
process.exitCode = stale ? 1 : 0;
