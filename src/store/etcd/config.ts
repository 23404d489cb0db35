/**
 * What an etcd:// store connects to and how: the URL (endpoints and key
 * prefix), TLS files, and user/password. Secrets come only from the
 * environment or a file, never from the URL or a command-line value (both end
 * up in logs and process listings), and no message or describe() ever
 * contains the password.
 *
 *   etcd://HOST:PORT[,HOST:PORT...][/PREFIX]      default prefix /winha
 *
 * Environment (flags and options win over it):
 *   WINHA_ETCD_CACERT, WINHA_ETCD_CERT, WINHA_ETCD_KEY   PEM files; any of them turns TLS on
 *   WINHA_ETCD_USERNAME, WINHA_ETCD_PASSWORD, WINHA_ETCD_PASSWORD_FILE
 *   WINHA_ETCD_REQUEST_TIMEOUT_MS                        deadline of one call (default 5000)
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidError } from '../errors.js';

export const DEFAULT_ETCD_PREFIX = '/winha';
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRIES = 3;

/** Options a caller (CLI flags, agent config) may pass; unset ones fall back to the environment. */
export interface EtcdConnectionOptions {
  /** CA bundle that signed the etcd servers' certificates (PEM file). */
  caFile?: string;
  /** Client certificate and key for etcd's --client-cert-auth (PEM files, both or neither). */
  certFile?: string;
  keyFile?: string;
  username?: string;
  /** A file holding the password (one line). There is deliberately no option for the password itself. */
  passwordFile?: string;
  /** Deadline of one etcd call (default 5 s). */
  requestTimeoutMs?: number;
  /** How many times a failed read, or a write that surely did not reach etcd, is tried again (default 3). */
  retries?: number;
}

export interface EtcdTarget {
  /** host:port of every member the client may use. */
  endpoints: string[];
  /** Key prefix without a trailing slash, e.g. /winha. */
  prefix: string;
}

export interface EtcdConfig extends EtcdTarget {
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { username: string; password: string };
  requestTimeoutMs: number;
  retries: number;
}

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parse etcd://h1:2379,h2:2379/prefix. */
export function parseEtcdUrl(url: string): EtcdTarget {
  const m = /^etcd:\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new InvalidError(`store URL ${url}: not an etcd:// URL`);
  const rest = m[1]!;
  if (rest.includes('@')) {
    throw new InvalidError(
      'etcd store URL: credentials do not belong in the URL (it is logged); set WINHA_ETCD_USERNAME and WINHA_ETCD_PASSWORD or WINHA_ETCD_PASSWORD_FILE',
    );
  }
  if (/[?#]/.test(rest)) throw new InvalidError(`store URL ${url}: query strings and fragments are not supported`);
  const slash = rest.indexOf('/');
  const hostPart = slash < 0 ? rest : rest.slice(0, slash);
  let prefix = slash < 0 ? DEFAULT_ETCD_PREFIX : rest.slice(slash).replace(/\/+$/, '');
  if (prefix === '') prefix = DEFAULT_ETCD_PREFIX;
  const endpoints = hostPart
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (endpoints.length === 0) throw new InvalidError(`store URL ${url}: no endpoint (example: etcd://127.0.0.1:2379)`);
  for (const e of endpoints) {
    const hp = HOST_PORT.exec(e);
    if (!hp || Number(hp[1]) < 1 || Number(hp[1]) > 65535) {
      throw new InvalidError(`store URL ${url}: endpoint "${e}" is not HOST:PORT (example: etcd://10.0.0.5:2379,10.0.0.6:2379)`);
    }
  }
  return { endpoints, prefix };
}

function readPem(what: string, file: string, type: 'certificate' | 'key'): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new InvalidError(`etcd ${what} file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // Checked here: gRPC would throw OpenSSL's "no start line" from deep inside the first connection.
  const problem = pemProblem(pem, type);
  if (problem) throw new InvalidError(`etcd ${what} file ${file} is not a PEM ${type}: ${problem}`);
  return pem;
}

/** Why `pem` is not a usable PEM certificate (bundle) or private key, or undefined. */
function pemProblem(pem: Buffer, type: 'certificate' | 'key'): string | undefined {
  const text = pem.toString('latin1');
  try {
    if (type === 'key') {
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'no "-----BEGIN ... PRIVATE KEY-----" block';
      createPrivateKey(pem);
      return undefined;
    }
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
    if (!blocks) return 'no "-----BEGIN CERTIFICATE-----" block';
    for (const b of blocks) new X509Certificate(b);
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    // The path is not secret; its contents are.
    throw new InvalidError(`etcd password file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/** Combine the URL, options and environment into what the client needs. Reads the TLS and password files. */
export function resolveEtcdConfig(
  url: string,
  options: EtcdConnectionOptions = {},
  env: Record<string, string | undefined> = process.env,
): EtcdConfig {
  const target = parseEtcdUrl(url);
  const caFile = nonEmpty(options.caFile) ?? nonEmpty(env['WINHA_ETCD_CACERT']);
  const certFile = nonEmpty(options.certFile) ?? nonEmpty(env['WINHA_ETCD_CERT']);
  const keyFile = nonEmpty(options.keyFile) ?? nonEmpty(env['WINHA_ETCD_KEY']);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new InvalidError('etcd client TLS needs both a certificate and its key (--etcd-cert and --etcd-key)');
  }
  const envTimeout = nonEmpty(env['WINHA_ETCD_REQUEST_TIMEOUT_MS']);
  let requestTimeoutMs = options.requestTimeoutMs;
  if (requestTimeoutMs === undefined && envTimeout !== undefined) {
    requestTimeoutMs = Number(envTimeout);
    if (!/^\d+$/.test(envTimeout) || requestTimeoutMs < 100 || requestTimeoutMs > 600_000) {
      throw new InvalidError(`WINHA_ETCD_REQUEST_TIMEOUT_MS=${envTimeout}: give milliseconds between 100 and 600000`);
    }
  }
  const config: EtcdConfig = {
    ...target,
    requestTimeoutMs: requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_RETRIES,
  };
  if (caFile || certFile) {
    if (!caFile) throw new InvalidError('etcd TLS needs the CA certificate that signed the servers (--etcd-cacert)');
    config.tls = { ca: readPem('CA certificate', caFile, 'certificate') };
    if (certFile && keyFile) {
      config.tls.cert = readPem('client certificate', certFile, 'certificate');
      config.tls.key = readPem('client key', keyFile, 'key');
    }
  }
  const username = nonEmpty(options.username) ?? nonEmpty(env['WINHA_ETCD_USERNAME']);
  const passwordFile = nonEmpty(options.passwordFile) ?? nonEmpty(env['WINHA_ETCD_PASSWORD_FILE']);
  const password = passwordFile !== undefined ? readPasswordFile(passwordFile) : env['WINHA_ETCD_PASSWORD'];
  if (username !== undefined) {
    if (password === undefined || password === '') {
      throw new InvalidError(`etcd user ${username} has no password: set WINHA_ETCD_PASSWORD or WINHA_ETCD_PASSWORD_FILE`);
    }
    config.auth = { username, password };
  } else if (password !== undefined && password !== '') {
    throw new InvalidError('an etcd password is set but no user: set WINHA_ETCD_USERNAME');
  }
  return config;
}

/** One line for logs and errors: endpoints, prefix, TLS, user. Never the password. */
export function describeEtcd(c: EtcdConfig): string {
  const parts = [`etcd ${c.endpoints.join(',')}${c.prefix}`];
  if (c.tls) parts.push(c.tls.cert ? 'TLS with client certificate' : 'TLS');
  if (c.auth) parts.push(`user ${c.auth.username}`);
  return parts.join(', ');
}
