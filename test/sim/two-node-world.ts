/**
 * The standard test world: node1 and node2 on one segment, each with a
 * management/replication address and a mirrorable E: volume, IIS installed.
 */
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { World, type WorldConfig } from '../../src/sim/world/world.js';
import { LocalWorldApi, callWorld } from '../../src/drivers/sim/world-protocol.js';
import { SimHostDriver } from '../../src/drivers/sim/sim-host-driver.js';
import type { Fault } from '../../src/drivers/sim/world-faults.js';
import type { CallOptions, SiteDefinition } from '../../src/drivers/types.js';

export const VIP = '10.0.0.50';
export const NODE1_IP = '10.0.0.11';
export const NODE2_IP = '10.0.0.12';

export const o = (epoch = 1, timeoutMs = 120_000): CallOptions => ({ epoch, timeoutMs });

export const webSite = (overrides: Partial<SiteDefinition> = {}): SiteDefinition => ({
  name: 'web1',
  bindings: [{ protocol: 'http', address: VIP, port: 80, hostHeader: 'www.example.com' }],
  physicalPath: 'E:\\wwwroot\\web1',
  applicationPool: 'web1',
  serverAutoStart: false,
  ...overrides,
});

export function twoNodeWorld(seed = 1, extra: Partial<WorldConfig> = {}) {
  const clock = new VirtualClock();
  const world = new World(clock, new SeededRandom(seed), {
    hosts: [
      {
        name: 'node1',
        interfaces: [{ alias: 'Ethernet', mac: '00-15-5D-00-00-01', addresses: [{ address: NODE1_IP, prefixLength: 24 }] }],
        volumes: [{ letter: 'E', totalBlocks: 8192, usedBlocks: 2048 }],
      },
      {
        name: 'node2',
        interfaces: [{ alias: 'Ethernet', mac: '00-15-5D-00-00-02', addresses: [{ address: NODE2_IP, prefixLength: 24 }] }],
        volumes: [{ letter: 'E', totalBlocks: 8192, usedBlocks: 2048 }],
      },
    ],
    ...extra,
  });
  const api = new LocalWorldApi(world);
  const node1 = new SimHostDriver(api, 'node1', clock);
  const node2 = new SimHostDriver(api, 'node2', clock);
  const fault = (f: Fault) => callWorld(api, 'world.fault', { fault: f });
  const inspect = () => callWorld(api, 'world.inspect', {});
  return { clock, world, api, node1, node2, fault, inspect };
}
