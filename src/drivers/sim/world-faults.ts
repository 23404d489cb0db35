/**
 * Fault types a scenario can inject into the simulated world at any time
 * (design.md §5). Plain data, so a scenario file or another process can send them:
 * they are the messages of the world protocol's `world.fault` (./world-protocol.ts).
 */
import type { HostDriverOperation, ServiceName } from '../types.js';

export type Fault =
  /** The host stops dead: services, sites and virtual IPs gone; disks and the intent log survive. */
  | { type: 'nodeCrash'; node: string }
  /** The host boots: Auto services start, serverAutoStart sites follow. */
  | { type: 'nodeRestore'; node: string }
  /** Flags the agent layer reads (host.status); the host itself keeps serving. */
  | { type: 'agentStop'; node: string }
  | { type: 'agentStart'; node: string }
  | { type: 'storePartition'; node: string }
  | { type: 'storeHeal'; node: string }
  /** Cut DataKeeper traffic between two hosts (both directions); with no peer, from every other host. */
  | { type: 'replicationPartition'; node: string; peer?: string }
  | { type: 'replicationHeal'; node: string; peer?: string }
  /** The service dies at once (no StopPending); its sites stop. */
  | { type: 'serviceStop'; node: string; service: ServiceName }
  | { type: 'siteStop'; node: string; site: string }
  | { type: 'siteDelete'; node: string; site: string }
  /** The site's worker hangs: IIS reports it Started, HTTP gets no answer. A site restart cures it unless `persistent`. */
  | { type: 'siteHang'; node: string; site: string; persistent?: boolean }
  /**
   * The site's worker ignores stop requests: after a stop request IIS keeps reporting it Started for the
   * next `checks` state reads (default 10, the IIS kit's count, so its remove fails with 9556), then it stops.
   */
  | { type: 'siteStuck'; node: string; site: string; checks?: number }
  /** Another site on the host takes the site's first binding (the victim is stopped, the thief started). */
  | { type: 'bindingSteal'; node: string; site: string }
  /** A machine outside the cluster claims the address on the segment. */
  | { type: 'ipConflict'; address: string; claimantMac?: string }
  | { type: 'ipConflictClear'; address: string }
  /**
   * The next `times` driver operations on the node fail (only `operation` if given); with `hang` they do not answer
   * and run into their deadline instead (DriverError Timeout), as a wedged WMI or ARP call does.
   */
  | { type: 'commandFail'; node: string; times: number; operation?: HostDriverOperation; hang?: boolean }
  /** Cancel the commandFail failures still pending on the node (only those of `operation` if given). */
  | { type: 'commandHeal'; node: string; operation?: HostDriverOperation }
  /** The node's wall clock is off by offsetMs (host.status reports it; monotonic time is unaffected). */
  | { type: 'clockSkew'; node: string; offsetMs: number }
  /**
   * The cloud provider's API misbehaves for the next `times` EC2 requests: answers 503 RequestLimitExceeded
   * (`throttle`), never answers (`hang`), or answers the EC2 error `code` with HTTP `status` (`fail`; default
   * InternalError, 500 for it and 400 for any other code).
   */
  | { type: 'cloudApiFault'; mode: 'throttle' | 'hang' | 'fail'; times: number; code?: string; status?: number }
  /** Cancel cloud API faults still pending. */
  | { type: 'cloudApiHeal' }
  /** A secondary-IP assignment becomes visible only this long after EC2 accepted it (AWS remaps asynchronously). */
  | { type: 'cloudAssignDelay'; ms: number }
  /** Someone moves the address's cloud routing to `node` behind WinHA's back (console, script, another tool). */
  | { type: 'cloudDrift'; address: string; node: string }
  /** Client writes to a volume on the node (random blocks unless `block`). */
  | { type: 'write'; node: string; volume: string; count?: number; block?: number };

export type FaultType = Fault['type'];

export interface WriteOutcome {
  id: number;
  block: number;
  accepted: boolean;
  /** Why a write was refused (host down, locked target volume). */
  refusedBecause?: 'HostDown' | 'VolumeLocked' | 'NoSuchVolume';
  /** Acknowledged to the client only after the target had it (synchronous Mirroring). */
  onTarget: boolean;
}

export interface FaultResult {
  writes?: WriteOutcome[];
}
