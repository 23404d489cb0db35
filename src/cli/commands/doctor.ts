/**
 * `winha doctor [--node N] [--store URL] [-f MANIFESTS] [--agent-port P] [-o json]`:
 * gathers facts (store, PowerShell host, TCP probes), runs the pure checks of
 * src/drivers/doctor/checks.ts and prints a table. Exit 0 nothing failed (warnings
 * allowed), 1 a check failed, 2 bad flags.
 */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { SystemClock } from '../../lib/clock.js';
import { runDoctor } from '../../drivers/doctor/checks.js';
import { expectationsFromManifests } from '../../drivers/doctor/expectations.js';
import { formatDoctor } from '../../drivers/doctor/format.js';
import { gatherDoctorFacts, tcpConnectWith } from '../../drivers/doctor/gather.js';
import { PowerShellHost } from '../../drivers/windows/ps-host/process-host.js';
import { hostCommand, spawnHost, windowsPowerShellPath } from '../../drivers/windows/ps-host/spawn.js';
import type { DoctorExpectations, StoreFacts } from '../../drivers/doctor/types.js';
import { resolveStoreUrl } from '../../store/index.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, readManifestSet, type StoreFlags } from '../store.js';

export interface DoctorFlags extends StoreFlags {
  node?: string;
  filename?: string[];
  recursive?: boolean;
  agentPort?: string;
  output?: string;
}

const MANIFEST_KINDS = ['Cluster', 'FailoverGroup', 'VirtualIP', 'Mirror', 'IISSite'] as const;

/** A store URL as shown to people: any user:password@ part removed. */
export function displayUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

export async function runDoctorCommand(flags: DoctorFlags, io: CliIO): Promise<number> {
  const node = flags.node ?? hostname().toLowerCase();
  let agentPort: number | undefined;
  if (flags.agentPort !== undefined) {
    agentPort = Number(flags.agentPort);
    if (!/^\d+$/.test(flags.agentPort) || agentPort < 1 || agentPort > 65535)
      throw new UsageError(`--agent-port ${flags.agentPort}: give a TCP port from 1 to 65535`);
  }
  const clock = new SystemClock();
  const { facts: storeFacts, objects: stored } = await probeStore(flags, io, clock);
  let objects = stored;
  if (flags.filename && flags.filename.length > 0) {
    const report = await readManifestSet(flags.filename, !!flags.recursive, io, []);
    objects = report.objects.map((o) => o.obj);
  }
  const expectations = expectationsFromManifests(objects, node, agentPort !== undefined ? { agentPort } : {});
  const powershellPath = windowsPowerShellPath(io.env);
  const fileExists = (p: string) =>
    access(p).then(
      () => true,
      () => false,
    );
  const cloud = await cloudDeps(expectations, node, clock, io, powershellPath, fileExists);
  const facts = await gatherDoctorFacts(
    {
      clock,
      powershellPath,
      fileExists,
      openPsHost: () => Promise.resolve(new PowerShellHost({ spawn: spawnHost(hostCommand(io.env)), clock, pingIntervalMs: 0 })),
      tcpConnect: tcpConnectWith(clock),
      store: storeFacts,
      ...(cloud ? { cloud: cloud.deps } : {}),
    },
    expectations,
  ).finally(() => cloud?.close());
  const results = runDoctor(facts, expectations);
  if (flags.output === 'json') io.stdout.write(JSON.stringify({ node, expectations, facts, results }, null, 2) + '\n');
  else io.stdout.write(formatDoctor(node, results));
  return results.some((r) => r.status === 'fail') ? EXIT.FAILED : EXIT.OK;
}

/** Only for cloud VirtualIPs: AWS through the instance role and IMDSv2, MACs from the Windows driver. */
async function cloudDeps(
  x: DoctorExpectations,
  node: string,
  clock: SystemClock,
  io: CliIO,
  psPath: string,
  exists: (p: string) => Promise<boolean>,
) {
  const vips = x.cloudVips ?? [];
  if (!vips.some((v) => v.provider !== 'azureLoadBalancer')) return undefined;
  const [{ awsCloudAccess }, { driverInterfaceMacs }, { createDriver }] = await Promise.all([
    import('../../cloud/aws/access.js'),
    import('../../drivers/doctor/cloud-gather.js'),
    import('../../drivers/factory.js'),
  ]);
  const access = awsCloudAccess({ clock });
  const fromDriver = driverInterfaceMacs(() => createDriver('windows', { clock, nodeName: node, windows: { env: io.env } }));
  const interfaceMacs = async () =>
    (await exists(psPath)) ? fromDriver() : { unavailable: `not a Windows host (powershell.exe not found at ${psPath})` };
  return { deps: { cloud: access, interfaceMacs }, close: () => access.close() };
}

/** Reach the store with the configured credentials and read the manifests; an error is a fact, not a crash. */
async function probeStore(
  flags: DoctorFlags,
  io: CliIO,
  clock: SystemClock,
): Promise<{ facts: StoreFacts; objects: Record<string, unknown>[] }> {
  const url = displayUrl(resolveStoreUrl(flags.store, io.env));
  const objects: Record<string, unknown>[] = [];
  let store;
  try {
    store = await connect(flags, io);
    for (const k of MANIFEST_KINDS) objects.push(...(await store.objects.list(k)).items);
    return { facts: { url, reachable: true, localTimeMs: clock.now() }, objects };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return { facts: { url, reachable: false, error: (e as Error).message, localTimeMs: clock.now() }, objects: [] };
  } finally {
    await store?.close().catch(() => undefined);
  }
}
