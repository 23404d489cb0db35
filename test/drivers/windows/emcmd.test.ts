import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EMCMD_PATH, interpretEmcmd, resolveEmcmdPath, type EmcmdCommand } from '../../../src/drivers/windows/emcmd.js';
import { isDriverError } from '../../../src/drivers/types.js';
import type { DriverErrorCode } from '../../../src/drivers/errors.js';

// Compiled tests run from dist/test/...; fixtures stay in the source tree.
const fixtureDir = fileURLToPath(new URL('../../../../test/drivers/windows/fixtures/emcmd/', import.meta.url));
const sample = (name: string) => readFileSync(fixtureDir + name, 'utf8');
const out = (stdout: string, exitCode = 0) => ({ exitCode, stdout, stderr: '' });

const MUTATING: EmcmdCommand[] = [
  'SWITCHOVERVOLUME',
  'LOCKVOLUME',
  'UNLOCKVOLUME',
  'PAUSEMIRROR',
  'CONTINUEMIRROR',
  'BREAKMIRROR',
  'RESYNCMIRROR',
  'CREATEMIRROR',
  'DELETEMIRROR',
  'PREPARETOBECOMETARGET',
];

function failure(command: EmcmdCommand, stdout: string, exitCode = 0, code: DriverErrorCode = 'CommandFailed') {
  try {
    interpretEmcmd(command, out(stdout, exitCode));
  } catch (e) {
    assert.ok(isDriverError(e, code), `${command} on ${JSON.stringify(stdout)}: expected ${code}, got ${String(e)}`);
    return e;
  }
  return assert.fail(`${command} accepted ${JSON.stringify(stdout)} (exit ${exitCode}) as success`);
}

test('mutating commands succeed only on "Status = 0" (the documented success, seed003-datakeeper.md §7)', () => {
  for (const c of MUTATING) {
    assert.equal(interpretEmcmd(c, out('Status = 0\r\n')), 'Status = 0\r\n');
    assert.equal(interpretEmcmd(c, out('c:>EMCMD . ' + c + ' E\r\nStatus = 0\r\n')), 'c:>EMCMD . ' + c + ' E\r\nStatus = 0\r\n');
  }
});

test('"Access is denied.", "Invalid command", usage text and empty output are failures, quoting the first line and naming the command', () => {
  for (const c of MUTATING) {
    const denied = failure(c, 'Access is denied.\r\n', 5);
    assert.match(denied.message, new RegExp(`${c}.*"Access is denied\\."`));
    assert.equal(denied.transient, false);
    assert.match(failure(c, 'Invalid command\r\n').message, /"Invalid command"/);
    const usage = failure(c, '\r\nUsage: EMCMD <system> <command> [<args>]\r\n  BREAKMIRROR <volume letter>\r\n', 1);
    assert.match(usage.message, /"Usage: EMCMD <system> <command> \[<args>\]"/);
    assert.doesNotMatch(usage.message, /BREAKMIRROR <volume letter>/);
    assert.equal(failure(c, '', 0).transient, false);
    assert.equal(failure(c, '\r\n', 1).transient, false);
    // Another command's documented output is not this one's success.
    failure(c, 'Target system 10.1.1.133, Type 2\r\n');
  }
});

test("the quoted first line is trimmed and cut to 200 characters; stderr's first line is named when stdout is empty", () => {
  const long = `  ${'x'.repeat(300)}  `;
  const e = failure('PAUSEMIRROR', `${long}\r\nsecond line`);
  assert.ok(e.message.includes(`"${'x'.repeat(200)}`), e.message);
  assert.ok(!e.message.includes('x'.repeat(201)), e.message);
  try {
    interpretEmcmd('LOCKVOLUME', { exitCode: 2, stdout: '', stderr: 'The system cannot find the file specified.\r\nmore' });
    assert.fail('expected a failure');
  } catch (err) {
    assert.ok(isDriverError(err, 'CommandFailed'));
    assert.match(err.message, /LOCKVOLUME.*exit 2.*"The system cannot find the file specified\."/);
  }
});

test('Status codes keep their mappings: unreachable, busy volume on LOCKVOLUME, other codes', () => {
  const u = failure('SWITCHOVERVOLUME', 'Status = 1722\r\n', 0, 'MirrorPeerUnreachable');
  assert.equal(u.transient, true);
  assert.equal(failure('LOCKVOLUME', 'Status = 32\r\n', 0, 'VolumeBusy').transient, true);
  assert.match(failure('CREATEMIRROR', 'Status = 995\r\n').message, /CREATEMIRROR.*995/);
  failure('GETMIRRORVOLINFO', 'Status = 1265\r\n');
});

test('queries succeed on their documented output shapes (the manual samples)', () => {
  const ok: [EmcmdCommand, string][] = [
    ['GETMIRRORVOLINFO', sample('GETMIRRORVOLINFO.txt')],
    ['GETMIRRORVOLINFO', sample('GETMIRRORVOLINFO-changemirrortype-example.txt')],
    ['GETMIRRORTYPE', sample('GETMIRRORTYPE.txt')],
    ['GETRESYNCSTATUS', sample('GETRESYNCSTATUS.txt')],
    ['GETVOLUMEINFO', sample('GETVOLUMEINFO.txt')],
    ['GETJOBINFOFORVOL', sample('GETJOBINFOFORVOL-before.txt')],
    ['GETJOBINFO', sample('GETJOBINFOFORVOL-before.txt')],
    ['GETSOURCEMIRROREDVOLUMES', sample('GETSOURCEMIRROREDVOLUMES.txt')],
    ['GETTARGETMIRROREDVOLUMES', sample('GETTARGETMIRROREDVOLUMES.txt')],
  ];
  for (const [c, text] of ok) assert.equal(interpretEmcmd(c, out(text)), text, c);
});

test('queries fail on anything else: denial, invalid command, empty output, a non-zero Status', () => {
  const queries: EmcmdCommand[] = [
    'GETMIRRORVOLINFO',
    'GETMIRRORTYPE',
    'GETRESYNCSTATUS',
    'GETVOLUMEINFO',
    'GETJOBINFO',
    'GETJOBINFOFORVOL',
    'GETSOURCEMIRROREDVOLUMES',
    'GETTARGETMIRROREDVOLUMES',
  ];
  for (const c of queries) {
    assert.match(failure(c, 'Access is denied.\r\n', 5).message, new RegExp(`${c}.*"Access is denied\\."`));
    failure(c, 'Invalid command\r\n');
    failure(c, 'Status = 5\r\n');
    failure(c, '', 1);
    if (c !== 'GETMIRRORVOLINFO') failure(c, '', 0);
  }
});

test('GETMIRRORVOLINFO printing nothing (exit 0) is passed on for the caller to confirm: "not mirrored" output is undocumented', () => {
  assert.equal(interpretEmcmd('GETMIRRORVOLINFO', out('')), '');
  assert.equal(interpretEmcmd('GETMIRRORVOLINFO', out('c:>EMCMD . GETMIRRORVOLINFO E\r\n\r\n')), 'c:>EMCMD . GETMIRRORVOLINFO E\r\n\r\n');
});

test('resolveEmcmdPath: a configured path wins, else %ExtMirrBase%\\emcmd.exe, else the default', () => {
  const base = 'D:\\SIOS\\DataKeeper';
  assert.equal(resolveEmcmdPath({ ExtMirrBase: base }, 'E:\\tools\\emcmd.exe'), 'E:\\tools\\emcmd.exe');
  assert.equal(resolveEmcmdPath({ ExtMirrBase: base }), 'D:\\SIOS\\DataKeeper\\emcmd.exe');
  assert.equal(resolveEmcmdPath({ EXTMIRRBASE: `${base}\\` }), 'D:\\SIOS\\DataKeeper\\emcmd.exe');
  assert.equal(resolveEmcmdPath({ extmirrbase: `"${base}"` }), 'D:\\SIOS\\DataKeeper\\emcmd.exe');
  assert.equal(resolveEmcmdPath({}), DEFAULT_EMCMD_PATH);
  assert.equal(resolveEmcmdPath({ ExtMirrBase: '' }), DEFAULT_EMCMD_PATH);
  assert.equal(resolveEmcmdPath({}, '\\\\fs1\\tools\\emcmd.exe'), '\\\\fs1\\tools\\emcmd.exe');
});

test('resolveEmcmdPath: a relative or drive-relative path is InvalidArgument, configured or from ExtMirrBase', () => {
  for (const bad of ['emcmd.exe', '.\\emcmd.exe', '\\SIOS\\emcmd.exe', 'C:emcmd.exe', '/usr/bin/emcmd']) {
    assert.throws(
      () => resolveEmcmdPath({}, bad),
      (e: unknown) => isDriverError(e, 'InvalidArgument'),
      bad,
    );
  }
  assert.throws(
    () => resolveEmcmdPath({ ExtMirrBase: 'SIOS\\DataKeeper' }),
    (e: unknown) => isDriverError(e, 'InvalidArgument') && /ExtMirrBase/.test(e.message),
  );
});
