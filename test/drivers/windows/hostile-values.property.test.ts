/**
 * Property: a hostile value (quotes, $(), backticks, ;, newlines, non-ASCII…)
 * either is refused before anything runs, or travels only inside the JSON on
 * standard input — never in the script text or on the command line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fc } from '../../support/property.js';
import { VirtualClock } from '../../../src/lib/clock.js';
import { WindowsHostDriver } from '../../../src/drivers/windows/windows-host-driver.js';
import { isDriverError, type CallOptions, type HostDriver } from '../../../src/drivers/types.js';
import { ScriptedRunner, psValue, text } from '../scripted-runner.js';

const o: CallOptions = { epoch: 1, timeoutMs: 30_000 };

const FRAGMENTS = [
  "'",
  '"',
  '$(',
  ')',
  '`',
  ';',
  '\n',
  '\r\n',
  '|',
  '&',
  '$env:COMPUTERNAME',
  '%PATH%',
  '@(',
  '{',
  '}',
  '<#',
  '#>',
  '\\',
  'é',
  '日本語',
  '\u200b',
  ' ',
  'Stop-Computer',
  'E:',
  'a',
  '--%',
  '\u0000',
];
const hostile = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 8 }).map((xs) => xs.join('')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);

const site = {
  id: 1,
  name: 'web1',
  state: 'Stopped',
  ftpState: null,
  bindings: [{ protocol: 'http', bindingInformation: '10.0.0.50:80:', certificateHash: '' }],
  physicalPath: 'E:\\x',
  applicationPool: 'p',
  serverAutoStart: false,
};

/** `h` is also an adapter's alias, so a hostile alias the driver accepts reaches net.add (as data). */
function harness(h: string) {
  const runner = new ScriptedRunner({
    'ps:net.interfaces': [
      psValue([
        { alias: 'Ethernet', index: 6, status: 'Up', macAddress: '00-15-5D-00-00-06' },
        { alias: h, index: 7, status: 'Up', macAddress: '00-15-5D-00-00-07' },
      ]),
    ],
    'ps:site.ensure': [psValue({ created: true, changed: [], site })],
    'ps:site.list': [psValue([])],
    'ps:probe.ftp': [psValue({ lines: ['230 ok'] })],
    'ps:probe.http': [psValue({ outcome: 'answer', statusCode: 200 })],
    'ps:net.add': [
      psValue({
        outcome: 'present',
        address: { address: '10.0.0.50', prefixLength: 24, interfaceAlias: h, addressState: 'Preferred', skipAsSource: true },
      }),
    ],
    'emcmd:GETMIRRORVOLINFO': [text('')],
    'emcmd:GETSOURCEMIRROREDVOLUMES': [text('Status = 0')],
    'emcmd:GETTARGETMIRROREDVOLUMES': [text('Returned 0 Target Volumes')],
    'emcmd:CREATEMIRROR': [text('Status = 0')],
  });
  const driver = new WindowsHostDriver({ nodeName: 'node1', host: runner, runner, clock: new VirtualClock() });
  return { runner, driver };
}

type Op = (d: HostDriver, h: string) => Promise<unknown>;
const OPERATIONS: Record<string, Op> = {
  ensureSite: (d, h) =>
    d.ensureSite(
      {
        name: 'web1',
        bindings: [{ protocol: 'http', address: '10.0.0.50', port: 80, hostHeader: '' }],
        physicalPath: `E:\\${h}`,
        applicationPool: h,
        serverAutoStart: false,
      },
      o,
    ),
  probeFtpCredentials: (d, h) => d.probeFtp({ address: '10.0.0.50', port: 21, user: h, password: h }, o),
  addVirtualIpAlias: (d, h) => d.addVirtualIp({ address: '10.0.0.50', prefixLength: 24, interfaceAlias: h }, o),
  addVirtualIpAddress: (d, h) => d.addVirtualIp({ address: h, prefixLength: 24, interfaceAlias: 'Ethernet' }, o),
  startSite: (d, h) => d.startSite(h, o),
  getMirrorInfo: (d, h) => d.getMirrorInfo(h, o),
  createMirrorTarget: (d, h) => d.createMirror({ volume: 'E', sourceAddress: '10.0.0.11', targetAddress: h, mode: 'Synchronous' }, o),
  probeHttpHost: (d, h) => d.probeHttp({ address: '10.0.0.50', port: 80, hostHeader: h, path: `/${h}` }, o),
  queryService: (d, h) => d.queryService(h as 'W3SVC', o),
};

/** Every JSON string value inside a parsed stdin document. */
function stringsIn(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (v && typeof v === 'object') return Object.values(v).flatMap(stringsIn);
  return [];
}

for (const [name, op] of Object.entries(OPERATIONS)) {
  test(`hostile values given to ${name} never reach script text or argv`, async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (h) => {
        const { runner, driver } = harness(h);
        let refused = false;
        try {
          await op(driver, h);
        } catch (e) {
          if (isDriverError(e, 'InvalidArgument')) refused = true;
        }
        if (refused) {
          assert.equal(runner.calls.length, 0, 'a refused value runs nothing');
          return;
        }
        for (const call of runner.calls) {
          if (call.script) {
            // The request names a constant operation; the value travels only as JSON data in pure ASCII.
            assert.match(call.script, /^[a-z]+\.[a-z]+$/);
            assert.match(call.stdin, /^[\x20-\x7e]*$/);
            assert.equal((JSON.parse(call.stdin) as { op: string }).op, call.script);
          } else {
            // emcmd: only validated tokens (., a command, a letter, IP addresses).
            for (const a of call.args) assert.match(a, /^(\.|[A-Z]+|[A-Z]|[0-9.]+|[0-9a-fA-F:]+|S|A)$/, `argv token ${JSON.stringify(a)}`);
            assert.ok(!call.args.includes(h) || /^([A-Z]|[0-9.]+|[0-9a-fA-F:]+)$/.test(h));
          }
        }
        const sent = runner.calls.filter((c) => c.script).flatMap((c) => stringsIn((JSON.parse(c.stdin) as { params: unknown }).params));
        const accepted = runner.calls.length > 0;
        if (accepted && (name === 'ensureSite' || name === 'probeFtpCredentials' || name === 'addVirtualIpAlias')) {
          assert.ok(
            sent.some((s) => s.includes(h)),
            `the value travels in the JSON payload: ${JSON.stringify(h)}`,
          );
        }
      }),
      { numRuns: 150, seed: 4242 },
    );
  });
}
