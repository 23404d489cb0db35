/**
 * bench/driver-calls: what one node serving 20 sites in steady state asks of Windows each minute (issue 15).
 *
 * The real agents run on simulated hosts for 10 virtual minutes after convergence; node1's driver calls are counted
 * by operation, first as the driver was (every check lists every site, an observation is two reads), then with the
 * Windows driver's optional reads (getSite, observeHost). Each Windows driver operation is run once against a
 * scripted host to count the PowerShell requests it makes; before this issue every request started powershell.exe.
 * Then one minute of the measured requests is replayed through the real host client and a stand-in host process,
 * counting process starts. Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock, VirtualClock } from '../src/lib/clock.js';
import { HOST_DRIVER_OPERATIONS, type CallOptions, type HostDriver } from '../src/drivers/types.js';
import { WindowsHostDriver } from '../src/drivers/windows/windows-host-driver.js';
import { PowerShellHost } from '../src/drivers/windows/ps-host/process-host.js';
import { ScriptedRunner, psValue } from '../test/drivers/scripted-runner.js';
import { startCluster, untilReady } from './cluster.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITES = 20;
const MINUTES = 10;

function counting(inner: HostDriver, counts: Map<string, number>, optionalReads: boolean, on: () => boolean): HostDriver {
  const d: Record<string, unknown> = { nodeName: inner.nodeName };
  const count = (op: string) => on() && counts.set(op, (counts.get(op) ?? 0) + 1);
  for (const op of HOST_DRIVER_OPERATIONS) {
    d[op] = (...args: unknown[]) => {
      count(op);
      return (inner[op] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  }
  if (optionalReads) {
    d['getSite'] = async (name: string, o: CallOptions) => {
      count('getSite');
      return (await inner.listSites(o)).find((s) => s.name.toLowerCase() === name.toLowerCase());
    };
    d['observeHost'] = async (o: CallOptions) => {
      count('observeHost');
      return { sites: await inner.listSites(o), addresses: await inner.listAddresses(o) };
    };
  }
  return d as unknown as HostDriver;
}

async function callsPerMinute(optionalReads: boolean): Promise<Record<string, number>> {
  const counts = new Map<string, number>();
  let on = false;
  const t = await startCluster(1, SITES, {
    clock: new VirtualClock(),
    wrapDriver: (node, drv) => (node === 'node1' ? counting(drv, counts, optionalReads, () => on) : drv),
  });
  await untilReady(t, 'node1', 500, 120_000);
  await t.advance(60_000);
  on = true;
  await t.advance(MINUTES * 60_000);
  await t.stop();
  return Object.fromEntries([...counts].map(([k, v]) => [k, v / MINUTES]));
}

const site = (i: number) => ({
  id: i,
  name: `g0-site${i}`,
  state: 'Started',
  ftpState: null,
  bindings: [{ protocol: 'http', bindingInformation: `10.1.0.50:80:site${i}.g0.example.com`, certificateHash: '' }],
  physicalPath: `C:\\inetpub\\g0\\site${i}`,
  applicationPool: 'DefaultAppPool',
  serverAutoStart: false,
});
const SITE_LIST = Array.from({ length: SITES }, (_, i) => site(i));
const ADDRESSES = [{ address: '10.1.0.50', prefixLength: 24, interfaceAlias: 'Public', addressState: 'Preferred', skipAsSource: true }];
const RECORDING = {
  'ps:site.list': [psValue(SITE_LIST)],
  'ps:site.get': [psValue({ found: true, site: site(0) })],
  'ps:host.observe': [psValue({ sites: SITE_LIST, addresses: ADDRESSES })],
  'ps:net.addresses': [psValue(ADDRESSES)],
  'ps:service.query': [psValue({ name: 'W3SVC', state: 4, startType: 'Automatic' })],
  'ps:probe.http': [psValue({ outcome: 'answer', statusCode: 200 })],
};

/** PowerShell requests the Windows driver makes for one call of each steady-state operation. */
async function requestsPerOperation(ops: string[]): Promise<Record<string, number>> {
  const o: CallOptions = { epoch: 1, timeoutMs: 10_000 };
  const calls: Record<string, (d: WindowsHostDriver) => Promise<unknown>> = {
    listSites: (d) => d.listSites(o),
    getSite: (d) => d.getSite('g0-site0', o),
    observeHost: (d) => d.observeHost(o),
    listAddresses: (d) => d.listAddresses(o),
    queryService: (d) => d.queryService('W3SVC', o),
    probeHttp: (d) => d.probeHttp({ address: '10.1.0.50', port: 80, hostHeader: 'site0.g0.example.com' }, o),
  };
  const out: Record<string, number> = {};
  for (const op of ops) {
    const call = calls[op];
    if (!call) throw new Error(`bench/driver-calls: no sample call for ${op}; add one`);
    const runner = new ScriptedRunner(RECORDING);
    await call(new WindowsHostDriver({ nodeName: 'node1', host: runner, runner, clock: new VirtualClock() }));
    out[op] = runner.calls.length;
  }
  return out;
}

const total = (calls: Record<string, number>, per: Record<string, number>) =>
  Object.entries(calls).reduce((n, [op, c]) => n + c * (per[op] ?? 0), 0);

/** One minute of requests through the real host client and a stand-in host process: how many processes started. */
async function replayMinute(perMinute: Record<string, number>): Promise<{ requests: number; processStarts: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'winha-bench-'));
  const file = join(dir, 'recording.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(RECORDING).map(([k, v]) => [k.slice(3), v]))));
  let starts = 0;
  const host = new PowerShellHost({
    clock: new SystemClock(),
    spawn: () => {
      starts++;
      return spawn(process.execPath, [join(ROOT, 'dist', 'test', 'support', 'ps-host-standin.js')], {
        env: { ...process.env, WINHA_STANDIN_RECORDING: file },
        stdio: 'pipe',
      });
    },
  });
  const ops: Record<string, string> = {
    listSites: 'site.list',
    getSite: 'site.get',
    observeHost: 'host.observe',
    listAddresses: 'net.addresses',
    queryService: 'service.query',
    probeHttp: 'probe.http',
  };
  const signal = new AbortController().signal;
  let requests = 0;
  for (const [op, n] of Object.entries(perMinute)) {
    for (let i = 0; i < Math.round(n); i++) {
      const a = await host.call(ops[op]!, {}, { signal, timeoutMs: 10_000 });
      if (!a.ok) throw new Error(`${op}: ${a.error.message}`);
      requests++;
    }
  }
  await host.close();
  return { requests, processStarts: starts };
}

const before = await callsPerMinute(false);
const after = await callsPerMinute(true);
const per = await requestsPerOperation([...new Set([...Object.keys(before), ...Object.keys(after)])]);
const afterRequests = total(after, per);
const replay = await replayMinute(Object.fromEntries(Object.entries(after).map(([op, c]) => [op, c * (per[op] ?? 0)])));
console.log(
  JSON.stringify({
    bench: 'driver-calls',
    node: 'node1',
    sites: SITES,
    virtualMinutes: MINUTES,
    requestsPerOperation: per,
    before: {
      driverCallsPerMinute: before,
      powershellRequestsPerMinute: total(before, per),
      powershellStartsPerMinute: total(before, per),
    },
    after: {
      driverCallsPerMinute: after,
      powershellRequestsPerMinute: afterRequests,
      replayedThroughHostClient: replay.requests,
      powershellStartsInThatMinute: replay.processStarts,
      powershellStartsPerMinuteAfterStartUp: replay.processStarts - 1,
    },
    target: 'PowerShell process starts per minute after start-up <= 1',
  }),
);
process.exit(0);
