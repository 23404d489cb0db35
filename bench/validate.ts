/**
 * Benchmark of `winha validate` (design §6: ≥ 20,000 documents/s end to end,
 * validate time ≤ 1.5 × YAML parse time).
 *
 * Generates a GitOps-like tree (500 files × 21 documents: a cluster and four
 * groups with their VIP, mirror and two sites each, commented like real
 * manifests, a few deliberate problems) in a temp directory, then measures,
 * best of 3:
 *  - validate: read every file + validateInputs (parse, schema, cross-object rules);
 *  - parse:    read every file + js-yaml loadAll with CORE_SCHEMA (what the fast path does);
 * and the real CLI process on the same directory (`winha validate -R dir -o json`).
 * Prints one JSON object. Not a test: numbers depend on the machine.
 *
 * Usage: node dist/bench/validate.js [--files N] [--problems-every N (0: none)] [--keep]
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir, cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import jsyaml from 'js-yaml';
import { validateInputs, type InputFile } from '../src/validate/validate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'winha.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const FILES = arg('--files', 500);
const GROUPS_PER_FILE = 4;
const RUNS = 3;
/** Every Nth file has a deliberate problem (two kinds, so 2 files in N); 0 for a clean tree. */
const PROBLEMS_EVERY = arg('--problems-every', 50);

/** One file: a tenant namespace with its cluster and four groups; a few files have a deliberate problem. */
function tenantFile(f: number): { text: string; documents: number } {
  const ns = `tenant-${f}`;
  const a = (f >> 8) & 255;
  const b = f & 255;
  const docs: string[] = [];
  docs.push(`# Tenant ${f}: two Windows servers behind one cluster.
apiVersion: winha.io/v1alpha1
kind: Cluster
metadata:
  name: prod
  namespace: ${ns}
  labels: {team: web, tenant: "${f}"}
spec:
  nodes:
    - name: node1
      address: 192.168.${b}.11
      interfaces:
        - {name: Public, role: public}
        - {name: Replication, role: replication}
    - name: node2
      address: 192.168.${b}.12
      interfaces:
        - {name: Public, role: public}
        - {name: Replication, role: replication}
  timing:
    leaseDurationSeconds: 15
    renewDeadlineSeconds: 10
    retryPeriodSeconds: 2
  checks:
    quickCheckIntervalSeconds: 10
    deepCheckIntervalSeconds: 60
`);
  for (let g = 0; g < GROUPS_PER_FILE; g++) {
    const group = `app${g}`;
    const vip = `10.${a}.${b}.${10 + g}`;
    const volume = String.fromCharCode(69 + g); // E: F: G: H:
    const duplicatePriority = PROBLEMS_EVERY > 0 && f % PROBLEMS_EVERY === 7 % PROBLEMS_EVERY && g === 0;
    const badSiteName = PROBLEMS_EVERY > 0 && f % PROBLEMS_EVERY === 13 % PROBLEMS_EVERY && g === 1;
    docs.push(`# Group ${group}: prefers node${1 + (g % 2)}.
apiVersion: winha.io/v1alpha1
kind: FailoverGroup
metadata:
  name: ${group}
  namespace: ${ns}
spec:
  nodes:
    - {name: node1, priority: ${g % 2 === 0 ? 1 : 10}}
    - {name: node2, priority: ${duplicatePriority ? 1 : g % 2 === 0 ? 10 : 1}}
  switchback: Intelligent
  autoFailover: true
  desiredState: InService
  failurePolicy:
    restartLimit: 3
    restartWindowSeconds: 900
    failureExpirySeconds: 3600
`);
    docs.push(`apiVersion: winha.io/v1alpha1
kind: VirtualIP
metadata:
  name: ${group}-vip
  namespace: ${ns}
spec:
  group: ${group}
  address: ${vip}
  prefixLength: 24
  interface: Public
  localRecovery: true
`);
    docs.push(`apiVersion: winha.io/v1alpha1
kind: Mirror
metadata:
  name: ${group}-data
  namespace: ${ns}
spec:
  group: ${group}
  volume: "${volume}:"
  endpoints:
    - {node: node1, address: 172.16.${b}.11}
    - {node: node2, address: 172.16.${b}.12}
  mode: Synchronous
  compressionLevel: 0
`);
    for (let s = 0; s < 2; s++) {
      const site = `${group}-site${s}`;
      docs.push(`apiVersion: winha.io/v1alpha1
kind: IISSite
metadata:
  name: ${site}
  namespace: ${ns}
  annotations:
    owner: "team-${g}@example.com"
spec:
  group: ${group}
  siteName: ${badSiteName && s === 0 ? '"Site 1_bad"' : site}
  service: Web
  bindings:
    - {protocol: http, address: ${vip}, port: ${80 + s}, hostHeader: ${site}.example.com}
  physicalPath: '${volume}:\\sites\\${site}'
  applicationPool: ${site}
  management: Managed
  checks:
    http: {path: /health, timeoutSeconds: 10}
  localRecovery: true
`);
    }
  }
  return { text: docs.join('---\n'), documents: docs.length };
}

function generate(dir: string): number {
  let documents = 0;
  for (let f = 0; f < FILES; f++) {
    const sub = join(dir, `team-${Math.floor(f / 50)}`);
    if (f % 50 === 0) mkdirSync(sub, { recursive: true });
    const { text, documents: n } = tenantFile(f);
    writeFileSync(join(sub, `tenant-${String(f).padStart(4, '0')}.yaml`), text);
    documents += n;
  }
  return documents;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

function readAll(files: string[]): InputFile[] {
  return files.map((f) => ({ name: f, content: readFileSync(f) }));
}

/** Best of RUNS, after one unmeasured warm-up run (JIT), so neither measurement warms the other's shared code (js-yaml). */
function best<T>(fn: () => T): { seconds: number; result: T } {
  let seconds = Infinity;
  let result: T = fn();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    result = fn();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, result };
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'winha-bench-'));
  try {
    const generated = generate(dir);
    const files = listFiles(dir);
    const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);

    const validate = best(() => validateInputs(readAll(files)));
    const parse = best(() => {
      let docs = 0;
      for (const input of readAll(files)) {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(input.content as Uint8Array);
        docs += jsyaml.loadAll(text, undefined, { schema: jsyaml.CORE_SCHEMA }).length;
      }
      return docs;
    });
    const report = validate.result;
    if (report.documents !== generated || parse.result !== generated) {
      throw new Error(`document counts disagree: generated ${generated}, validated ${report.documents}, parsed ${parse.result}`);
    }

    const t0 = performance.now();
    const cli = spawnSync(process.execPath, [BIN, 'validate', '-R', dir, '-o', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const cliSeconds = (performance.now() - t0) / 1000;
    const cliOut = JSON.parse(cli.stdout) as { documents: number; problems: unknown[] };

    const result = {
      documents: report.documents,
      files: files.length,
      bytes,
      problems: report.problems.length,
      validateSeconds: round(validate.seconds),
      parseSeconds: round(parse.seconds),
      documentsPerSecond: Math.round(report.documents / validate.seconds),
      ratio: round(validate.seconds / parse.seconds, 3),
      cli: {
        seconds: round(cliSeconds),
        documentsPerSecond: Math.round(cliOut.documents / cliSeconds),
        exitCode: cli.status,
        problems: cliOut.problems.length,
      },
      targets: { documentsPerSecond: 20_000, ratio: 1.5 },
      met: { documentsPerSecond: report.documents / validate.seconds >= 20_000, ratio: validate.seconds / parse.seconds <= 1.5 },
      machine: { cpus: cpus().length, node: process.version },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

main();
