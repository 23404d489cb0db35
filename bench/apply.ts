/**
 * bench/apply: apply then diff 10,000 objects on the file store, through the
 * built CLI (what an operator runs). Prints JSON. Target (issue 3): diff of
 * 10,000 unchanged objects ≤ 2 s; apply of an unchanged set writes nothing (C7).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toYaml } from '../src/lib/yaml.js';
import { openStore } from '../src/store/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'winha.js');
const NAMESPACES = 400;
const GROUPS_PER_NAMESPACE = 6; // 1 cluster + 6 × (group, vip, mirror, site) = 25 objects per namespace

function namespaceObjects(n: number): Record<string, unknown>[] {
  const ns = `team-${n}`;
  const meta = (name: string) => ({ name, namespace: ns, labels: { bench: 'apply' } });
  const objs: Record<string, unknown>[] = [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Cluster',
      metadata: meta('prod'),
      spec: {
        nodes: [
          { name: 'node1', address: `192.168.${n % 250}.1` },
          { name: 'node2', address: `192.168.${n % 250}.2` },
        ],
      },
    },
  ];
  for (let g = 0; g < GROUPS_PER_NAMESPACE; g++) {
    const vip = `10.${n % 250}.${Math.floor(n / 250)}.${10 + g}`;
    const letter = String.fromCharCode(68 + g); // D: E: F: …
    objs.push(
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'FailoverGroup',
        metadata: meta(`g${g}`),
        spec: {
          nodes: [
            { name: 'node1', priority: 1 },
            { name: 'node2', priority: 10 },
          ],
        },
      },
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'VirtualIP',
        metadata: meta(`g${g}-vip`),
        spec: { group: `g${g}`, address: vip, prefixLength: 24 },
      },
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'Mirror',
        metadata: meta(`g${g}-data`),
        spec: {
          group: `g${g}`,
          volume: `${letter}:`,
          endpoints: [
            { node: 'node1', address: '172.16.0.1' },
            { node: 'node2', address: '172.16.0.2' },
          ],
        },
      },
      {
        apiVersion: 'winha.io/v1alpha1',
        kind: 'IISSite',
        metadata: meta(`site${g}`),
        spec: {
          group: `g${g}`,
          siteName: `site${g}`,
          bindings: [{ protocol: 'http', address: vip, port: 80, hostHeader: `s${g}.example.com` }],
          physicalPath: `${letter}:\\sites\\site${g}`,
        },
      },
    );
  }
  return objs;
}

function timed(args: string[]): { seconds: number; code: number | null; stdout: string; stderr: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { seconds: (performance.now() - t) / 1000, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'winha-bench-apply-'));
  try {
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    let objects = 0;
    for (let n = 0; n < NAMESPACES; n++) {
      const objs = namespaceObjects(n);
      objects += objs.length;
      writeFileSync(join(manifests, `ns-${n}.yaml`), objs.map((o) => toYaml(o)).join('---\n'));
    }
    const store = `file://${join(dir, 'store')}`;
    const first = timed(['apply', '-f', manifests, '--store', store, '-o', 'json']);
    if (first.code !== 0) throw new Error(`first apply failed: ${first.stderr}`);
    const s1 = await openStore(store);
    const rv1 = (await s1.objects.list('FailoverGroup')).resourceVersion;
    await s1.close();
    const again = timed(['apply', '-f', manifests, '--store', store, '-o', 'json']);
    const outcomes = (JSON.parse(again.stdout) as { objects: { action: string }[] }).objects;
    const s2 = await openStore(store);
    const rv2 = (await s2.objects.list('FailoverGroup')).resourceVersion;
    await s2.close();
    const diff = timed(['diff', '-f', manifests, '--store', store]);
    const result = {
      benchmark: 'apply',
      objects,
      files: NAMESPACES,
      applyCreateSeconds: +first.seconds.toFixed(3),
      applyUnchangedSeconds: +again.seconds.toFixed(3),
      unchangedOutcomes: outcomes.filter((o) => o.action === 'unchanged').length,
      unchangedApplyWroteNothing: rv1 === rv2,
      diffUnchangedSeconds: +diff.seconds.toFixed(3),
      diffExitCode: diff.code,
      target: { diffUnchangedSeconds: 2 },
      meetsTarget: diff.seconds <= 2 && diff.code === 0 && rv1 === rv2,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
