/** The driver contract against the simulated host (node1 of a two-node world). */
import { SimHostDriver } from '../../src/drivers/sim/sim-host-driver.js';
import { settle } from '../helpers/virtual-time.js';
import { o, twoNodeWorld, webSite, NODE1_IP, NODE2_IP } from '../sim/two-node-world.js';
import { FOREIGN_MAC, VIP, driverContract, type ContractNode, type Situation } from './contract.js';

async function situation(s: Situation): Promise<ContractNode> {
  const w = twoNodeWorld(7);
  const driver: SimHostDriver = w.node1;
  const run = <T>(p: Promise<T>) => settle(w.clock, p);
  await w.clock.advance(5_000); // boot: WAS + W3SVC Running
  const web = async () => {
    await run(driver.addVirtualIp({ address: VIP, prefixLength: 24, interfaceAlias: 'Ethernet' }, o()));
    await run(driver.ensureSite(webSite(), o()));
  };
  switch (s) {
    case 'webNodeReady':
      await web();
      break;
    case 'webSiteServing':
      await web();
      await run(driver.startSite('web1', o()));
      break;
    case 'bindingHeld':
      await web();
      await run(
        driver.ensureSite(webSite({ name: 'squatter', physicalPath: 'C:\\inetpub\\squatter', applicationPool: 'DefaultAppPool' }), o()),
      );
      await run(driver.startSite('squatter', o()));
      break;
    case 'noSites':
    case 'noMirror':
      break;
    case 'vipClaimedElsewhere':
      await w.fault({ type: 'ipConflict', address: VIP, claimantMac: FOREIGN_MAC });
      break;
    case 'mirrorSource':
      await run(driver.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
      await w.clock.advance(5_000);
      break;
    case 'mirrorResyncing':
      await run(driver.createMirror({ volume: 'E', sourceAddress: NODE1_IP, targetAddress: NODE2_IP, mode: 'Synchronous' }, o()));
      await w.clock.advance(1_100); // two engine ticks: Resync Pending → Resync, then the first blocks sent
      break;
    case 'mirrorTargetPaused': {
      // Here node1 is the target: node2 owns the mirror and pauses it.
      await run(w.node2.createMirror({ volume: 'E', sourceAddress: NODE2_IP, targetAddress: NODE1_IP, mode: 'Synchronous' }, o()));
      await w.clock.advance(5_000);
      await run(w.node2.pauseMirror('E', o()));
      break;
    }
  }
  return { driver, settle: run };
}

driverContract({ name: 'sim', situation });
