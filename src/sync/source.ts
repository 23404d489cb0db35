/**
 * Where `winha sync` reads manifests from: a local directory (a git checkout or
 * a plain directory, read in place) or a git URL (fetched into a clone of our
 * own), and which revision of the content that is.
 */
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { expandPaths, InputError, readRegularFile } from '../validate/sources.js';
import type { InputFile } from '../validate/validate.js';
import {
  classify,
  execGit,
  GitExecError,
  gitEnv,
  gitFailure,
  isLoopback,
  loadCredentials,
  redactUrl,
  SourceError,
  validRef,
  type GitRunner,
} from './git.js';

export { SourceError, redactUrl } from './git.js';
export type { GitRunner, GitCall, GitOutput } from './git.js';

export interface SourceOptions {
  /** What --from said: a local directory (a git checkout or a plain directory), or a git URL (https://, http://, ssh://, git@host:path, file://). */
  from: string;
  /** --ref: branch, tag or full commit SHA (git URLs only; default: the remote's HEAD / default branch). */
  ref?: string;
  /** --path: directory inside the repository holding the manifests (relative, default '.'); must not escape the root. */
  path?: string;
  /** HTTPS: file holding a token or `user:token` (basic auth), read at each fetch. */
  tokenFile?: string;
  /** SSH: private key file and known_hosts file (strict host key checking; never disabled). */
  sshKeyFile?: string;
  knownHostsFile?: string;
  /** Deadline of one git command in ms (default 60000): a hung server never hangs the syncer. */
  timeoutMs?: number;
  /** Where clones live (default: a fresh directory under os.tmpdir(), removed by close()). */
  workDir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The git runner (default: the `git` CLI); tests pass one that records each argv and environment. */
  runGit?: GitRunner;
}

export interface Revision {
  /** Stable id of the content: the commit SHA for a clean git tree; `sha256:<hex>` of the manifests for a plain directory; `<sha>+dirty.<12 hex>` for a checkout with uncommitted changes under path. */
  revision: string;
  commit?: string;
  subject?: string;
  /** The repository root (file names in problems are shown relative to it) and the manifest directory (root joined with path). */
  root: string;
  dir: string;
  /** The manifests as read for the revision's digest (names relative to root): the pass validates exactly these bytes. */
  files?: InputFile[];
}

export interface Source {
  readonly kind: 'directory' | 'git';
  /** For a local directory: the absolute directory to watch for changes; undefined for git URLs. */
  readonly watchPath?: string;
  /** Fetch (git URL: fetch the ref, check it out) and describe the current revision. Throws SourceError. */
  fetch(): Promise<Revision>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** --path as a clean relative POSIX path ('.' for the root); anything leaving the root is refused. */
function normalizeSubPath(p: string, shown: string): string {
  const escapes = (why: string) => new SourceError('path-escapes-root', `sync source ${shown}: --path ${JSON.stringify(p)} ${why}`);
  if (p.includes('\0')) throw escapes('is not a path');
  const s = p.replace(/\\/g, '/');
  if (path.posix.isAbsolute(s) || path.win32.isAbsolute(p) || /^[A-Za-z]:/.test(s))
    throw escapes('must be relative to the repository root');
  const n = path.posix.normalize(s).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) throw escapes('leaves the repository root');
  if (n.split('/').some((seg) => seg.toLowerCase() === '.git')) throw escapes('points into .git');
  return n === '' ? '.' : n;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The manifest directory exists, is a directory, and really (after symlinks) lies inside the root. */
async function checkDir(root: string, dir: string, sub: string, where: string): Promise<void> {
  let realDir: string;
  try {
    realDir = await realpath(dir);
  } catch {
    throw new SourceError('path-not-found', `sync source ${where}: --path ${JSON.stringify(sub)} does not exist`);
  }
  if (!isInside(await realpath(root), realDir)) {
    throw new SourceError(
      'path-escapes-root',
      `sync source ${where}: --path ${JSON.stringify(sub)} leads through a symbolic link to ${realDir}, outside the repository`,
    );
  }
  if (!(await stat(realDir)).isDirectory())
    throw new SourceError('path-not-found', `sync source ${where}: --path ${JSON.stringify(sub)} is not a directory`);
}

/** The manifest files under dir (what the validator reads), sorted by their relative POSIX names. */
async function manifestFiles(dir: string, where: string): Promise<{ name: string; file: string }[]> {
  let files: string[];
  try {
    files = await expandPaths([dir], true);
  } catch (err) {
    throw new SourceError('source-unreadable', `sync source ${where}: ${(err as Error).message}`);
  }
  return files
    .map((file) => ({ name: path.relative(dir, file).split(path.sep).join('/'), file }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** sha256 over the sorted manifest names and bytes (the same set of files gives the same digest), and the files read. */
async function manifestDigest(dir: string, root: string): Promise<{ digest: string; files: InputFile[] }> {
  const h = createHash('sha256');
  const files: InputFile[] = [];
  for (const { name, file } of await manifestFiles(dir, root)) {
    let bytes: Buffer;
    try {
      bytes = readRegularFile(file);
    } catch (err) {
      if (err instanceof InputError) throw new SourceError('source-unreadable', `sync source ${root}: ${err.message}`);
      throw err;
    }
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
    files.push({ name: path.relative(root, file), content: bytes });
  }
  return { digest: h.digest('hex'), files };
}

interface Common {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  run: GitRunner;
}

function parseLog(stdout: string): { commit: string; subject: string } {
  const nl = stdout.indexOf('\n');
  return { commit: (nl < 0 ? stdout : stdout.slice(0, nl)).trim(), subject: nl < 0 ? '' : stdout.slice(nl + 1).replace(/\n$/, '') };
}

class DirectorySource implements Source {
  readonly kind = 'directory' as const;
  readonly watchPath: string;
  constructor(
    private readonly root: string,
    private readonly sub: string,
    private readonly o: Common,
  ) {
    this.watchPath = path.join(root, sub);
  }

  async fetch(): Promise<Revision> {
    const { root, sub } = this;
    const dir = this.watchPath;
    await checkDir(root, dir, sub, root);
    const head = await this.head();
    if (!head) {
      const { digest, files } = await manifestDigest(dir, root);
      return { revision: `sha256:${digest}`, root, dir, files };
    }
    let status;
    try {
      status = await this.git(['--no-optional-locks', '--literal-pathspecs', 'status', '--porcelain', '--untracked-files=all', '--', sub]);
    } catch (err) {
      throw gitFailure(err, 'git status', root);
    }
    const base = { commit: head.commit, subject: head.subject, root, dir };
    if (status.stdout.trim() === '') return { revision: head.commit, ...base };
    const { digest, files } = await manifestDigest(dir, root);
    return { revision: `${head.commit}+dirty.${digest.slice(0, 12)}`, ...base, files };
  }

  /** HEAD of the git work tree holding the directory; null when there is none (no git, no repository, no commit). */
  private async head(): Promise<{ commit: string; subject: string } | null> {
    try {
      return parseLog((await this.git(['--no-optional-locks', 'log', '-1', '--format=%H%n%s', 'HEAD', '--'])).stdout);
    } catch (err) {
      if (err instanceof GitExecError && err.kind === 'missing') return null;
      if (
        err instanceof GitExecError &&
        err.kind === 'exit' &&
        /not a git repository|does not have any commits|bad default revision|unknown revision/i.test(err.stderr)
      ) {
        return null;
      }
      throw gitFailure(err, 'git log', this.root);
    }
  }

  private git(args: readonly string[]) {
    return this.o.run(args, { cwd: this.root, env: gitEnv(this.o.env), timeoutMs: this.o.timeoutMs });
  }

  async close(): Promise<void> {}
}

interface GitSettings {
  url: string;
  shown: string;
  sub: string;
  ref?: string;
  tokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  workDir?: string;
}

class GitSource implements Source {
  readonly kind = 'git' as const;
  readonly watchPath = undefined;
  private repo?: string;
  private created?: string;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly s: GitSettings,
    private readonly o: Common,
  ) {}

  /** One fetch at a time: they share the clone. */
  fetch(): Promise<Revision> {
    const p = this.chain.then(() => this.fetchNow());
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async fetchNow(): Promise<Revision> {
    const { shown, sub, ref } = this.s;
    if (this.closed) throw new SourceError('source-closed', `sync source ${shown}: closed`);
    const { creds, secrets } = await loadCredentials(this.s, this.o.cwd);
    const env = gitEnv(this.o.env, creds);
    const repo = await this.ensureRepo(env);
    const git = async (args: readonly string[], what: string) => {
      try {
        return await this.o.run(args, { cwd: repo, env, timeoutMs: this.o.timeoutMs });
      } catch (err) {
        throw gitFailure(err, what, shown, secrets);
      }
    };
    const want = ref ?? 'HEAD';
    try {
      await this.o.run(['fetch', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--', 'origin', want], {
        cwd: repo,
        env,
        timeoutMs: this.o.timeoutMs,
      });
    } catch (err) {
      if (
        err instanceof GitExecError &&
        err.kind === 'exit' &&
        /couldn't find remote ref|not our ref|unadvertised object|no such remote ref/i.test(err.stderr)
      ) {
        const what = ref === undefined ? 'the repository has no default branch (is it empty?)' : `ref ${JSON.stringify(ref)} not found`;
        const hint =
          ref !== undefined && FULL_SHA.test(ref)
            ? ' (fetching a commit by SHA needs the server to allow it, e.g. uploadpack.allowReachableSHA1InWant)'
            : '';
        throw new SourceError('ref-not-found', `sync source ${shown}: ${what}${hint}`);
      }
      throw gitFailure(err, `git fetch ${ref ?? '(default branch)'}`, shown, secrets);
    }
    await git(['checkout', '-q', '--force', '--detach', 'FETCH_HEAD', '--'], 'git checkout');
    await git(['clean', '-ffdxq'], 'git clean');
    const { commit, subject } = parseLog((await git(['log', '-1', '--format=%H%n%s', 'HEAD', '--'], 'git log')).stdout);
    const where = `${shown} at ${commit}`;
    const dir = path.join(repo, sub);
    await checkDir(repo, dir, sub, where);
    // The repository is not ours to trust: a manifest that is a link out of the clone would read this host's files.
    const realRoot = await realpath(repo);
    for (const { file } of await manifestFiles(dir, where)) {
      const real = await realpath(file);
      if (!isInside(realRoot, real)) {
        throw new SourceError(
          'path-escapes-root',
          `sync source ${where}: ${path.relative(repo, file)} is a symbolic link out of the repository`,
        );
      }
    }
    return { revision: commit, commit, subject, root: repo, dir };
  }

  /** Our clone: made once (init + remote), reused by every fetch; the URL travels as an argument only. */
  private async ensureRepo(env: NodeJS.ProcessEnv): Promise<string> {
    if (this.repo !== undefined) return this.repo;
    const { url, shown, workDir } = this.s;
    let repo: string;
    if (workDir === undefined) {
      this.created = await mkdtemp(path.join(os.tmpdir(), 'winha-sync-'));
      repo = this.created;
    } else {
      // A directory of its own per URL inside workDir: `git clean` there never touches anything else.
      repo = path.join(path.resolve(this.o.cwd, workDir), `winha-sync-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`);
      await mkdir(repo, { recursive: true });
    }
    const call = { cwd: repo, env, timeoutMs: this.o.timeoutMs };
    try {
      const exists = await stat(path.join(repo, '.git')).then(
        () => true,
        () => false,
      );
      if (exists) await this.o.run(['remote', 'set-url', '--', 'origin', url], call);
      else {
        await this.o.run(['init', '-q', '--initial-branch=winha-sync'], call);
        await this.o.run(['remote', 'add', '--', 'origin', url], call);
      }
    } catch (err) {
      throw gitFailure(err, 'preparing the clone', shown);
    }
    this.repo = repo;
    return repo;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    if (this.created !== undefined) await rm(this.created, { recursive: true, force: true });
    this.created = undefined;
  }
}

function optionsInvalid(shown: string, why: string): SourceError {
  return new SourceError('options-invalid', `sync source ${shown}: ${why}`);
}

/** A Source for --from and its options; bad options are refused here, synchronously, before anything runs. */
export function openSource(opts: SourceOptions): Source {
  const parsed = classify(opts.from, opts.cwd);
  const shown = redactUrl(opts.from);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw optionsInvalid(shown, `the git deadline must be a positive number of milliseconds, not ${timeoutMs}`);
  const sub = normalizeSubPath(opts.path ?? '.', shown);
  const common: Common = { cwd: opts.cwd, env: opts.env, timeoutMs, run: opts.runGit ?? execGit };
  if (parsed.kind === 'directory') {
    for (const [flag, v] of [
      ['--ref', opts.ref],
      ['--token-file', opts.tokenFile],
      ['--ssh-key-file', opts.sshKeyFile],
      ['--known-hosts-file', opts.knownHostsFile],
    ] as const) {
      if (v !== undefined) throw optionsInvalid(shown, `${flag} applies to git URLs only; a local directory is read as it is`);
    }
    let st;
    try {
      st = statSync(parsed.dir);
    } catch {
      throw new SourceError('source-not-found', `sync source ${parsed.dir}: no such directory (nor a git URL)`);
    }
    if (!st.isDirectory()) throw new SourceError('source-not-found', `sync source ${parsed.dir}: not a directory`);
    return new DirectorySource(parsed.dir, sub, common);
  }
  const { ref } = opts;
  if (ref !== undefined && !validRef(ref)) {
    throw new SourceError(
      'ref-invalid',
      `sync source ${shown}: --ref ${JSON.stringify(ref)} is not a branch, tag or commit SHA${ref.startsWith('-') ? ' (it starts with "-")' : ''}`,
    );
  }
  const http = parsed.scheme === 'https' || parsed.scheme === 'http';
  if (opts.tokenFile !== undefined) {
    if (!http) throw optionsInvalid(shown, '--token-file is for https:// URLs');
    if (parsed.scheme === 'http' && !isLoopback(parsed.url))
      throw optionsInvalid(shown, '--token-file over plain http:// would send the token unencrypted; use https://');
  }
  if ((opts.sshKeyFile !== undefined || opts.knownHostsFile !== undefined) && parsed.scheme !== 'ssh') {
    throw optionsInvalid(shown, '--ssh-key-file and --known-hosts-file are for ssh:// and user@host:path URLs');
  }
  if (opts.sshKeyFile !== undefined && opts.knownHostsFile === undefined) {
    throw optionsInvalid(shown, '--ssh-key-file needs --known-hosts-file: the server host key is always checked');
  }
  return new GitSource(
    {
      url: parsed.url,
      shown,
      sub,
      ref,
      tokenFile: opts.tokenFile,
      sshKeyFile: opts.sshKeyFile,
      knownHostsFile: opts.knownHostsFile,
      workDir: opts.workDir,
    },
    common,
  );
}
