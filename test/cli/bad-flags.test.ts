/**
 * Issue 14 (items 6, 15, 19): a bad store URL, TLS file or selector, or a bad
 * output choice, is one clear line and exit 2 — no stack — and nothing is
 * written before everything the command was given has been parsed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
const TWO_NODE = join(EXAMPLES_DIR, 'two-node-web.yaml');

const winha = (args: string[]) => runWinha(args, { cwd: dir, timeout: 30_000 });

/** One line, no stack trace. */
function oneLine(err: string): void {
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.doesNotMatch(err, /\n\s+at |internal error/);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-flags-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('--store file://%zz and file:///dev/null: one line, exit 2 (item 15)', () => {
  const bad = winha(['get', 'groups', '--store', 'file://%zz']);
  assert.equal(bad.code, 2, bad.err);
  oneLine(bad.err);
  assert.match(bad.err, /store URL file:\/\/%zz/);
  const dev = winha(['apply', '-f', TWO_NODE, '--store', 'file:///dev/null']);
  assert.equal(dev.code, 2, dev.err);
  oneLine(dev.err);
  assert.match(dev.err, /\/dev\/null.*not a directory/);
});

test('a CA, certificate or key that is not PEM: one line, exit 2 (item 15)', () => {
  writeFileSync(join(dir, 'junk.pem'), 'hello, not a certificate\n');
  const key = join(dir, 'ok.key');
  const crt = join(dir, 'ok.crt');
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    crt,
    '-days',
    '1',
    '-subj',
    '/CN=test',
  ]);
  const cases: [string[], RegExp][] = [[['--etcd-cacert', 'junk.pem'], /CA certificate.*junk\.pem.*PEM/]];
  if (made.status === 0) {
    cases.push([['--etcd-cacert', crt, '--etcd-cert', 'junk.pem', '--etcd-key', key], /client certificate.*junk\.pem.*PEM/]);
    cases.push([['--etcd-cacert', crt, '--etcd-cert', crt, '--etcd-key', 'junk.pem'], /client key.*junk\.pem.*PEM/]);
  }
  for (const [flags, message] of cases) {
    const r = winha(['get', 'groups', '--store', 'etcd://127.0.0.1:1', '--etcd-request-timeout', '500', ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.err}`);
    oneLine(r.err);
    assert.match(r.err, message);
  }
});

test('a bad -l selector is a usage error before anything is written (items 6 and 19)', async () => {
  const url = `file://${join(dir, 'store')}`;
  const get = winha(['get', 'groups', '-l', 'bad selector(', '--store', url]);
  assert.equal(get.code, 2, get.err);
  oneLine(get.err);
  assert.match(get.err, /label selector "bad selector\("/);
  const a = winha(['apply', '-f', TWO_NODE, '--prune', '-l', 'bad selector(', '--store', url]);
  assert.equal(a.code, 2, a.err);
  oneLine(a.err);
  assert.match(a.err, /label selector/);
  const s = await openStore(url);
  try {
    assert.equal((await s.objects.list('FailoverGroup')).items.length, 0, 'nothing was written');
  } finally {
    await s.close();
  }
});

test('sim fuzz -o xml is refused by the choices (item 19)', () => {
  const r = winha(['sim', 'fuzz', '-o', 'xml', '--runs', '1']);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /xml.*(choices|Allowed)/i);
});
