/**
 * The FTP deep check logs in with the credentials its credentialsSecretRef names (issue 14 item 12), read from the
 * node's secrets directory, and never lets them into a message; a secret it cannot read makes the check incomplete
 * (a warning), not failed, so a missing file does not start recovery on every node in turn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IISSite } from '../../src/api/types.js';
import { ServiceState, type FtpProbeRequest, type HostDriver } from '../../src/drivers/types.js';
import { deepCheck } from '../../src/reconcilers/iis-kit.js';
import { DirectorySecrets } from '../../src/reconcilers/secrets.js';

const o = { epoch: 1, timeoutMs: 5_000 };

/** A host serving one started FTP site that accepts only svc-probe / s3cret. */
function ftpHost(): { driver: HostDriver; logins: FtpProbeRequest[] } {
  const logins: FtpProbeRequest[] = [];
  const driver = {
    nodeName: 'node1',
    queryService: () => Promise.resolve({ name: 'FTPSVC', state: ServiceState.Running }),
    listSites: () =>
      Promise.resolve([
        { name: 'ftp1', id: 2, state: 'Started', bindings: [{ protocol: 'ftp', address: '10.0.0.60', port: 21, hostHeader: '' }] },
      ]),
    probeFtp: (req: FtpProbeRequest) => {
      logins.push(req);
      const ok = req.user === 'svc-probe' && req.password === 's3cret';
      return Promise.resolve(
        ok
          ? { alive: true, responseLines: ['220 ready', '230 User logged in.'] }
          : { alive: false, kitCode: 9760, responseLines: ['220 ready', '530 User cannot log in.'] },
      );
    },
  } as unknown as HostDriver;
  return { driver, logins };
}

const site = (ftp: Record<string, unknown>): IISSite =>
  ({
    apiVersion: 'winha.io/v1alpha1',
    kind: 'IISSite',
    metadata: { name: 'ftp1', namespace: 'default' },
    spec: { siteName: 'ftp1', group: 'ftp', service: 'FTP', checks: { ftp } },
  }) as unknown as IISSite;

test('login: credentials logs in with the user and password of the referenced secret, and never shows them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'ftp-probe'));
  writeFileSync(join(dir, 'ftp-probe', 'username'), 'svc-probe\n');
  writeFileSync(join(dir, 'ftp-probe', 'password'), 's3cret');
  const { driver, logins } = ftpHost();
  const r = await deepCheck(driver, site({ login: 'credentials', credentialsSecretRef: 'ftp-probe' }), o, new DirectorySecrets(dir));
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(
    logins.map((l) => [l.user, l.password]),
    [['svc-probe', 's3cret']],
  );
  assert.doesNotMatch(JSON.stringify(r), /s3cret/);
  // Anonymous stays anonymous: the secret is read only when asked for.
  const anon = ftpHost();
  await deepCheck(anon.driver, site({ login: 'anonymous' }), o, new DirectorySecrets(dir));
  assert.equal(anon.logins[0]!.user, undefined);
});

test('a secret that cannot be read: the deep check is incomplete (warning 9773 naming the secret), not failed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'winha-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'half'));
  writeFileSync(join(dir, 'half', 'username'), 'svc-probe');
  for (const [ref, secrets] of [
    ['ftp-probe', new DirectorySecrets(dir)],
    ['half', new DirectorySecrets(dir)],
    ['../etc', new DirectorySecrets(dir)],
    ['ftp-probe', undefined],
  ] as const) {
    const { driver, logins } = ftpHost();
    const r = await deepCheck(driver, site({ login: 'credentials', credentialsSecretRef: ref }), o, secrets);
    assert.equal(r.ok, true, `${ref}: ${r.message}`);
    assert.equal(r.warning?.code, 9773);
    assert.match(r.warning.message, new RegExp(`secret ${ref.replace('.', '\\.')}.*\\[ftp-credentials-unavailable\\]`));
    assert.equal(logins.length, 0, 'no anonymous login in place of the credentials');
  }
});
