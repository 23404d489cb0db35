/** Git repositories made by the tests (real git) and an HTTP git server that wants a Basic-auth token. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function write(dir: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

export function commit(work: string, subject: string): string {
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', subject);
  return git(work, 'rev-parse', 'HEAD');
}

const temps: string[] = [];
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'winha-source-test-'));
  temps.push(d);
  return d;
}
export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface Remote {
  base: string;
  work: string;
  bare: string;
  url: string;
  first: string;
  /** Commit everything in `work` and push it to the bare repository's main. */
  push(subject: string): string;
}

/** A bare repository (the "server") with one commit on main: clusters/prod/{a,b}.yaml and README.md. */
export async function remoteRepo(): Promise<Remote> {
  const base = await tempDir();
  const work = path.join(base, 'work');
  const bare = path.join(base, 'bare.git');
  git(base, 'init', '-q', '--bare', '-b', 'main', bare);
  git(base, 'init', '-q', '-b', 'main', work);
  write(work, 'clusters/prod/a.yaml', 'a: 1\n');
  write(work, 'clusters/prod/b.yaml', 'b: 1\n');
  write(work, 'README.md', 'repo\n');
  const first = commit(work, 'first commit');
  git(work, 'remote', 'add', 'origin', bare);
  git(work, 'push', '-q', 'origin', 'main');
  const push = (subject: string) => {
    const sha = commit(work, subject);
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    return sha;
  };
  return { base, work, bare, url: pathToFileURL(bare).href, first, push };
}

export interface GitHttpServer {
  url: string;
  close(): Promise<void>;
}

/** `git http-backend` behind a server that answers 401 unless the request carries Basic x-access-token:<token>. */
export async function gitHttpServer(projectRoot: string, token: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('unauthorized');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://localhost');
    const h = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : (v ?? '');
    };
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: h('content-type'),
        CONTENT_LENGTH: h('content-length'),
        HTTP_CONTENT_ENCODING: h('content-encoding'),
        GIT_PROTOCOL: h('git-protocol'),
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', () => res.writeHead(500).end());
    child.on('close', () => {
      const all = Buffer.concat(out);
      let sep = all.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (sep < 0) {
        sep = all.indexOf('\n\n');
        sepLen = 2;
      }
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of all.subarray(0, Math.max(sep, 0)).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.end(sep < 0 ? all : all.subarray(sep + sepLen));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
