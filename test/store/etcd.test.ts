import { after, test } from 'node:test';
import { storeContract } from './contract.js';
import { etcdHarness, stopSharedEtcd } from './etcd-harness.js';
import { etcdUnavailableReason } from '../support/etcd-cluster.js';

const missing = etcdUnavailableReason();
if (missing) {
  test('store contract: etcd://', { skip: missing }, () => {});
} else {
  after(stopSharedEtcd);
  storeContract({ name: 'etcd://', create: ({ historyLimit }) => etcdHarness(historyLimit) });
}
