/**
 * Contract harness for etcd://: one real etcd (started once per test file),
 * a fresh key prefix per harness, every connection a separate EtcdStore on a
 * shared virtual clock (lease expiry and bookmarks move with advance()).
 */
import { VirtualClock } from '../../src/lib/clock.js';
import { openEtcdStore, type EtcdStore, type EtcdStoreOptions } from '../../src/store/etcd/etcd-store.js';
import type { Harness } from './contract.js';
import { EtcdCluster } from '../support/etcd-cluster.js';

let shared: Promise<EtcdCluster> | undefined;
let counter = 0;

/** The file's etcd, started on first use. Stop it with stopSharedEtcd() in after(). */
export function sharedEtcd(): Promise<EtcdCluster> {
  shared ??= EtcdCluster.start({ members: 1 });
  return shared;
}

export async function stopSharedEtcd(): Promise<void> {
  if (!shared) return;
  const c = await shared.catch(() => undefined);
  shared = undefined;
  await c?.stop();
}

export async function etcdHarness(historyLimit: number, extra: EtcdStoreOptions = {}): Promise<Harness & { url: string }> {
  const cluster = await sharedEtcd();
  const url = cluster.url(`/contract-${process.pid}-${++counter}`);
  const clock = new VirtualClock();
  const open: EtcdStore[] = [];
  return {
    url,
    async connect() {
      const s = openEtcdStore(url, { clock, historyLimit, env: {}, ...extra });
      open.push(s);
      return s;
    },
    advance: (ms) => clock.advance(ms),
    async cleanup() {
      const prefix = open[0]?.keys.prefix;
      if (open[0] && prefix)
        await open[0].client.etcd
          .delete()
          .prefix(`${prefix}/`)
          .exec()
          .catch(() => undefined);
      for (const s of open) await s.close();
    },
  };
}
