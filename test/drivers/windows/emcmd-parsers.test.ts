import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parseBreakUserRequested,
  parseJobInfo,
  parseMirrorType,
  parseMirrorVolInfo,
  parseResyncStatus,
  parseServiceInfo,
  parseSourceMirroredVolumes,
  parseStatus,
  parseTargetMirroredVolumes,
  parseVolumeInfo,
} from '../../../src/drivers/windows/emcmd-parsers.js';
import { isDriverError } from '../../../src/drivers/types.js';

// Compiled tests run from dist/test/...; fixtures stay in the source tree.
const fixtureDir = fileURLToPath(new URL('../../../../test/drivers/windows/fixtures/emcmd/', import.meta.url));
const sample = (name: string) => readFileSync(fixtureDir + name, 'utf8');

function assertParseError(fn: () => unknown, mentions: RegExp) {
  try {
    fn();
  } catch (e) {
    assert.ok(isDriverError(e, 'ParseError'), `expected ParseError, got ${String(e)}`);
    assert.match(e.message, mentions);
    return;
  }
  assert.fail('expected a ParseError');
}

test('GETMIRRORVOLINFO: the manual sample (prompt line, glued CARDINAL10.1.1.133) gives two source rows Mirroring', () => {
  assert.deepEqual(parseMirrorVolInfo(sample('GETMIRRORVOLINFO.txt')), [
    { volume: 'F', role: 1, sourceSystem: 'CARDINAL', targetSystem: '10.1.1.133', state: 1 },
    { volume: 'F', role: 1, sourceSystem: 'CARDINAL', targetSystem: '10.1.1.134', state: 1 },
  ]);
});

test('GETMIRRORVOLINFO: the properly spaced form from the CHANGEMIRRORTYPE example; target role; empty = no mirror', () => {
  const rows = parseMirrorVolInfo(sample('GETMIRRORVOLINFO-changemirrortype-example.txt'));
  assert.deepEqual(
    rows.map((r) => [r.sourceSystem, r.targetSystem, r.state]),
    [
      ['SYS1.MYDOM.LOCAL', '172.17.103.222', 1],
      ['SYS1.MYDOM.LOCAL', '172.17.103.223', 1],
    ],
  );
  assert.deepEqual(parseMirrorVolInfo('E: 2 node1 10.0.0.12 -1\r\n'), [
    { volume: 'E', role: 2, sourceSystem: 'node1', targetSystem: '10.0.0.12', state: -1 },
  ]);
  assert.deepEqual(parseMirrorVolInfo('\r\n'), []);
});

test('GETMIRRORVOLINFO: garbage, a bad role and an out-of-range state are clear ParseErrors', () => {
  assertParseError(() => parseMirrorVolInfo('The service is not running'), /GETMIRRORVOLINFO.*"The service is not running"/);
  assertParseError(() => parseMirrorVolInfo('F: 3 SYS1 10.0.0.1 1'), /role 3/);
  assertParseError(() => parseMirrorVolInfo('F: 1 SYS1 10.0.0.1 9'), /state 9/);
});

test('GETMIRRORTYPE: Type 2 is asynchronous; garbage is refused', () => {
  assert.deepEqual(parseMirrorType(sample('GETMIRRORTYPE.txt')), [
    { targetSystem: '10.1.1.133', type: 2 },
    { targetSystem: '10.1.1.134', type: 2 },
  ]);
  assertParseError(() => parseMirrorType('Target system 10.1.1.133, Type banana'), /GETMIRRORTYPE/);
});

test('GETRESYNCSTATUS: the manual sample with its glitches gives per-target progress', () => {
  const r = parseResyncStatus(sample('GETRESYNCSTATUS.txt'));
  assert.equal(r.volume, 'F');
  assert.deepEqual(
    r.targets.map((t) => [t.targetSystem, t.progress.phase, t.progress.dirtyBlocks, t.progress.currentBlock]),
    [
      ['10.1.1.133', 3, 0, 0],
      ['10.1.1.134', 2, 2124, 29556],
    ],
  );
  assert.equal(r.targets[0]?.progress.newWrites, 1803);
  assert.equal(r.targets[0]?.resyncStartTime, 'Fri Nov 05 13.57.51 2008');
  assert.ok(Math.abs(r.targets[1]!.progress.fraction - (1 - 2124 / 32831)) < 1e-9);
});

test('GETRESYNCSTATUS: a missing header or a non-numeric counter is a clear ParseError', () => {
  assertParseError(() => parseResyncStatus('Target 0 (Target System 10.1.1.133)\nResyncPhase : 3'), /no "Resync Status for Volume/);
  assertParseError(
    () => parseResyncStatus(sample('GETRESYNCSTATUS.txt').replace('DirtyBlocks : 2124', 'DirtyBlocks : lots')),
    /dirtyblocks/,
  );
});

test('GETJOBINFOFORVOL: the manual sample, with its endpoint pair wrapped onto the next line', () => {
  assert.deepEqual(parseJobInfo(sample('GETJOBINFOFORVOL-before.txt')), [
    {
      id: 'caa97f9f-ac6a-4b56-8f25-20db9e2808a8',
      name: 'Mirr Vol D',
      description: 'Mirror Volume D',
      pairs: [
        {
          a: { system: 'SYS3.MYDOM.LOCAL', drive: 'D', ip: '172.17.103.223' },
          b: { system: 'SYS1.MYDOM.LOCAL', drive: 'E', ip: '172.17.103.221' },
          type: 'A',
        },
      ],
    },
  ]);
});

test('GETJOBINFO: several jobs, MirrorEndpoints spelled either way, a shared-disk pair', () => {
  const text = [
    'ID = caa97f9f-ac6a-4b56-8f25-20db9e2808a8',
    'Name = Mirr Vol E',
    'MirrorEndpoints = SYS1.MYDOM.LOCAL;E;0.0.0.0;SYS2.MYDOM.LOCAL;E;0.0.0.0;D',
    'MirrorEndPoints = SYS1.MYDOM.LOCAL;E;172.17.103.221;SYS3.MYDOM.LOCAL;E;172.17.103.223;S',
    'ID = 0b9e2f3a-1111-4b56-8f25-20db9e2808a8',
    'Name = Second',
  ].join('\r\n');
  const jobs = parseJobInfo(text);
  assert.deepEqual(
    jobs.map((j) => [j.name, j.pairs.map((p) => p.type)]),
    [
      ['Mirr Vol E', ['D', 'S']],
      ['Second', []],
    ],
  );
  assertParseError(() => parseJobInfo('Name = orphan'), /must start with "ID = <guid>"/);
  assertParseError(() => parseJobInfo('ID = not-a-guid'), /not a GUID/);
  assertParseError(() => parseJobInfo('ID = caa97f9f-ac6a-4b56-8f25-20db9e2808a8\nMirrorEndPoints = a;b;c'), /endpoint pair/);
});

test('GETVOLUMEINFO level 1–3: role, size, attributes mask 0x20, remotes with state and type', () => {
  const v = parseVolumeInfo(sample('GETVOLUMEINFO.txt'));
  assert.equal(v.volumeRoot, 'F:');
  assert.equal(v.mirrorRole, 'SOURCE');
  assert.equal(v.totalSpace, 2151608320);
  assert.equal(v.numTargets, 2);
  assert.equal(v.attributes, 0x20);
  assert.deepEqual(
    v.remotes.map((r) => [r.index, r.system, r.mirrorState, r.mirrorType]),
    [
      [0, '10.1.1.133', 'MIRROR', 'ASYNCHRONOUSLY'],
      [1, '10.1.1.133', 'MIRROR', 'ASYNCHRONOUSLY'],
    ],
  );
  assert.equal(v.remotes[1]?.statistics, 'No Resync or CompVol Statistics to report');
  assertParseError(() => parseVolumeInfo('Volume Root = F:'), /LEVEL n INFO/);
});

test('ISBREAKUSERREQUESTED, GETSOURCE/GETTARGETMIRROREDVOLUMES, GETSERVICEINFO and Status lines parse as the manual shows', () => {
  assert.deepEqual(
    parseBreakUserRequested(sample('ISBREAKUSERREQUESTED.txt')).map((t) => t.userRequested),
    [false, false, true],
  );
  const src = parseSourceMirroredVolumes(sample('GETSOURCEMIRROREDVOLUMES.txt'));
  assert.deepEqual(src, {
    status: 0,
    volumes: [
      {
        volume: 'F',
        label: 'New Volume',
        targets: [
          { targetSystem: '10.1.1.133', state: 1 },
          { targetSystem: '10.1.1.134', state: 1 },
        ],
      },
    ],
  });
  assert.deepEqual(parseTargetMirroredVolumes(sample('GETTARGETMIRROREDVOLUMES.txt')), [
    { volume: 'F', state: 1, source: '10.1.1.132', target: 'BLUEJAY' },
  ]);
  assert.equal(parseServiceInfo(sample('GETSERVICEINFO.txt')).serviceVersion, '7.0');
  assert.equal(parseStatus('Status = 1265'), 1265);
  assert.equal(parseStatus('TRUE'), undefined);
  assertParseError(() => parseBreakUserRequested('Target 0: maybe'), /ISBREAKUSERREQUESTED/);
  assertParseError(
    () =>
      parseTargetMirroredVolumes(
        'Returned 2 Target Volumes\nTarget Volume 1 information:\nVolume Root = F:\nVolume State = 1\nSource = a\nTarget = b',
      ),
    /announced 2/,
  );
});

test('GETMIRRORVOLINFO: a multi-target source with one target Paused and one Mirroring (reconstructed sample, see the README)', () => {
  assert.deepEqual(
    parseMirrorVolInfo(sample('GETMIRRORVOLINFO-multitarget-reconstructed.txt')).map((r) => [r.role, r.targetSystem, r.state]),
    [
      [1, '172.17.103.222', 4],
      [1, '172.17.103.223', 1],
    ],
  );
});

test('GETMIRRORVOLINFO glued name+IP: split only when one split gives a usable address, else the whole token and a warning', () => {
  // CARDINAL1 + 0.1.1.133 is no target address (0.0.0.0/8), so the manual's sample splits one way only.
  assert.deepEqual(
    parseMirrorVolInfo('F: 1 CARDINAL10.1.1.133 1').map((r) => [r.sourceSystem, r.targetSystem, r.warning]),
    [['CARDINAL', '10.1.1.133', undefined]],
  );
  assert.deepEqual(
    parseMirrorVolInfo('E: 1 NODEA100.0.0.2 1').map((r) => [r.sourceSystem, r.targetSystem]),
    [['NODEA', '100.0.0.2']],
  );
  const [digit] = parseMirrorVolInfo(sample('GETMIRRORVOLINFO-glued-digit-name-reconstructed.txt'));
  assert.equal(digit?.sourceSystem, 'NODE110.0.0.2');
  assert.equal(digit?.targetSystem, 'NODE110.0.0.2');
  assert.match(digit?.warning ?? '', /NODE110\.0\.0\.2.*ambiguous/);
  assert.deepEqual(digit?.candidates, [
    { sourceSystem: 'NODE', targetSystem: '110.0.0.2' },
    { sourceSystem: 'NODE1', targetSystem: '10.0.0.2' },
  ]);
  const [fqdn] = parseMirrorVolInfo(sample('GETMIRRORVOLINFO-glued-fqdn-reconstructed.txt'));
  assert.deepEqual(
    fqdn?.candidates?.map((c) => c.targetSystem),
    ['172.17.103.222', '72.17.103.222', '2.17.103.222'],
  );
  assertParseError(() => parseMirrorVolInfo('E: 1 NODE0.0.0.2 1'), /GETMIRRORVOLINFO/);
});

test('GETMIRRORVOLINFO state 0 ("No mirror", §4.1) parses, role 0 only with it', () => {
  assert.deepEqual(
    parseMirrorVolInfo(sample('GETMIRRORVOLINFO-state0-reconstructed.txt')).map((r) => [r.role, r.state]),
    [[1, 0]],
  );
  assert.deepEqual(
    parseMirrorVolInfo('E: 0 W16-1 172.31.39.191 0').map((r) => [r.role, r.state]),
    [[0, 0]],
  );
  assertParseError(() => parseMirrorVolInfo('E: 0 W16-1 172.31.39.191 1'), /role 0/);
});
