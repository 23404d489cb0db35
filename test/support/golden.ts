/** Golden files: a value's JSON compared with the committed file; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function golden(dir: string, name: string, value: unknown): void {
  const file = join(dir, name);
  const text = JSON.stringify(value, null, 2) + '\n';
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  if (!existsSync(file)) assert.fail(`no ${file} (run with UPDATE_GOLDEN=1 and review it)`);
  assert.equal(text, readFileSync(file, 'utf8'), `${name} changed (UPDATE_GOLDEN=1 to accept, then review the diff)`);
}
