/**
 * The store contract, unchanged, against a real Kubernetes API server
 * (test/k8s-harness). The CRDs are installed with "any object" schemas
 * (--permissive): the contract's objects are deliberately not valid WinHA
 * specs, and the store is about storage semantics; the real schemas are
 * exercised by test/k8s/kubectl.test.ts.
 *
 * Each contract case gets fresh namespaces' worth of isolation by deleting
 * what it created: cleanup() removes every WinHA object and lease.
 */
import { after, before, describe } from 'node:test';
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { KINDS } from '../../src/api/kinds.js';
import { type Store } from '../../src/store/index.js';
import { KubernetesStore } from '../../src/store/kubernetes/store.js';
import { harnessSkipReason, startHarness, type KubeHarness } from '../k8s-harness/harness.js';
import { storeContract, type Harness } from './contract.js';

const skip = harnessSkipReason();

describe('kubernetes:// against the API server harness', { skip: skip ?? false }, () => {
  let kube: KubeHarness;
  before(async () => {
    kube = await startHarness({ permissive: true });
  });
  after(async () => {
    await kube?.stop();
  });

  storeContract({
    name: 'kubernetes://',
    async create({ historyLimit }): Promise<Harness> {
      await kube.setRetention(historyLimit);
      const clock = new VirtualClock();
      const open: Store[] = [];
      let seed = 1;
      const connect = async (): Promise<Store> => {
        const s = new KubernetesStore('kubernetes://harness', { kubeconfig: kube.kubeconfig, clock, random: new SeededRandom(seed++) });
        open.push(s);
        return s;
      };
      return {
        connect,
        advance: (ms) => clock.advance(ms),
        async cleanup() {
          for (const s of open) await s.close();
          // Leave an empty store for the next case (its own etcd revisions go on).
          const admin = new KubernetesStore('kubernetes://harness', { kubeconfig: kube.kubeconfig });
          for (const k of KINDS) {
            for (const o of (await admin.objects.list(k.kind)).items) {
              await admin.objects.delete(k.kind, o.metadata.namespace, o.metadata.name).catch(() => undefined);
            }
          }
          await deleteLeases(kube.kubeconfig);
          await admin.close();
        },
      };
    },
  });
});

async function deleteLeases(kubeconfig: string): Promise<void> {
  const { KubeConfig, CoordinationV1Api } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = kc.makeApiClient(CoordinationV1Api);
  const list = await api.listNamespacedLease({ namespace: 'default' });
  for (const l of list.items) await api.deleteNamespacedLease({ name: l.metadata!.name!, namespace: 'default' });
}
