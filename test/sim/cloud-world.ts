/**
 * A two-node world in a cloud, built from manifests: one VirtualIP per cloud provider, all in group `web`
 * (node1 preferred). Shared by the cloud network, sim-cloud transport and invariant tests.
 */
import { VirtualClock } from '../../src/lib/clock.js';
import { SeededRandom } from '../../src/lib/random.js';
import { LocalWorldApi, callWorld, type WorldOp, type WorldOps } from '../../src/drivers/sim/world-protocol.js';
import type { Fault } from '../../src/drivers/sim/world-faults.js';
import { worldFromManifests } from '../../src/sim/world/world-from-manifests.js';
import { base } from '../support/validate-set.js';

export const SECONDARY = '10.0.1.50';
export const ROUTED = '192.168.50.10';
export const ELASTIC = '203.0.113.7';
export const AZURE = '10.0.1.60';
export const PROBE_PORT = 59999;
export const TABLE = 'rtb-0123456789abcdef0';
export const ALLOCATION = 'eipalloc-0123456789abcdef0';
/** node1's and node2's ENIs on their only interface (cloud-from-topology's id form). */
export const ENI1 = 'eni-00000000100000001';
export const ENI2 = 'eni-00000000200000001';

const vip = (name: string, address: string, provider: Record<string, unknown>) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'VirtualIP',
  metadata: { name },
  spec: { group: 'web', address, prefixLength: 24, provider },
});

/** The acceptance base's cluster and group (src of truth: test/support/validate-set.ts), on a VPC subnet. */
export function cloudObjects(): Record<string, unknown>[] {
  const [cluster, group] = base().filter((o) => o['kind'] === 'Cluster' || o['kind'] === 'FailoverGroup');
  cluster!['spec'].nodes = [
    { name: 'node1', address: '10.0.1.11' },
    { name: 'node2', address: '10.0.1.12' },
  ];
  return [
    cluster!,
    group!,
    vip('sec', SECONDARY, { type: 'awsSecondaryIp' }),
    vip('rt', ROUTED, { type: 'awsRouteTable', routeTableIds: [TABLE] }),
    vip('eip', ELASTIC, { type: 'awsElasticIp', allocationId: ALLOCATION }),
    vip('az', AZURE, { type: 'azureLoadBalancer', probePort: PROBE_PORT }),
  ];
}

export function cloudWorld(seed = 1) {
  const clock = new VirtualClock();
  const world = worldFromManifests(cloudObjects(), clock, new SeededRandom(seed));
  const api = new LocalWorldApi(world);
  const call = <K extends WorldOp>(op: K, args: WorldOps[K]['req']) => callWorld(api, op, args);
  const fault = (f: Fault) => call('world.fault', { fault: f });
  const routes = async () => (await call('world.inspect', {})).cloudRoutes ?? {};
  return { clock, world, api, call, fault, routes, cloud: world.cloud! };
}
