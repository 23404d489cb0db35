/** The sync source (issue 20): what revision a directory or a git URL is at, fetched with real git. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execGit, gitEnv, type GitRunner } from '../../src/sync/git.js';
import { openSource, redactUrl, SourceError, type SourceOptions } from '../../src/sync/source.js';
import { freePorts } from '../support/free-port.js';
import { commit, git, gitHttpServer, remoteRepo, removeTemps, tempDir, write } from './git-fixture.js';

after(removeTemps);

const opts = (from: string, more: Partial<SourceOptions> = {}): SourceOptions => ({ from, cwd: process.cwd(), env: process.env, ...more });

/** The SourceError code a call or a promise fails with. */
async function failsWith(code: string, f: () => unknown): Promise<SourceError> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof SourceError, `expected a SourceError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.endsWith(`[${code}]`), err.message);
    return err;
  }
  assert.fail(`expected [${code}], but it succeeded`);
}

async function fetchOnce(o: SourceOptions) {
  const s = openSource(o);
  try {
    return await s.fetch();
  } finally {
    await s.close();
  }
}

test('a plain directory: the revision is a digest of its manifests, stable until one of them changes', async () => {
  const dir = await tempDir();
  write(dir, 'a.yaml', 'a: 1\n');
  write(dir, 'nested/b.yml', 'b: 1\n');
  write(dir, 'notes.txt', 'not a manifest\n');
  const s = openSource(opts(dir));
  assert.equal(s.kind, 'directory');
  assert.equal(s.watchPath, dir);
  const r1 = await s.fetch();
  assert.match(r1.revision, /^sha256:[0-9a-f]{64}$/);
  assert.equal(r1.commit, undefined);
  assert.deepEqual([r1.root, r1.dir], [dir, dir]);
  assert.equal((await s.fetch()).revision, r1.revision);
  write(dir, 'notes.txt', 'edited, still not a manifest\n');
  assert.equal((await s.fetch()).revision, r1.revision);
  write(dir, 'nested/b.yml', 'b: 2\n');
  const r2 = await s.fetch();
  assert.notEqual(r2.revision, r1.revision);
  write(dir, 'nested/b.yml', 'b: 1\n');
  assert.equal((await s.fetch()).revision, r1.revision, 'the same content gives the same revision again');
});

test('a local checkout: the HEAD commit when clean under --path, <sha>+dirty.<digest> when not', async () => {
  const { work, first } = await remoteRepo();
  const s = openSource(opts(work, { path: 'clusters/prod' }));
  assert.equal(s.watchPath, path.join(work, 'clusters/prod'));
  const clean = await s.fetch();
  assert.deepEqual(clean, { revision: first, commit: first, subject: 'first commit', root: work, dir: path.join(work, 'clusters/prod') });
  write(work, 'README.md', 'changed outside --path\n');
  assert.equal((await s.fetch()).revision, first);
  write(work, 'clusters/prod/a.yaml', 'a: 2\n');
  const dirty = await s.fetch();
  assert.match(dirty.revision, new RegExp(`^${first}\\+dirty\\.[0-9a-f]{12}$`));
  assert.equal(dirty.commit, first);
  write(work, 'clusters/prod/new.yaml', 'n: 1\n');
  const untracked = await s.fetch();
  assert.match(untracked.revision, /\+dirty\./);
  assert.notEqual(untracked.revision, dirty.revision, 'an untracked manifest changes the revision');
  const second = commit(work, 'second');
  assert.equal((await s.fetch()).revision, second);
});

test('a local directory without git on PATH is still read, by digest', async () => {
  const { work } = await remoteRepo();
  const r = await fetchOnce(opts(work, { env: { ...process.env, PATH: path.join(work, 'no-such-bin') } }));
  assert.match(r.revision, /^sha256:/);
});

test('a file:// URL: the default branch, a branch, a tag and a commit SHA', async () => {
  const remote = await remoteRepo();
  const { work, url, first } = remote;
  git(work, 'tag', '-a', '-m', 'release one', 'v1');
  git(work, 'push', '-q', 'origin', 'v1');
  git(work, 'checkout', '-q', '-b', 'feature');
  write(work, 'clusters/prod/feature.yaml', 'f: 1\n');
  const feature = commit(work, 'feature work');
  git(work, 'push', '-q', 'origin', 'feature');
  git(work, 'checkout', '-q', 'main');
  write(work, 'README.md', 'unrelated change\n');
  const second = remote.push('unrelated');

  const s = openSource(opts(url, { path: 'clusters/prod' }));
  assert.equal(s.kind, 'git');
  assert.equal(s.watchPath, undefined);
  const head = await s.fetch();
  assert.equal(head.revision, second);
  assert.equal(head.subject, 'unrelated');
  assert.equal(head.dir, path.join(head.root, 'clusters/prod'));
  assert.deepEqual(readdirSync(head.dir).sort(), ['a.yaml', 'b.yaml']);
  await s.close();
  assert.equal(existsSync(head.root), false, 'close() removes the clone it made');

  const b = openSource(opts(url, { ref: 'feature', path: 'clusters/prod' }));
  const branch = await b.fetch();
  assert.equal(branch.revision, feature);
  assert.deepEqual(readdirSync(branch.dir).sort(), ['a.yaml', 'b.yaml', 'feature.yaml']);
  await b.close();
  assert.equal((await fetchOnce(opts(url, { ref: 'v1' }))).revision, first, 'an annotated tag is its commit');
  assert.equal((await fetchOnce(opts(url, { ref: first }))).revision, first);
});

test('a new commit: the next fetch sees it, and files deleted in git are gone from the directory', async () => {
  const remote = await remoteRepo();
  const workDir = await tempDir();
  const s = openSource(opts(remote.url, { path: 'clusters/prod', workDir }));
  const r1 = await s.fetch();
  assert.equal(r1.revision, remote.first);
  assert.ok(r1.root.startsWith(workDir));
  writeFileSync(path.join(r1.dir, 'stray.yaml'), 'left by someone\n');
  git(remote.work, 'rm', '-q', 'clusters/prod/b.yaml');
  write(remote.work, 'clusters/prod/c.yaml', 'c: 1\n');
  const second = remote.push('replace b with c');
  const r2 = await s.fetch();
  assert.equal(r2.revision, second);
  assert.equal(r2.subject, 'replace b with c');
  assert.deepEqual(readdirSync(r2.dir).sort(), ['a.yaml', 'c.yaml']);
  assert.equal(readFileSync(path.join(r2.dir, 'c.yaml'), 'utf8'), 'c: 1\n');
  await s.close();
  assert.ok(existsSync(r2.root), 'a clone in a given workDir is kept for the next start');
  const again = await fetchOnce(opts(remote.url, { path: 'clusters/prod', workDir }));
  assert.deepEqual([again.root, again.revision], [r2.root, second]);
});

test('unknown ref, missing repository, missing --path: stable codes naming what is missing', async () => {
  const { url, base, first } = await remoteRepo();
  const e = await failsWith('ref-not-found', () => fetchOnce(opts(url, { ref: 'no-such-branch' })));
  assert.match(e.message, /no-such-branch/);
  assert.ok(e.message.includes(url));
  await failsWith('source-not-found', () => fetchOnce(opts(`file://${path.join(base, 'nothing.git')}`)));
  const p = await failsWith('path-not-found', () => fetchOnce(opts(url, { path: 'clusters/staging' })));
  assert.ok(p.message.includes('clusters/staging') && p.message.includes(first), p.message);
  await failsWith('source-not-found', () => openSource(opts(path.join(base, 'no-such-dir'))));
});

test('--path may not leave the repository: .., absolute, or a symbolic link out of it', async () => {
  const { work, url } = await remoteRepo();
  for (const p of ['../x', 'clusters/../../x', '/etc', 'C:\\Windows', '.git']) {
    await failsWith('path-escapes-root', () => openSource(opts(url, { path: p })));
    await failsWith('path-escapes-root', () => openSource(opts(work, { path: p })));
  }
  const outside = await tempDir();
  write(outside, 'secret.yaml', 'password: hunter2\n');
  symlinkSync(outside, path.join(work, 'linked'));
  await failsWith('path-escapes-root', () => fetchOnce(opts(work, { path: 'linked' })));

  // In a fetched repository, a committed link out of the clone is refused, as a --path or as a manifest.
  const remote = await remoteRepo();
  symlinkSync(outside, path.join(remote.work, 'clusters/out'));
  symlinkSync(path.join(outside, 'secret.yaml'), path.join(remote.work, 'clusters/prod/secret.yaml'));
  remote.push('links out');
  await failsWith('path-escapes-root', () => fetchOnce(opts(remote.url, { path: 'clusters/out' })));
  const e = await failsWith('path-escapes-root', () => fetchOnce(opts(remote.url, { path: 'clusters/prod' })));
  assert.match(e.message, /secret\.yaml/);
});

test('credentials in the URL are refused without repeating them', async () => {
  for (const [url, secret] of [
    ['https://deploy:s3cr3tPassw0rd@git.example.com/org/repo.git', 's3cr3tPassw0rd'],
    ['https://ghp_abcdef123456@git.example.com/org/repo.git', 'ghp_abcdef123456'],
    ['ssh://git:hunter22@git.example.com/org/repo.git', 'hunter22'],
    ['git:hunter22@git.example.com:org/repo.git', 'hunter22'],
  ] as const) {
    const e = await failsWith('credentials-in-url', () => openSource(opts(url)));
    assert.ok(!e.message.includes(secret), e.message);
    assert.match(e.message, /--token-file/);
    assert.ok(!redactUrl(url).includes(secret), redactUrl(url));
  }
  assert.equal(redactUrl('https://u:p@host/r.git'), 'https://host/r.git');
  assert.equal(redactUrl('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
  assert.equal(redactUrl('ssh://git@host/r.git'), 'ssh://git@host/r.git');
  // An SSH login name without a password is not a credential.
  assert.equal(openSource(opts('git@github.com:org/repo.git')).kind, 'git');
});

test('options that would be read as git options or run a command are refused', async () => {
  const { url } = await remoteRepo();
  await failsWith('ref-invalid', () => openSource(opts(url, { ref: '--upload-pack=touch /tmp/pwned' })));
  await failsWith('ref-invalid', () => openSource(opts(url, { ref: 'main:refs/heads/x' })));
  await failsWith('source-invalid', () => openSource(opts('--upload-pack=touch /tmp/pwned')));
  await failsWith('url-unsupported', () => openSource(opts('ext::sh -c touch% /tmp/pwned')));
  await failsWith('url-unsupported', () => openSource(opts('ftp://example.com/repo.git')));
  await failsWith('options-invalid', () => openSource(opts(url, { tokenFile: '/x' })));
  await failsWith('options-invalid', () => openSource(opts('http://git.example.com/r.git', { tokenFile: '/x' })));
  await failsWith('options-invalid', () => openSource(opts('git@host.example:r.git', { sshKeyFile: '/k' })));
  await failsWith('options-invalid', () => openSource(opts(process.cwd(), { ref: 'main' })));
});

test('HTTPS token: from the file at each fetch, sent as a header through the environment, never in argv or messages', async () => {
  const remote = await remoteRepo();
  const token = 'tok-4f9a8b7c6d5e';
  const server = await gitHttpServer(remote.base, token);
  const dir = await tempDir();
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  const calls: { args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
  const runGit: GitRunner = (args, call) => {
    calls.push({ args, env: call.env });
    return execGit(args, call);
  };
  try {
    const url = `${server.url}/bare.git`;
    const s = openSource(opts(url, { tokenFile, runGit, path: 'clusters/prod' }));
    assert.equal((await s.fetch()).revision, remote.first);
    writeFileSync(tokenFile, 'wrong-token-0000\n');
    const e = await failsWith('auth-failed', () => s.fetch());
    assert.ok(!e.message.includes('wrong-token-0000'), e.message);
    await s.close();
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    assert.ok(calls.some((c) => c.env.GIT_CONFIG_KEY_0 === 'http.extraHeader' && c.env.GIT_CONFIG_VALUE_0 === header));
    for (const c of calls) {
      const argv = c.args.join(' ');
      assert.ok(!argv.includes(token) && !argv.includes('wrong-token') && !argv.includes('Basic'), argv);
      assert.equal(c.env.GIT_TERMINAL_PROMPT, '0');
      assert.equal(c.env.GIT_ASKPASS, '');
    }
  } finally {
    await server.close();
  }
});

test('a server that never answers: the fetch ends at the deadline with git-timeout', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => sockets.push(sock));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as net.AddressInfo).port;
    await failsWith('git-timeout', () => fetchOnce(opts(`http://127.0.0.1:${port}/r.git`, { timeoutMs: 1500 })));
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('a server not listening: source-unreachable (worth a retry), not a missing repository', async () => {
  const [port] = await freePorts(1);
  await failsWith('source-unreachable', () => fetchOnce(opts(`http://127.0.0.1:${port}/r.git`)));
});

test('git missing: a git URL fails with git-missing and how to install it', async () => {
  const { url, base } = await remoteRepo();
  const e = await failsWith('git-missing', () => fetchOnce(opts(url, { env: { ...process.env, PATH: path.join(base, 'no-such-bin') } })));
  assert.match(e.message, /apt-get install git/);
  assert.match(e.message, /Git for Windows/);
});

test(
  'SSH: git runs ssh with the key and known_hosts files as single arguments, whatever their names hold',
  { skip: process.platform === 'win32' && 'the stand-in ssh is a POSIX shell script' },
  async () => {
    const dir = await tempDir();
    const bin = path.join(dir, 'bin');
    const log = path.join(dir, 'ssh-args');
    // A stand-in ssh that records its arguments and fails like a refused connection.
    write(bin, 'ssh', `#!/bin/sh\nprintf '%s\\n' "$@" > "$WINHA_TEST_SSH_LOG"\nexit 255\n`);
    chmodSync(path.join(bin, 'ssh'), 0o755);
    const key = path.join(dir, 'key $(touch pwned) "q"');
    const knownHosts = path.join(dir, 'known hosts');
    write(dir, path.basename(key), 'not really a key\n');
    write(dir, 'known hosts', '');
    const env = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      WINHA_TEST_SSH_LOG: log,
      GIT_SSH_COMMAND: 'ssh -o StrictHostKeyChecking=no',
    };
    await assert.rejects(
      fetchOnce(opts('git@git.example.com:org/repo.git', { env, sshKeyFile: key, knownHostsFile: knownHosts })),
      SourceError,
    );
    const args = readFileSync(log, 'utf8').split('\n');
    assert.equal(args[args.indexOf('-i') + 1], key);
    assert.ok(args.includes('StrictHostKeyChecking=yes') && args.includes(`UserKnownHostsFile=${knownHosts}`), args.join(' '));
    assert.ok(!args.includes('StrictHostKeyChecking=no'));
    assert.equal(existsSync(path.join(process.cwd(), 'pwned')) || existsSync(path.join(dir, 'pwned')), false);
  },
);

test('SSH: key and known_hosts reach ssh as environment values under a constant command, host keys checked', () => {
  const env = gitEnv(
    { GIT_SSH_COMMAND: 'ssh -o StrictHostKeyChecking=no', GIT_DIR: '/elsewhere' },
    { sshKeyFile: '/k/id; rm -rf /', knownHostsFile: '/k/kh' },
  );
  assert.equal(env.GIT_CONFIG_KEY_0, 'core.sshCommand');
  assert.match(
    env.GIT_CONFIG_VALUE_0!,
    /^ssh -i "\$WINHA_GIT_SSH_KEY" .*StrictHostKeyChecking=yes .*UserKnownHostsFile="\$WINHA_GIT_KNOWN_HOSTS"$/,
  );
  assert.equal(env.WINHA_GIT_SSH_KEY, '/k/id; rm -rf /');
  assert.equal(env.GIT_SSH_COMMAND, undefined, 'an inherited GIT_SSH_COMMAND would override the checked command');
  assert.equal(env.GIT_DIR, undefined);
  assert.equal(gitEnv({ GIT_TRACE_CURL: '1', GIT_CURL_VERBOSE: '1' }, {}).GIT_TRACE_CURL, undefined, 'a trace would print the auth header');
});
