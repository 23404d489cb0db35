/**
 * What every kind's reconciler is given to act on this node's host for one group: the driver, the call options
 * carrying the lease epoch, and `note` to record an Event (bounded by the lease's renewDeadline by the caller).
 * A step that brings the group up and fails throws KitFailure (its kit code); any other throw is the driver's.
 */
import type { VirtualIP } from '../api/types.js';
import type { CloudRoute } from '../cloud/vip-routing.js';
import type { CallOptions, HostDriver } from '../drivers/types.js';

export interface Involved {
  kind: string;
  metadata: { name: string; namespace?: string };
}

export type Note = (
  obj: Involved,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  code?: number,
  epoch?: number,
) => Promise<void>;

export interface StepContext {
  driver: HostDriver;
  node: string;
  o: CallOptions;
  note: Note;
  /** The lease epoch the step runs under (also in `o`), for the events it records. */
  epoch: number;
  /** Move an API-moved VirtualIP's cloud routing to this node under `epoch` (absent: this agent has no cloud). */
  claimCloud?: (v: VirtualIP) => Promise<CloudRoute>;
}

/** A bring-up step failed with a kit code (docs/spec/seed-iis.md §6.3): the group event gets `endCode` (9408) when given. */
export class KitFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
    readonly endCode?: number,
    /** Caused by a driver error classed transient. */
    readonly transient = false,
  ) {
    super(message);
  }
}
