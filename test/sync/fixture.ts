/** Manifests and repositories for the sync tests: a Cluster and groups (each with its VIP), written as a repository would hold them. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toYaml } from '../../src/lib/yaml.js';
import { PROD_CLUSTER } from '../support/status-fixture.js';

const API = 'winha.io/v1alpha1';

export const CLUSTER = toYaml(PROD_CLUSTER);

/** A group and its virtual IP, one file's worth. */
export function groupYaml(name: string, address: string, priority2 = 10): string {
  const group = {
    apiVersion: API,
    kind: 'FailoverGroup',
    metadata: { name },
    spec: {
      nodes: [
        { name: 'node1', priority: 1 },
        { name: 'node2', priority: priority2 },
      ],
    },
  };
  const vip = { apiVersion: API, kind: 'VirtualIP', metadata: { name: `${name}-vip` }, spec: { group: name, address, prefixLength: 24 } };
  return `${toYaml(group)}---\n${toYaml(vip)}`;
}

/** Make `dir` hold exactly `files` (relative name → text), leaving .git alone. */
export function writeTree(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const e of readdirSync(dir)) if (e !== '.git') rmSync(join(dir, e), { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: process.env['HOME'] ?? '/tmp',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/** Commit everything in `dir` (a work tree); returns the commit SHA. */
export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A work tree (`work`) whose commits are pushed to a bare repository (`bare`, what a git URL points at). */
export function makeRepo(root: string): {
  work: string;
  bare: string;
  url: string;
  commit(files: Record<string, string>, message: string): string;
} {
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'remote', 'add', 'origin', bare);
  return {
    work,
    bare,
    url: `file://${bare}`,
    commit(files, message) {
      writeTree(work, files);
      const sha = commitAll(work, message);
      git(work, 'push', '-q', 'origin', 'HEAD:main');
      return sha;
    },
  };
}
