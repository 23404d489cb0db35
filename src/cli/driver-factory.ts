/**
 * The driver choice behind `winha agent --driver`: `sim` is a simulated world
 * in this process, built from the manifests in the store by the same builder
 * `winha sim world` and the scenarios use (only this node's agent runs in it);
 * `sim://HOST:PORT/NODE` and `windows` go to the drivers' own factory.
 */
import type { Clock } from '../lib/clock.js';
import { SeededRandom, freshSeed } from '../lib/random.js';
import type { HostDriver } from '../drivers/types.js';
import type { WindowsDriverSettings } from '../drivers/factory.js';
import type { Store } from '../store/types.js';

const MANIFEST_KINDS = ['Cluster', 'FailoverGroup', 'VirtualIP', 'Mirror', 'IISSite'] as const;

export async function createDriver(
  kind: string,
  node: string,
  clock: Clock,
  store: Store,
  windows: WindowsDriverSettings = {},
): Promise<HostDriver> {
  const { createDriver: createHostDriver } = await import('../drivers/factory.js');
  if (kind !== 'sim') return createHostDriver(kind, { clock, nodeName: node, windows });
  const { worldFromManifests } = await import('../sim/world/world-from-manifests.js');
  const { LocalWorldApi } = await import('../drivers/sim/world-protocol.js');
  const objects: Record<string, unknown>[] = [];
  for (const k of MANIFEST_KINDS) objects.push(...(await store.objects.list(k)).items);
  const world = worldFromManifests(objects, clock, new SeededRandom(freshSeed()));
  return createHostDriver({ world: new LocalWorldApi(world), node }, { clock });
}
