/**
 * The git CLI for `winha sync`: one runner (argument array, no shell, a deadline),
 * the environment that carries credentials (never argv, never a URL) and the
 * reading of git's failures into stable codes.
 */
import { execFile } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

/** A failure of the sync source; `code` is stable and also ends the message in [brackets]. */
export class SourceError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
    this.name = 'SourceError';
  }
}

export interface GitCall {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}
export interface GitOutput {
  stdout: string;
  stderr: string;
}
/** Runs `git` with an argument array; injectable so tests can see every argv and environment used. */
export type GitRunner = (args: readonly string[], call: GitCall) => Promise<GitOutput>;

/** How a git command failed: not installed, past its deadline, or a non-zero exit with stderr. */
export class GitExecError extends Error {
  constructor(
    readonly kind: 'missing' | 'timeout' | 'exit',
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`git ${kind}${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim()}`);
  }
}

const MAX_OUTPUT = 16 * 1024 * 1024;

export const execGit: GitRunner = (args, call) =>
  new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      // SIGKILL: a git stuck on a dead server must go at the deadline, not when it chooses to honour SIGTERM.
      {
        cwd: call.cwd,
        env: call.env,
        timeout: call.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT,
        windowsHide: true,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e.code === 'ENOENT') return reject(new GitExecError('missing', '', null));
        if (e.killed) return reject(new GitExecError('timeout', stderr, null));
        reject(new GitExecError('exit', stderr || e.message, typeof e.code === 'number' ? e.code : null));
      },
    );
  });

/** Credentials for one fetch; the secret values live only here and in git's environment. */
export interface GitCredentials {
  /** `Authorization: Basic ...` for HTTPS. */
  authorization?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
}

// From the caller's environment: what would point git at another repository or config, or print the auth header (traces).
const DROPPED =
  /^(GIT_DIR|GIT_WORK_TREE|GIT_INDEX_FILE|GIT_OBJECT_DIRECTORY|GIT_ALTERNATE_OBJECT_DIRECTORIES|GIT_NAMESPACE|GIT_CONFIG_PARAMETERS|GIT_CONFIG_COUNT|GIT_CONFIG_KEY_\d+|GIT_CONFIG_VALUE_\d+|GIT_TRACE\w*|GIT_CURL_VERBOSE|SSH_ASKPASS)$/;

/** Constant shell text: the file names reach ssh only as the values of these variables. */
export const SSH_COMMAND_WITH_KEY =
  'ssh -i "$WINHA_GIT_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WINHA_GIT_KNOWN_HOSTS"';
export const SSH_COMMAND_KNOWN_HOSTS_ONLY =
  'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WINHA_GIT_KNOWN_HOSTS"';

/** The environment git runs with: no prompts, no askpass, credentials as GIT_CONFIG_* values. */
export function gitEnv(base: NodeJS.ProcessEnv, creds: GitCredentials = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!DROPPED.test(k) && v !== undefined) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  // Empty (not unset): git then skips core.askPass and SSH_ASKPASS too, so a missing credential fails at once.
  env.GIT_ASKPASS = '';
  // English messages: the failure codes are read from git's stderr.
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  // Git Credential Manager (Git for Windows) would otherwise open a sign-in window nobody sees from a service.
  env.GCM_INTERACTIVE = 'never';
  const config: [string, string][] = [];
  if (creds.authorization !== undefined) {
    config.push(['http.extraHeader', creds.authorization]);
    // The token file is the credential: no helper may answer a 401 with stored ones, nor erase them on failure.
    config.push(['credential.helper', '']);
  }
  if (creds.knownHostsFile !== undefined) {
    env.WINHA_GIT_KNOWN_HOSTS = creds.knownHostsFile;
    if (creds.sshKeyFile !== undefined) env.WINHA_GIT_SSH_KEY = creds.sshKeyFile;
    config.push(['core.sshCommand', creds.sshKeyFile !== undefined ? SSH_COMMAND_WITH_KEY : SSH_COMMAND_KNOWN_HOSTS_ONLY]);
    // GIT_SSH_COMMAND / GIT_SSH would win over core.sshCommand and bypass the key and host checking asked for.
    delete env.GIT_SSH_COMMAND;
    delete env.GIT_SSH;
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/**
 * The Authorization header from a token file holding `token` or `user:token`
 * (user `x-access-token` by default, what GitHub and Gitea accept), and the
 * secret itself so it can be cut out of any text git prints.
 */
export function readTokenFile(file: string, source: string): { header: string; secret: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SourceError(
      'credentials-unreadable',
      `sync source ${source}: cannot read the token file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const line = text.trim();
  if (line === '' || /[\r\n]/.test(line)) {
    throw new SourceError(
      'credentials-unreadable',
      `sync source ${source}: the token file ${file} must hold one line, a token or user:token`,
    );
  }
  const colon = line.indexOf(':');
  const user = colon > 0 ? line.slice(0, colon) : 'x-access-token';
  const secret = colon >= 0 ? line.slice(colon + 1) : line;
  const basic = Buffer.from(`${user}:${secret}`, 'utf8').toString('base64');
  return { header: `Authorization: Basic ${basic}`, secret };
}

/** The credentials files named by the options, read now (a rotated token is picked up at the next fetch). */
export async function loadCredentials(
  o: { shown: string; tokenFile?: string; sshKeyFile?: string; knownHostsFile?: string },
  cwd: string,
): Promise<{ creds: GitCredentials; secrets: string[] }> {
  const creds: GitCredentials = {};
  const secrets: string[] = [];
  if (o.tokenFile !== undefined) {
    const t = readTokenFile(path.resolve(cwd, o.tokenFile), o.shown);
    creds.authorization = t.header;
    secrets.push(t.header.slice('Authorization: Basic '.length), t.secret);
  }
  for (const [flag, file, key] of [
    ['--ssh-key-file', o.sshKeyFile, 'sshKeyFile'],
    ['--known-hosts-file', o.knownHostsFile, 'knownHostsFile'],
  ] as const) {
    if (file === undefined) continue;
    const abs = path.resolve(cwd, file);
    try {
      await access(abs, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new SourceError('credentials-unreadable', `sync source ${o.shown}: cannot read the ${flag} file ${abs}: ${code}`);
    }
    creds[key] = abs;
  }
  return { creds, secrets };
}

/** What a failed git command means, as a SourceError naming the source; `secrets` are cut from git's text. */
export function gitFailure(err: unknown, what: string, source: string, secrets: readonly string[] = []): SourceError {
  if (err instanceof SourceError) return err;
  if (!(err instanceof GitExecError)) return new SourceError('git-failed', `sync source ${source}: ${what}: ${String(err)}`);
  if (err.kind === 'missing') {
    return new SourceError(
      'git-missing',
      `sync source ${source}: git is not installed or not on PATH; install it (Debian/Ubuntu: apt-get install git; Windows: Git for Windows, https://gitforwindows.org)`,
    );
  }
  const tail = scrub(lastLines(err.stderr, 4), secrets);
  if (err.kind === 'timeout')
    return new SourceError('git-timeout', `sync source ${source}: ${what} did not finish before its deadline${tail ? `: ${tail}` : ''}`);
  const s = err.stderr;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(s)) {
    return new SourceError(
      'host-key-rejected',
      `sync source ${source}: the server's SSH host key is not in the known_hosts file (add it with ssh-keyscan, checked): ${tail}`,
    );
  }
  if (
    /Authentication failed|could not read (Username|Password)|Permission denied \(|HTTP Basic: Access denied|returned error: 40[13]|Invalid username or password|terminal prompts disabled/i.test(
      s,
    )
  ) {
    return new SourceError(
      'auth-failed',
      `sync source ${source}: the server refused the credentials (check --token-file or --ssh-key-file): ${tail}`,
    );
  }
  if (/does not appear to be a git repository|repository .* not found|returned error: 404/i.test(s)) {
    return new SourceError('source-not-found', `sync source ${source}: ${what}: no such repository: ${tail}`);
  }
  // Network trouble: worth a retry with backoff, unlike a wrong URL.
  if (
    /Could not resolve host|Connection refused|Couldn't connect|Failed to connect|timed out|Network is unreachable|No route to host/i.test(
      s,
    )
  ) {
    return new SourceError('source-unreachable', `sync source ${source}: ${what}: the server cannot be reached: ${tail}`);
  }
  return new SourceError(
    'git-failed',
    `sync source ${source}: ${what} failed${err.exitCode === null ? '' : ` (exit ${err.exitCode})`}: ${tail}`,
  );
}

// git's generic advice after a failed remote read, which only hides the line that says why.
const BOILERPLATE = /^(Please make sure you have the correct access rights|and the repository exists\.?)$/;

export function lastLines(text: string, n: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:') && !BOILERPLATE.test(l))
    .slice(-n)
    .join(' | ');
}

/** Cut secrets and any URL userinfo out of text git printed. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

const SCHEMES = new Set(['https', 'http', 'ssh', 'file']);
const SCHEME_URL = /^([a-z][a-z0-9+.-]*):\/\//i;
// [user@]host:path, git's scp-like syntax; a one-letter "host" is a Windows drive.
const SCP_URL = /^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]:/;
const SCP_WITH_PASSWORD = /^[^/@\s:]+:[^/@\s]*@[^/\s:]+:/;

/** The URL with any secret userinfo removed (what may be shown or stored); an SSH login name without password stays. */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@(.*)$/is.exec(url);
  if (m) {
    const keepUser = m[1]!.toLowerCase() === 'ssh://' && !m[2]!.includes(':');
    return keepUser ? url : `${m[1]}${m[3]}`;
  }
  const scp = SCP_WITH_PASSWORD.exec(url);
  if (scp) return url.slice(url.indexOf('@') + 1);
  return url;
}

export type Parsed = { kind: 'directory'; dir: string } | { kind: 'git'; url: string; scheme: string };

export function classify(from: string, cwd: string): Parsed {
  const shown = JSON.stringify(redactUrl(from));
  if (from === '' || /[\0\r\n]/.test(from)) throw new SourceError('source-invalid', `sync source ${shown}: not a path or a git URL`);
  if (from.startsWith('-'))
    throw new SourceError('source-invalid', `sync source ${shown}: starts with "-" (it would be read as an option)`);
  const unsupported = (what: string) =>
    new SourceError(
      'url-unsupported',
      `sync source ${shown}: ${what}; use https://, http://, ssh://, user@host:path, file:// or a local directory`,
    );
  if (/^[a-z][a-z0-9+.-]*::/i.test(from)) throw unsupported('git transport helpers (<transport>::<address>) are not accepted');
  const creds = () =>
    new SourceError(
      'credentials-in-url',
      `sync source ${shown}: the URL carries credentials; remove them from the URL and give them with --token-file (HTTPS) or --ssh-key-file (SSH)`,
    );
  const m = SCHEME_URL.exec(from);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (!SCHEMES.has(scheme)) throw unsupported(`scheme ${scheme}:// is not supported`);
    const authority = /^[^:]+:\/\/([^/?#]*)/.exec(from)![1]!;
    const at = authority.lastIndexOf('@');
    if (at >= 0 && (scheme !== 'ssh' || authority.slice(0, at).includes(':'))) throw creds();
    return { kind: 'git', url: from, scheme };
  }
  if (SCP_WITH_PASSWORD.test(from)) throw creds();
  if (SCP_URL.test(from)) return { kind: 'git', url: from, scheme: 'ssh' };
  return { kind: 'directory', dir: path.resolve(cwd, from) };
}

/** A branch, tag or SHA as git's ref format allows, never an option, a refspec (`a:b`, `+a`) or a revision expression. */
export function validRef(ref: string): boolean {
  if (!/^[A-Za-z0-9._/-]+$/.test(ref) || ref.startsWith('-')) return false;
  return !/(^|\/)\.|\.\.|\/\/|\/$|\.lock$|\.$|@\{/.test(ref);
}

export function isLoopback(url: string): boolean {
  try {
    return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}
