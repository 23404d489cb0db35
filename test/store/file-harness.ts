/** Contract harness for file://: every connection is a separate FileStore on one temporary directory. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../../src/lib/clock.js';
import { FileStore, type FileStoreOptions } from '../../src/store/index.js';
import type { Harness } from './contract.js';

export async function tempStoreDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'winha-store-'));
}

export async function fileHarness(historyLimit: number, extra: FileStoreOptions = {}): Promise<Harness & { dir: string }> {
  const dir = await tempStoreDir();
  const clock = new VirtualClock();
  const open: FileStore[] = [];
  return {
    dir,
    async connect() {
      const s = await FileStore.open(dir, { clock, historyLimit, pollIntervalMs: 200, ...extra });
      open.push(s);
      return s;
    },
    advance: (ms) => clock.advance(ms),
    async cleanup() {
      for (const s of open) await s.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
