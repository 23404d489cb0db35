/**
 * Changes a person makes by hand on a host (IIS Manager, the network
 * settings, the DataKeeper console), applied straight to the world — not
 * through a HostDriver, so they leave no epoch in the world's trace and wait
 * for nothing (an address added by hand settles on its own after DAD).
 * Scenarios use them to create drift (C5, C6) and split brain (M4).
 */
import { callWorld, type WorldApi } from '../../drivers/sim/world-protocol.js';
import type { ManualAction } from './model.js';
import type { CommandResult } from './target.js';
import { isDriverError } from '../../drivers/errors.js';

export async function performManualAction(world: WorldApi, a: ManualAction): Promise<CommandResult> {
  try {
    switch (a.action) {
      case 'startSite':
        await callWorld(world, 'site.start', { host: a.node, name: a.site });
        return { accepted: true, message: `started site ${a.site} on ${a.node} by hand` };
      case 'stopSite':
        await callWorld(world, 'site.stop', { host: a.node, name: a.site });
        return { accepted: true, message: `stopped site ${a.site} on ${a.node} by hand` };
      case 'startService':
        await callWorld(world, 'service.start', { host: a.node, name: a.service });
        return { accepted: true, message: `started ${a.service} on ${a.node} by hand` };
      case 'stopService':
        await callWorld(world, 'service.stop', { host: a.node, name: a.service });
        return { accepted: true, message: `stopped ${a.service} on ${a.node} by hand` };
      case 'addAddress':
        await callWorld(world, 'net.add', {
          host: a.node,
          vip: { address: a.address, prefixLength: a.prefixLength, interfaceAlias: a.interface },
        });
        return { accepted: true, message: `added ${a.address}/${a.prefixLength} on ${a.node} (${a.interface}) by hand` };
      case 'removeAddress':
        await callWorld(world, 'net.remove', { host: a.node, address: a.address });
        return { accepted: true, message: `removed ${a.address} from ${a.node} by hand` };
      case 'switchoverMirror':
        await callWorld(world, 'mirror.switchover', { host: a.node, volume: a.volume, force: a.force });
        return { accepted: true, message: `switched mirror ${a.volume}: over to ${a.node}${a.force ? ' (forced)' : ''} by hand` };
    }
  } catch (e) {
    if (isDriverError(e)) return { accepted: false, message: `${e.code}: ${e.message}` };
    throw e;
  }
}
