/**
 * Which HostDriver an agent gets, from its `--driver` flag:
 *
 *   sim://127.0.0.1:7000/node1   a host of a world served by `winha sim world` (another process)
 *   {world, node}                a host of a world in this process (the in-process simulation)
 *   windows                      this Windows machine (PowerShell + emcmd)
 */
import type { Clock } from '../lib/clock.js';
import type { WorldApi } from './sim/world-protocol.js';
import { RemoteWorldApi } from './sim/remote-world.js';
import { WorldAddressError, parseWorldAddress } from './sim/world-address.js';
import { SimHostDriver } from './sim/sim-host-driver.js';
import { ChildProcessRunner } from './windows/command-runner.js';
import type { AuditLog } from './windows/audit-log.js';
import { resolveEmcmdPath } from './windows/emcmd.js';
import { PowerShellHost, type HostLog } from './windows/ps-host/process-host.js';
import { hostCommand, spawnHost } from './windows/ps-host/spawn.js';
import { WindowsHostDriver } from './windows/windows-host-driver.js';
import type { HostDriver } from './types.js';

export type DriverSpec = string | { world: WorldApi; node: string };

export interface DriverDeps {
  clock: Clock;
  /** The node name, for the Windows driver (the sim driver takes it from the spec). */
  nodeName?: string;
  /** The Windows driver's settings (absolute paths; defaults: %SystemRoot%'s PowerShell 5.1, %ExtMirrBase%\emcmd.exe). */
  windows?: WindowsDriverSettings;
}

export interface WindowsDriverSettings {
  powershellPath?: string;
  emcmdPath?: string;
  /** Where every command the driver runs is recorded (the agent's log). */
  audit?: AuditLog;
  /** The PowerShell host's own events (start, crash, deadline kill, stderr). */
  log?: HostLog;
  env?: NodeJS.ProcessEnv;
}

/** A driver spec that cannot be used; `id` is stable. */
export class DriverSpecError extends Error {
  constructor(
    readonly id: 'driver-spec-invalid' | 'driver-spec-not-loopback' | 'driver-node-missing',
    message: string,
  ) {
    super(message);
  }
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parse `sim://HOST:PORT/NODE` into the world address and node name. */
export function parseSimDriverUrl(spec: string): { world: string; node: string } {
  const m = /^sim:\/\/([^/]+)\/([^/]*)$/.exec(spec);
  if (!m) {
    throw new DriverSpecError(
      'driver-spec-invalid',
      `driver ${JSON.stringify(spec)}: expected sim://HOST:PORT/NODE, e.g. sim://127.0.0.1:7000/node1`,
    );
  }
  const node = m[2]!;
  if (!NODE_NAME.test(node)) {
    throw new DriverSpecError(
      'driver-spec-invalid',
      `driver ${JSON.stringify(spec)}: node name ${JSON.stringify(node)} must be a DNS label (lower-case letters, digits, "-")`,
    );
  }
  try {
    parseWorldAddress(m[1]!);
  } catch (e) {
    if (e instanceof WorldAddressError) {
      throw new DriverSpecError(
        e.id === 'world-address-not-loopback' ? 'driver-spec-not-loopback' : 'driver-spec-invalid',
        `driver ${JSON.stringify(spec)}: ${e.message}`,
      );
    }
    throw e;
  }
  return { world: m[1]!, node };
}

export function createDriver(spec: DriverSpec, deps: DriverDeps): HostDriver {
  if (typeof spec !== 'string') return new SimHostDriver(spec.world, spec.node, deps.clock);
  if (spec.startsWith('sim://')) {
    const { world, node } = parseSimDriverUrl(spec);
    return new SimHostDriver(new RemoteWorldApi(world), node, deps.clock);
  }
  if (spec === 'windows') {
    if (!deps.nodeName) throw new DriverSpecError('driver-node-missing', 'the windows driver needs the node name (--node)');
    const w = deps.windows ?? {};
    const env = w.env ?? process.env;
    const host = new PowerShellHost({
      spawn: spawnHost(hostCommand(env, w.powershellPath)),
      clock: deps.clock,
      ...(w.log ? { log: w.log } : {}),
    });
    host.warmUp();
    return new WindowsHostDriver({
      nodeName: deps.nodeName,
      host,
      runner: new ChildProcessRunner(),
      clock: deps.clock,
      emcmdPath: resolveEmcmdPath(env, w.emcmdPath),
      ...(w.audit ? { audit: w.audit } : {}),
    });
  }
  throw new DriverSpecError('driver-spec-invalid', `unknown driver ${JSON.stringify(spec)}: use windows or sim://HOST:PORT/NODE`);
}
