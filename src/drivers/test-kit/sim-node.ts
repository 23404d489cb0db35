/**
 * `winha driver test --driver sim`: a one-node simulated world in this process,
 * on virtual time (the world's service starts and duplicate address detection
 * take seconds; CI should not wait them out), so the full test runs in CI.
 */
import { VirtualClock } from '../../lib/clock.js';
import { SeededRandom } from '../../lib/random.js';
import { World } from '../../sim/world/world.js';
import { createDriver } from '../factory.js';
import { LocalWorldApi } from '../sim/world-protocol.js';
import type { HostDriver, HostDriverOperation } from '../types.js';

export const SIM_INTERFACE = 'Ethernet';
export const SIM_NODE_ADDRESS = '10.99.0.11';
export const SIM_SCRATCH_ADDRESS = '10.99.0.200';

export interface SimNode {
  clock: VirtualClock;
  world: World;
  driver: HostDriver;
  /** Run `p` to completion, moving virtual time forward while it waits. */
  drive: <T>(p: Promise<T>) => Promise<T>;
}

export interface SimNodeOptions {
  node: string;
  /** Mirrorable volumes of the node (and of the peer). */
  volumes?: string[];
  /** Add a second host holding this address, the target of a scratch mirror. */
  peerAddress?: string;
  /** Driver operations that fail once each (the world's commandFail fault). */
  failOperations?: HostDriverOperation[];
}

export async function simNode(opts: SimNodeOptions): Promise<SimNode> {
  const clock = new VirtualClock();
  const volumes = (opts.volumes ?? []).map((letter) => ({ letter, totalBlocks: 4096, usedBlocks: 512 }));
  const hosts = [
    {
      name: opts.node,
      interfaces: [{ alias: SIM_INTERFACE, mac: '00-15-5D-99-00-11', addresses: [{ address: SIM_NODE_ADDRESS, prefixLength: 24 }] }],
      volumes,
    },
  ];
  if (opts.peerAddress !== undefined) {
    hosts.push({
      name: `${opts.node}-peer`,
      interfaces: [{ alias: SIM_INTERFACE, mac: '00-15-5D-99-00-12', addresses: [{ address: opts.peerAddress, prefixLength: 24 }] }],
      volumes,
    });
  }
  const world = new World(clock, new SeededRandom(1), { hosts });
  const driver = createDriver({ world: new LocalWorldApi(world), node: opts.node }, { clock });
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => undefined);
    // Bounded: an hour of virtual time is far past every call's deadline.
    for (let spent = 0; !done && spent < 3_600_000; spent += 50) await clock.advance(50);
    return watched;
  };
  // Boot: WAS and W3SVC reach Running before the test starts, as on a node that has been up a while.
  await clock.advance(5_000);
  for (const operation of opts.failOperations ?? []) world.inject({ type: 'commandFail', node: opts.node, times: 1, operation });
  return { clock, world, driver, drive };
}
