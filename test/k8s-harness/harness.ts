/**
 * Starts test/k8s-harness (a real Kubernetes API server: apiextensions-apiserver
 * over an embedded etcd) for a test file, and stops it afterwards.
 *
 * The binary is built (or found in its cache) by scripts/build-k8s-harness.sh.
 * The harness exits by itself when our process ends, however it ends: it
 * watches its standard input, which is a pipe from us.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface KubeHarness {
  /** https://127.0.0.1:PORT */
  server: string;
  /** A kubeconfig whose current context ("harness") reaches the server; namespace default. */
  kubeconfig: string;
  /** Keep only the newest `revisions` etcd revisions (older resourceVersions answer 410 Gone). */
  setRetention(revisions: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Install the CRDs with "any object" schemas (the store contract's toy objects); default false: the real schemas. */
  permissive?: boolean;
}

let cachedBinary: { path: string } | { skip: string } | undefined;

/** The harness binary, building it if needed; or why it cannot be had (no Go toolchain). */
export function harnessBinary(): { path: string } | { skip: string } {
  if (cachedBinary) return cachedBinary;
  const r = spawnSync(path.join(REPO_ROOT, 'scripts/build-k8s-harness.sh'), {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status === 3) cachedBinary = { skip: r.stderr.trim() };
  else if (r.status !== 0) throw new Error(`building the Kubernetes test harness failed:\n${r.stderr}`);
  else cachedBinary = { path: path.resolve(REPO_ROOT, r.stdout.trim().split('\n').pop()!) };
  return cachedBinary;
}

/** Why the Kubernetes tests cannot run here, or undefined when they can. */
export function harnessSkipReason(): string | undefined {
  const b = harnessBinary();
  return 'skip' in b ? b.skip : undefined;
}

export async function startHarness(options: HarnessOptions = {}): Promise<KubeHarness> {
  const bin = harnessBinary();
  if ('skip' in bin) throw new Error(bin.skip);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winha-k8s-'));
  const args = ['--dir', dir, '--crds', path.join(REPO_ROOT, 'crds')];
  if (options.permissive) args.push('--permissive');
  const child: ChildProcess = spawn(bin.path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ready = await new Promise<{ server: string; kubeconfig: string; control: string }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          try {
            resolve(JSON.parse(out.slice(0, nl)));
          } catch (e) {
            reject(e);
          }
        }
      });
      child.once('exit', (code) => reject(new Error(`the Kubernetes test harness exited (${code}) before it was ready:\n${stderr}`)));
      child.once('error', reject);
    });
    return {
      server: ready.server,
      kubeconfig: ready.kubeconfig,
      async setRetention(revisions) {
        const res = await fetch(`${ready.control}/retention?revisions=${revisions}`, { method: 'POST' });
        if (!res.ok) throw new Error(`harness retention: HTTP ${res.status}`);
      },
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
