/** The world protocol's `mirror.*` operations on the simulated DataKeeper (the host is checked up by the caller). */
import type { DataKeeper } from './datakeeper.js';
import { normalizeVolume } from '../../drivers/types.js';
import type { WorldRequest } from '../../drivers/sim/world-protocol.js';

export type MirrorRequest = Extract<WorldRequest, { op: `mirror.${string}` }>;

export function isMirrorRequest(r: WorldRequest): r is MirrorRequest {
  return r.op.startsWith('mirror.');
}

export function mirrorOp(dk: DataKeeper, r: MirrorRequest): unknown {
  const host = r.args.host;
  switch (r.op) {
    case 'mirror.info':
      return dk.info(host, normalizeVolume(r.args.volume));
    case 'mirror.switchoverFailure':
      return dk.switchoverFailure(host, normalizeVolume(r.args.volume))?.toData() ?? null;
    case 'mirror.switchover':
      dk.switchover(host, normalizeVolume(r.args.volume), r.args.force);
      return null;
    case 'mirror.create':
      dk.create(host, { ...r.args.create, volume: normalizeVolume(r.args.create.volume) });
      return null;
    case 'mirror.lock':
      dk.lock(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.unlock':
      dk.unlock(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.pause':
      dk.pause(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.continue':
      dk.continue(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.break':
      dk.break(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.resync':
      dk.resync(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.delete':
      dk.delete(host, normalizeVolume(r.args.volume));
      return null;
    case 'mirror.prepareTarget':
      dk.prepareToBecomeTarget(host, normalizeVolume(r.args.volume));
      return null;
  }
}
