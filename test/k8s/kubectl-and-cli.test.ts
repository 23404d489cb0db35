/**
 * With the real CRDs installed on a real API server (test/k8s-harness):
 *  - kubectl applies the examples and shows the printer columns;
 *  - winha apply/get/describe/diff give the same answers on kubernetes:// as
 *    on the file store (timestamps, uids and resourceVersions aside);
 *  - merge patches go out as application/merge-patch+json;
 *  - a watch whose connection dies silently is replaced and misses nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { KubernetesStore } from '../../src/store/kubernetes/store.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { harnessSkipReason } from '../k8s-harness/harness.js';
import { harnessPerSuite, runWinha } from '../k8s-harness/suite.js';
import { startRelay } from '../k8s-harness/relay.js';

const skip = harnessSkipReason();
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('kubectl and winha against the API server harness (real CRD schemas)', { skip: skip ?? false }, () => {
  const h = harnessPerSuite('winha-k8s-cli-');

  const kubectl = (args: string[]) => {
    const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: h.kube.kubeconfig } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const winha = (store: string, args: string[]) => runWinha([...args, '--store', store], h.kube.kubeconfig, h.dir);

  it(
    'kubectl apply -f manifests/examples/ and kubectl get failovergroups (printer columns)',
    { skip: hasKubectl ? false : 'kubectl is not installed' },
    () => {
      // The harness serves CRDs and Leases, not the core API: the examples without their v1 Namespace documents.
      const examples = join(h.dir, 'examples');
      mkdirSync(examples);
      for (const f of readdirSync(EXAMPLES_DIR)) {
        const docs = yaml.loadAll(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as { kind?: string }[];
        writeFileSync(
          join(examples, f),
          docs
            .filter((d) => d && d.kind !== 'Namespace')
            .map((d) => yaml.dump(d))
            .join('---\n'),
        );
      }
      const a = kubectl(['apply', '-f', examples]);
      assert.equal(a.code, 0, a.err);
      assert.match(a.out, /failovergroup\.winha\.io\/web created/);
      assert.match(a.out, /iissite\.winha\.io\/website1 created/);
      const g = kubectl(['get', 'failovergroups', '--all-namespaces']);
      assert.equal(g.code, 0, g.err);
      const [header, ...rows] = g.out.trim().split('\n');
      assert.match(header!, /^NAMESPACE\s+NAME\s+ACTIVE\s+READY\s+EPOCH\s+DESIRED\s+AGE$/);
      assert.ok(rows.length >= 3, g.out);
      assert.ok(
        rows.every((r) => /InService/.test(r)),
        'the schema default desiredState shows in its column',
      );
      const wide = kubectl(['get', 'fg', 'web', '-o', 'wide']);
      assert.match(wide.out.split('\n')[0]!, /PHASE\s+SWITCHBACK/);
      // The server applied the CRD defaults (structural schema with defaults).
      const cl = kubectl(['get', 'cluster', 'prod', '-o', 'json']);
      const prod = JSON.parse(cl.out) as { spec: { nodes: { maintenance?: boolean }[] } };
      assert.equal(prod.spec.nodes[0]!.maintenance, false);
      // An invalid object is refused by the schema.
      writeFileSync(
        join(h.dir, 'bad.yaml'),
        'apiVersion: winha.io/v1alpha1\nkind: FailoverGroup\nmetadata: {name: bad}\nspec: {desiredState: Sideways, nodes: []}\n',
      );
      const bad = kubectl(['apply', '-f', join(h.dir, 'bad.yaml')]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.err, /desiredState/);
      const d = kubectl(['delete', '-f', examples]);
      assert.equal(d.code, 0, d.err);
    },
  );

  it('winha apply/get/describe/diff say the same on kubernetes:// as on file://', () => {
    const k8s = 'kubernetes://harness?namespace=default';
    const file = `file://${join(h.dir, 'store')}`;
    const manifest = join(EXAMPLES_DIR, 'two-node-web.yaml');
    writeFileSync(join(h.dir, 'changed.yaml'), readFileSync(manifest, 'utf8').replace('priority: 10', 'priority: 20'));
    const steps: string[][] = [
      ['apply', '-f', manifest],
      ['apply', '-f', manifest],
      ['get', 'groups'],
      ['get', 'sites', '-o', 'wide'],
      ['get', 'group', 'web', '-o', 'yaml'],
      ['get', 'clusters', '-o', 'json'],
      ['describe', 'group', 'web'],
      ['describe', 'site', 'website1'],
      ['diff', '-f', manifest],
      ['diff', '-f', join(h.dir, 'changed.yaml')],
      ['apply', '-f', join(h.dir, 'changed.yaml')],
      ['get', 'group', 'web', '-o', 'yaml'],
    ];
    for (const step of steps) {
      const a = winha(file, step);
      const b = winha(k8s, step);
      const what = `winha ${step.join(' ')}`;
      assert.equal(b.code, a.code, `${what}: exit code\n${b.err}`);
      assert.deepEqual(normalize(b.out), normalize(a.out), what);
      assert.equal(b.err, a.err, `${what}: stderr`);
    }
  });

  it('merge patches are sent as application/merge-patch+json (the server refuses strategic merge on custom resources)', async () => {
    const store = new KubernetesStore('kubernetes://harness', { kubeconfig: h.kube.kubeconfig });
    try {
      const g = await store.objects.get('FailoverGroup', 'default', 'web');
      const p = await store.objects.mergePatch('FailoverGroup', 'default', 'web', {
        metadata: { labels: { tier: 'front' } },
        spec: { maintenance: true },
      });
      assert.equal(p.metadata.labels?.['tier'], 'front');
      assert.equal((p.spec as { maintenance: boolean }).maintenance, true);
      assert.equal(p.metadata.generation, g.metadata.generation + 1);
      const s = await store.objects.mergePatch(
        'FailoverGroup',
        'default',
        'web',
        { status: { activeNode: 'node1', epoch: 3 } },
        { subresource: 'status' },
      );
      assert.deepEqual((s.status as Record<string, unknown>)['activeNode'], 'node1');
      await assert.rejects(
        store.objects.mergePatch(
          'FailoverGroup',
          'default',
          'web',
          { spec: { maintenance: false } },
          { resourceVersion: g.metadata.resourceVersion },
        ),
        (e: unknown) => (e as { code?: string }).code === 'Conflict',
      );
    } finally {
      await store.close();
    }
  });

  it('a watch whose connection goes silent is replaced, and resumes without losing events', async () => {
    // A TCP relay we can freeze: it stops forwarding without closing (a dead NAT entry, a pulled cable).
    const relay = await startRelay(h.kube.server);
    const relayed = relay.writeKubeconfig(h.kube.kubeconfig, join(h.dir, 'relayed-kubeconfig'));
    const direct = new KubernetesStore('kubernetes://harness', { kubeconfig: h.kube.kubeconfig });
    const viaRelay = new KubernetesStore('kubernetes://harness', { kubeconfig: relayed, watchInactivityMs: 1500 });
    try {
      const l = await viaRelay.objects.list('VirtualIP', { namespace: 'default' });
      const w = viaRelay.objects.watch('VirtualIP', { namespace: 'default', resourceVersion: l.resourceVersion });
      const it = w[Symbol.asyncIterator]();
      await direct.objects.create({
        apiVersion: 'winha.io/v1alpha1',
        kind: 'VirtualIP',
        metadata: { name: 'before' },
        spec: { group: 'web', address: '10.0.0.60', prefixLength: 24 },
      });
      assert.equal(((await it.next()).value as { object: { metadata: { name: string } } }).object.metadata.name, 'before');
      relay.freezeOpen(); // the watch connection is now dead but open; new connections work
      await direct.objects.create({
        apiVersion: 'winha.io/v1alpha1',
        kind: 'VirtualIP',
        metadata: { name: 'during' },
        spec: { group: 'web', address: '10.0.0.61', prefixLength: 24 },
      });
      const ev = (await it.next()).value as { type: string; object: { metadata: { name: string } } };
      assert.deepEqual(
        [ev.type, ev.object.metadata.name],
        ['ADDED', 'during'],
        'the replacement watch resumed from the last resourceVersion',
      );
      w.close();
    } finally {
      await direct.close();
      await viaRelay.close();
      relay.close();
    }
  });

  it('on a silent connection every request gives up after requestTimeoutMs with Unavailable (objects and leases), and works again after', async () => {
    const relay = await startRelay(h.kube.server);
    const relayed = relay.writeKubeconfig(h.kube.kubeconfig, join(h.dir, 'cut-kubeconfig'));
    const store = new KubernetesStore('kubernetes://harness', { kubeconfig: relayed, requestTimeoutMs: 1000 });
    const direct = new KubernetesStore('kubernetes://harness', { kubeconfig: h.kube.kubeconfig });
    try {
      await direct.leases.acquire('timeout-probe', 'me', 4); // the server's first lease request sets up its storage (~2 s)
      await store.leases.get('timeout-probe');
      relay.cut(); // open connections and new ones: accepted, then nothing
      for (const [what, call] of [
        ['get', () => store.objects.get('FailoverGroup', 'default', 'web')],
        ['list', () => store.objects.list('VirtualIP', { namespace: 'default' })],
        ['lease get', () => store.leases.get('timeout-probe')],
        ['lease renew', () => store.leases.acquire('timeout-probe', 'me', 4)],
      ] as const) {
        const t0 = performance.now();
        await assert.rejects(
          call(),
          (e: unknown) => (e as { code?: string }).code === 'Unavailable' && /request timeout/.test((e as Error).message),
          what,
        );
        const ms = performance.now() - t0;
        assert.ok(ms >= 900 && ms < 4000, `${what}: gave up after ${ms.toFixed(0)} ms`);
      }
      relay.heal();
      assert.equal((await store.leases.acquire('timeout-probe', 'me', 4)).acquired, true);
    } finally {
      await store.close();
      await direct.close();
      relay.close();
    }
  });
});

/**
 * Output with the values that differ between any two stores (times, uids,
 * resourceVersions) masked, and map keys in one order: JSON and YAML documents
 * are compared as data; text (tables, describe, diffs) line by line, sorted,
 * list-item dashes ignored (the API server returns map keys sorted, so the
 * first key of a list item differs from the manifest's).
 */
function normalize(out: string): unknown {
  const trimmed = out.trim();
  if (trimmed.startsWith('{')) return maskJson(JSON.parse(trimmed));
  if (/^(apiVersion|kind):/m.test(trimmed) && !/^diff /m.test(trimmed) && !/^Name:/m.test(trimmed)) return maskJson(yaml.load(trimmed));
  return trimmed
    .split('\n')
    .map((l) =>
      l
        .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b/g, 'TIME')
        .replace(/\(\d+[smhd] ago\)/g, '(AGE ago)')
        .replace(/\s+\d+[smhd]$/, ' AGE')
        .replace(/^(@@ -\d+),\d+ \+\d+,\d+ @@/, '$1 @@')
        .replace(/^([-+ ]?\s*)- /, '$1  '),
    )
    .sort()
    .join('\n');
}

function maskJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskJson);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    out[k] = ['uid', 'resourceVersion', 'creationTimestamp'].includes(k) ? 'MASKED' : maskJson(x);
  }
  return out;
}
