/**
 * Issue 18 item 4: kubernetes://[CONTEXT][?namespace=NS] chooses its namespace as kubectl does — the URL's,
 * else the kubeconfig context's, else "default" — and the CLI's -n and apply's objects without a namespace
 * follow it. (The same on a real API server, objects and Leases: test/k8s/namespace.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { kubernetesNamespace, parseKubernetesUrl, storeNamespace } from '../../src/store/kubernetes/config.js';
import { validateInputs } from '../../src/validate/validate.js';
import { BIN } from '../support/paths.js';
import { freePorts } from '../support/free-port.js';

let dir: string;
let kubeconfig: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'winha-k8s-ns-'));
  const [port] = (await freePorts(1)) as [number]; // nothing listens: the error names the namespace the request was for
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, config(`https://127.0.0.1:${port}`));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "${server}"}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: team, context: {cluster: c, user: u, namespace: team-a}}, {name: plain, context: {cluster: c, user: u}}]',
    'current-context: team',
  ].join('\n');
}

function kc(): KubeConfig {
  const k = new KubeConfig();
  k.loadFromString(config('https://127.0.0.1:6443'));
  return k;
}

test("the URL's namespace, else the context's, else default", () => {
  assert.equal(storeNamespace(parseKubernetesUrl('kubernetes://?namespace=ops'), kc()), 'ops');
  assert.equal(storeNamespace(parseKubernetesUrl('kubernetes://'), kc()), 'team-a', 'the current context names team-a');
  const plain = kc();
  plain.setCurrentContext('plain');
  assert.equal(storeNamespace(parseKubernetesUrl('kubernetes://plain'), plain), 'default');
  assert.equal(kubernetesNamespace('kubernetes://team', { kubeconfig }), 'team-a');
  assert.equal(kubernetesNamespace('kubernetes://plain', { kubeconfig }), 'default');
  assert.equal(kubernetesNamespace('kubernetes://plain?namespace=x', { kubeconfig: join(dir, 'absent') }), 'x', 'no kubeconfig read');
});

test('validate writes the store namespace into objects that name none, and leaves named ones', () => {
  const text = [
    'apiVersion: winha.io/v1alpha1\nkind: FailoverGroup\nmetadata: {name: web}\nspec: {nodes: [{name: n1, priority: 1}]}',
    'apiVersion: winha.io/v1alpha1\nkind: FailoverGroup\nmetadata: {name: ftp, namespace: other}\nspec: {nodes: [{name: n1, priority: 1}]}',
  ].join('\n---\n');
  const r = validateInputs([{ name: 'x.yaml', content: text }], { defaultNamespace: 'team-a' });
  assert.deepEqual(
    r.objects.map((o) => (o.obj['metadata'] as { namespace: string }).namespace),
    ['team-a', 'other'],
  );
  assert.ok(
    r.problems.every((p) => !/namespace default/.test(p.message)),
    'references resolve in team-a',
  );
});

test('the CLI: -n defaults to the context namespace or ?namespace=, and an explicit -n wins', () => {
  const get = (args: string[]) =>
    spawnSync(process.execPath, [BIN, 'get', 'groups', ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '', KUBECONFIG: kubeconfig },
      timeout: 15_000,
    }).stderr;
  assert.match(get(['--store', 'kubernetes://']), /list failovergroups in team-a: cannot reach/);
  assert.match(get(['--store', 'kubernetes://team?namespace=ops']), /list failovergroups in ops: /);
  assert.match(get(['--store', 'kubernetes://', '-n', 'default']), /list failovergroups in default: /);
});
