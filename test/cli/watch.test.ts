/** `winha get --watch` prints changes made by other processes as they happen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';

function waitForOutput(child: ReturnType<typeof spawn>, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (pattern.test(out)) {
        child.stdout!.off('data', onData);
        resolve(out);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ${what}; output so far:\n${out}`)));
  });
}

test('get groups --watch shows a group applied by another process, and stops cleanly on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-watch-'));
  const store = `file://${join(dir, 'store')}`;
  const env = { ...process.env, NO_COLOR: '1', WINHA_STORE: store };
  // A read never creates its store (issue 18 item 4): the watched store exists, empty, before apply fills it.
  mkdirSync(join(dir, 'store'));
  try {
    const watcher = spawn(process.execPath, [BIN, 'get', 'groups', '--watch'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Whether the apply lands before the watcher's first list (then the table shows it) or after
    // (then the watch delivers it), the groups must appear.
    const applied = spawnSync(process.execPath, [BIN, 'apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')], { env, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    // Reads no longer wait for the writer's lock, so the groups may arrive as two watch events: wait for both.
    const out = await waitForOutput(watcher, /^(web|ftp)\s[\s\S]*^(web|ftp)\s/m, 'the web and ftp groups were shown');
    assert.match(out, /^web\s/m);
    assert.match(out, /^ftp\s/m);
    const exited = new Promise<number | null>((r) => watcher.once('exit', (code) => r(code)));
    watcher.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
