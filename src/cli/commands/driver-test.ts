/**
 * `winha driver test --driver windows|sim`: flags in, report out; the test
 * itself is src/drivers/test-kit/driver-test.ts. Exit 0 every call ok, 1 a call
 * failed, 2 refused (the scratch address or site belongs to something else) or bad flags.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { notWindowsReason } from '../../drivers/windows/ps-host/spawn.js';
import { isIP } from 'node:net';
import { SystemClock, type Clock } from '../../lib/clock.js';
import { DEFAULT_SCRATCH_SITE, runDriverTest, type DriverTestOptions, type DriverTestReport } from '../../drivers/test-kit/driver-test.js';
import { formatDriverTestReport } from '../../drivers/test-kit/report.js';
import { HOST_DRIVER_OPERATIONS, type HostDriver } from '../../drivers/types.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { isOneOf } from '../../lib/one-of.js';

export interface DriverTestFlags {
  driver?: string;
  node?: string;
  site?: string;
  address?: string;
  prefixLength?: string;
  interface?: string;
  port?: string;
  volume?: string;
  sourceAddress?: string;
  targetAddress?: string;
  timeout?: string;
  simFail?: string[];
  output?: string;
}

function int(text: string | undefined, flag: string, min: number, max: number, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`${flag} is required with --driver windows`);
    return fallback;
  }
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag} ${text}: give an integer from ${min} to ${max}`);
  return n;
}

function ip(text: string | undefined, flag: string): string | undefined {
  if (text !== undefined && isIP(text) === 0) throw new UsageError(`${flag} ${JSON.stringify(text)} is not an IP address`);
  return text;
}

export async function runDriverTestCommand(flags: DriverTestFlags, io: CliIO): Promise<number> {
  // No default: a test of the simulated driver run on a real node would report a host it never touched as ok.
  const kind = flags.driver;
  if (kind === undefined)
    throw new UsageError(
      '--driver: say which driver to test: --driver windows (this machine) or --driver sim [driver-test-driver-missing]',
    );
  if (kind !== 'sim' && kind !== 'windows') throw new UsageError(`--driver ${JSON.stringify(kind)}: use windows or sim`);
  const sim = kind === 'sim';
  const site = flags.site ?? DEFAULT_SCRATCH_SITE;
  if (!/^[A-Za-z0-9-]+$/.test(site)) throw new UsageError(`--site ${JSON.stringify(site)}: letters, digits and "-" only`);
  const volume = flags.volume?.replace(/:$/, '').toUpperCase();
  if (volume !== undefined && !/^[A-Z]$/.test(volume))
    throw new UsageError(`--volume ${JSON.stringify(flags.volume)}: one drive letter, e.g. --volume S`);
  if ((flags.targetAddress === undefined) !== (flags.sourceAddress === undefined) && !sim)
    throw new UsageError('--target-address and --source-address go together (the scratch mirror needs both ends)');
  if (flags.targetAddress !== undefined && volume === undefined) throw new UsageError('--target-address needs --volume');
  const failOps = (flags.simFail ?? []).map((op) => {
    if (!sim) throw new UsageError('--sim-fail works with --driver sim only');
    if (!isOneOf(HOST_DRIVER_OPERATIONS, op))
      throw new UsageError(`--sim-fail ${JSON.stringify(op)}: not a driver operation (${HOST_DRIVER_OPERATIONS.join(', ')})`);
    return op;
  });
  const node = flags.node ?? (sim ? 'sim-node' : hostname().toLowerCase());
  const timeoutMs = int(flags.timeout, '--timeout', 1_000, 600_000, 60_000);
  const port = int(flags.port, '--port', 1, 65535, 80);

  let driver: HostDriver;
  let clock: Clock;
  let drive: <T>(p: Promise<T>) => Promise<T> = (p) => p;
  let opts: DriverTestOptions;
  if (sim) {
    const { simNode, SIM_INTERFACE, SIM_NODE_ADDRESS, SIM_SCRATCH_ADDRESS } = await import('../../drivers/test-kit/sim-node.js');
    const target = ip(flags.targetAddress, '--target-address');
    const s = await simNode({
      node,
      ...(volume ? { volumes: [volume] } : {}),
      ...(target !== undefined ? { peerAddress: target } : {}),
      failOperations: failOps,
    });
    ({ driver, clock, drive } = s);
    opts = {
      siteName: site,
      physicalPath: `C:\\Windows\\Temp\\${site}`,
      address: ip(flags.address, '--address') ?? SIM_SCRATCH_ADDRESS,
      prefixLength: int(flags.prefixLength, '--prefix-length', 0, 128, 24),
      interfaceAlias: flags.interface ?? SIM_INTERFACE,
      port,
      timeoutMs,
      ...(volume ? { volume } : {}),
      ...(target !== undefined
        ? { targetAddress: target, sourceAddress: ip(flags.sourceAddress, '--source-address') ?? SIM_NODE_ADDRESS }
        : {}),
    };
  } else {
    const address = ip(flags.address, '--address');
    if (address === undefined)
      throw new UsageError('--address is required with --driver windows: a spare address on the segment that the test adds and removes');
    if (!flags.interface)
      throw new UsageError('--interface is required with --driver windows: the alias the scratch address goes on (Get-NetAdapter)');
    const notWindows = notWindowsReason(io.env);
    if (notWindows) {
      io.stderr.write(`winha: driver test [not-windows]: ${notWindows}\n`);
      return EXIT.FAILED;
    }
    clock = new SystemClock();
    const { createDriver } = await import('../../drivers/factory.js');
    driver = createDriver('windows', { clock, nodeName: node });
    const physicalPath = path.win32.join(io.env['TEMP'] ?? 'C:\\Windows\\Temp', site);
    if (process.platform === 'win32') await mkdir(physicalPath, { recursive: true });
    opts = {
      siteName: site,
      physicalPath,
      address,
      prefixLength: int(flags.prefixLength, '--prefix-length', 0, 128),
      interfaceAlias: flags.interface,
      port,
      timeoutMs,
      ...(volume ? { volume } : {}),
      ...(flags.targetAddress !== undefined
        ? { targetAddress: ip(flags.targetAddress, '--target-address')!, sourceAddress: ip(flags.sourceAddress, '--source-address')! }
        : {}),
    };
  }

  // The Windows driver's PowerShell host outlives a run unless closed (it would keep the process alive).
  const report = await drive(runDriverTest(driver, opts, clock)).finally(() => driver.close?.());
  print(report, flags.output === 'json', sim ? 'virtual time of the simulated world' : "this machine's monotonic clock", io);
  if (report.refused) {
    io.stderr.write(`winha: driver test refused [${report.refused.id}]: ${report.refused.message}\n`);
    return EXIT.USAGE;
  }
  return report.ok ? EXIT.OK : EXIT.FAILED;
}

function print(report: DriverTestReport, json: boolean, clockNote: string, io: CliIO): void {
  if (json) io.stdout.write(JSON.stringify({ driver: 'test', durations: clockNote, ...report }, null, 2) + '\n');
  else io.stdout.write(formatDriverTestReport(report, clockNote));
}
