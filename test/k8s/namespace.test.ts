/**
 * Issue 18 item 4, on a real API server (test/k8s-harness): a kubeconfig context's namespace is where
 * kubernetes:// keeps objects that name none and its Leases, and where the CLI looks by default; the URL's
 * ?namespace= wins over it. (Which namespace, without a server: test/store/kubernetes-namespace.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { KubernetesStore } from '../../src/store/kubernetes/store.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { harnessSkipReason } from '../k8s-harness/harness.js';
import { harnessPerSuite, runWinha } from '../k8s-harness/suite.js';

const skip = harnessSkipReason();

describe('the kubeconfig context namespace on a real API server', { skip: skip ?? false }, () => {
  const h = harnessPerSuite('winha-k8s-ns-');
  let teamConfig: string;
  before(() => {
    const cfg = yaml.load(readFileSync(h.kube.kubeconfig, 'utf8')) as { contexts: { name: string; context: { namespace?: string } }[] };
    for (const c of cfg.contexts) c.context.namespace = 'team-a';
    teamConfig = join(h.dir, 'kubeconfig');
    writeFileSync(teamConfig, yaml.dump(cfg));
  });

  const winha = (args: string[]) => runWinha(args, teamConfig, h.dir);

  it('winha apply puts objects that name no namespace in the context namespace; get finds them there', async () => {
    const a = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml'), '--store', 'kubernetes://harness']);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /failovergroup\.winha\.io\/web \(namespace team-a\) created/);
    const direct = new KubernetesStore('kubernetes://harness?namespace=default', { kubeconfig: h.kube.kubeconfig });
    try {
      const inTeam = await direct.objects.list('FailoverGroup', { namespace: 'team-a' });
      assert.deepEqual(inTeam.items.map((o) => o.metadata.name).sort(), ['ftp', 'web']);
      assert.equal((await direct.objects.list('FailoverGroup', { namespace: 'default' })).items.length, 0);
    } finally {
      await direct.close();
    }
    const g = winha(['get', 'groups', '-o', 'json', '--store', 'kubernetes://harness']);
    assert.equal(g.code, 0, g.err);
    assert.deepEqual((JSON.parse(g.out) as { items: { metadata: { name: string } }[] }).items.map((o) => o.metadata.name).sort(), [
      'ftp',
      'web',
    ]);
    const other = winha(['get', 'groups', '-o', 'json', '--store', 'kubernetes://harness?namespace=default']);
    assert.equal((JSON.parse(other.out) as { items: unknown[] }).items.length, 0, '?namespace= wins over the context');
  });

  it('?namespace= confines lists and watches that name no namespace (what a namespaced Role allows an agent)', async () => {
    const scoped = new KubernetesStore('kubernetes://harness?namespace=team-a', { kubeconfig: h.kube.kubeconfig });
    const whole = new KubernetesStore('kubernetes://harness', { kubeconfig: h.kube.kubeconfig });
    const other = { apiVersion: 'winha.io/v1alpha1', kind: 'Cluster', metadata: { name: 'elsewhere', namespace: 'team-b' } };
    try {
      await whole.objects.create({ ...other, spec: { nodes: [{ name: 'n1', address: '10.9.0.1' }] } });
      const inScope = await scoped.objects.list('Cluster');
      assert.ok(inScope.items.length > 0 && inScope.items.every((o) => o.metadata.namespace === 'team-a'), 'only team-a');
      assert.ok(
        (await whole.objects.list('Cluster')).items.some((o) => o.metadata.namespace === 'team-b'),
        'no ?namespace=: every namespace',
      );
      assert.equal(
        (await scoped.objects.list('Cluster', { namespace: 'team-b' })).items.length,
        1,
        'a namespace asked for is still served',
      );
      const ac = new AbortController();
      const w = scoped.objects.watch('Cluster', { resourceVersion: inScope.resourceVersion, signal: ac.signal });
      await whole.objects.create({
        ...other,
        metadata: { name: 'later', namespace: 'team-b' },
        spec: { nodes: [{ name: 'n1', address: '10.9.0.1' }] },
      });
      await whole.objects.create({
        ...other,
        metadata: { name: 'later', namespace: 'team-a' },
        spec: { nodes: [{ name: 'n1', address: '10.9.0.1' }] },
      });
      for await (const ev of w) {
        if (ev.type === 'BOOKMARK') continue;
        assert.equal(ev.object.metadata.namespace, 'team-a', 'the watch saw only team-a');
        if (ev.object.metadata.name === 'later') break;
      }
      ac.abort();
    } finally {
      await Promise.all([scoped.close(), whole.close()]);
    }
  });

  it("a node lease carries its agent's version (winha version), kept across renewals, unknown when written without", async () => {
    const agent = new KubernetesStore('kubernetes://harness?namespace=versions', { kubeconfig: h.kube.kubeconfig });
    const reader = new KubernetesStore('kubernetes://harness?namespace=versions', { kubeconfig: h.kube.kubeconfig });
    try {
      await agent.leases.acquire('node.default.prod.node1', 'node1', 15);
      assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, undefined, 'an older agent: unknown');
      const taken = await agent.leases.acquire('node.default.prod.node1', 'node1', 15, '1.4.0');
      await agent.leases.renew('node.default.prod.node1', 'node1', taken.lease.epoch);
      assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, '1.4.0', 'kept across a renewal');
      await agent.leases.acquire('node.default.prod.node1', 'node1', 15, '1.5.0');
      assert.equal((await reader.leases.get('node.default.prod.node1'))?.holderVersion, '1.5.0');
    } finally {
      await Promise.all([agent.close(), reader.close()]);
    }
  });

  it("Leases live in the context namespace, or the URL's", async () => {
    const team = new KubernetesStore('kubernetes://harness', { kubeconfig: teamConfig });
    const ops = new KubernetesStore('kubernetes://harness?namespace=ops', { kubeconfig: teamConfig });
    const inDefault = new KubernetesStore('kubernetes://harness?namespace=default', { kubeconfig: h.kube.kubeconfig });
    try {
      assert.equal(team.namespace, 'team-a');
      const got = await team.leases.acquire('group-web', 'node1', 15);
      assert.equal(got.acquired, true);
      assert.equal((await team.leases.get('group-web'))?.holder, 'node1');
      assert.equal(await ops.leases.get('group-web'), null, 'not in ops');
      assert.equal(await inDefault.leases.get('group-web'), null, 'not in default');
      const viaUrl = new KubernetesStore('kubernetes://harness?namespace=team-a', { kubeconfig: h.kube.kubeconfig });
      try {
        assert.equal((await viaUrl.leases.get('group-web'))?.holder, 'node1', 'the same Lease, named by the URL');
      } finally {
        await viaUrl.close();
      }
    } finally {
      await Promise.all([team.close(), ops.close(), inDefault.close()]);
    }
  });
});
