/**
 * The driver choice behind `--driver`: `sim` is a simulated host in-process
 * (one world per process, built from the Cluster and its groups in the store);
 * `windows` is the PowerShell/EMCMD driver. A later `sim://ADDR/NODE` (a
 * shared world server) plugs in here.
 */
import type { Clock } from '../lib/clock.js';
import { SeededRandom, freshSeed } from '../lib/random.js';
import type { HostDriver } from '../drivers/types.js';
import type { Store } from '../store/types.js';

export async function createDriver(kind: string, node: string, clock: Clock, store: Store): Promise<HostDriver> {
  if (kind === 'sim') {
    const { World } = await import('../sim/world.js');
    const { LocalWorldApi } = await import('../sim/world-api.js');
    const { SimHostDriver } = await import('../drivers/sim/sim-host-driver.js');
    // Build this node's host from the Cluster (management address) and the Mirrors (replication address, volume).
    const clusters = (await store.objects.list('Cluster')).items;
    const mirrors = (await store.objects.list('Mirror')).items;
    const me = clusters.flatMap((c) => ((c.spec as { nodes?: { name: string; address: string }[] }).nodes ?? [])).find((n) => n.name === node);
    const addresses = [{ address: /^\d+\.\d+\.\d+\.\d+$/.test(me?.address ?? '') ? me!.address : '10.255.0.1', prefixLength: 24 }];
    const repl = mirrors.flatMap((m) => ((m.spec as { endpoints?: { node: string; address: string }[] }).endpoints ?? [])).find((e) => e.node === node);
    // Interfaces the VirtualIPs name for this node (default "Ethernet"), so addVip finds them.
    const vipIfaces = (await store.objects.list('VirtualIP')).items.map((v) => {
      const spec = v.spec as { interface?: string; nodeInterfaces?: { node: string; interface: string }[] };
      return spec.nodeInterfaces?.find((n) => n.node === node)?.interface ?? spec.interface ?? 'Ethernet';
    });
    const extra = [...new Set(vipIfaces)].filter((a) => a !== 'Ethernet').map((alias, i) => ({ alias, mac: `00-15-5D-00-02-0${i + 1}`, addresses: [] }));
    const volumes = [...new Set(mirrors.map((m) => String((m.spec as { volume?: string }).volume ?? 'E').charAt(0).toUpperCase()))].map((letter) => ({ letter }));
    const world = new World(clock, new SeededRandom(freshSeed()), {
      hosts: [{
        name: node,
        interfaces: [
          { alias: 'Ethernet', mac: '00-15-5D-00-00-01', addresses },
          ...extra,
          ...(repl ? [{ alias: 'Replication', mac: '00-15-5D-00-01-01', addresses: [{ address: repl.address, prefixLength: 24 }] }] : []),
        ],
        volumes,
      }],
    });
    return new SimHostDriver(new LocalWorldApi(world), node, clock);
  }
  if (kind === 'windows') {
    const { WindowsHostDriver } = await import('../drivers/windows/windows-host-driver.js');
    const { ChildProcessRunner } = await import('../drivers/windows/command-runner.js');
    return new WindowsHostDriver({ nodeName: node, runner: new ChildProcessRunner(), clock });
  }
  throw new Error(`unknown driver "${kind}" (use sim or windows)`);
}
