/**
 * Typed driver failures. Call sites switch on `code` (stable, never reworded)
 * and, where the IIS Recovery Kit defines one, on `kitCode` (docs/spec/seed-iis.md §6.6).
 */
import { mirrorStateOf } from '../api/mirror-states.js';

export type DriverErrorCode =
  /** The operation did not finish within its timeoutMs. */
  | 'Timeout'
  /** The host (or its management channel) cannot be reached. */
  | 'HostUnreachable'
  /** The caller's epoch is older than one the host has already acted on. */
  | 'StaleEpoch'
  /** A value the caller passed is not acceptable (e.g. a volume letter with a colon). */
  | 'InvalidArgument'
  | 'ServiceNotFound'
  /** The service did not reach Running (kit 9409 on restore, 9607 on recover). */
  | 'ServiceStartFailed'
  | 'ServiceStopFailed'
  /** A site operation needs its service Running. */
  | 'ServiceNotRunning'
  /** The site is not in the IIS configuration (kit 9414 / 9420 / 9609). */
  | 'SiteNotFound'
  /** Another started site holds the same protocol/IP:port:host (kit 9422). */
  | 'BindingConflict'
  /** A binding names an IP that is not present (Preferred) on this host. */
  | 'BindingAddressMissing'
  /** The site did not reach Started (kit 9706 / 9606). */
  | 'SiteStartFailed'
  /** The site was still running after the kit's 10 checks (kit 9556). */
  | 'SiteStopFailed'
  | 'InterfaceNotFound'
  | 'AddressNotFound'
  /** The address is already assigned on this host with different settings. */
  | 'AddressInUse'
  /** No DataKeeper mirror on this volume (state 0 / role none where one is required). */
  | 'MirrorNotFound'
  /** The mirror already exists (CREATEMIRROR on a mirrored volume). */
  | 'MirrorExists'
  /** Switchover refused: the mirror is not Mirroring (DataKeeper L11166, svc 187). */
  | 'MirrorNotMirroring'
  /** The command must run on the other side (e.g. PAUSEMIRROR on a target; switchover on a source, svc 265). */
  | 'MirrorWrongRole'
  /** The mirror peer cannot be reached for an operation that needs it. */
  | 'MirrorPeerUnreachable'
  /**
   * LOCKVOLUME failed because a process holds a handle, a switchover whose source cannot lock the volume (LifeKeeper
   * 12035, detail.error), or unlock refused during resync (driver 165).
   */
  | 'VolumeBusy'
  /** Output from a command could not be understood. */
  | 'ParseError'
  /** A command ran and reported failure (non-zero status, PowerShell exception, injected fault). */
  | 'CommandFailed'
  /** The long-lived PowerShell host is not running (starting, crashed, restarting after a deadline kill). */
  | 'HostUnavailable'
  /** The PowerShell host's request queue is full (back-pressure: the caller retries later). */
  | 'HostBusy';

/** Numeric codes of the LifeKeeper IIS Recovery Kit (docs/spec/seed-iis.md §6.6). */
export type IisKitCode =
  | 9407
  | 9408
  | 9409
  | 9414
  | 9420
  | 9422
  | 9556
  | 9557
  | 9558
  | 9563
  | 9606
  | 9607
  | 9609
  | 9704
  | 9705
  | 9706
  | 9707
  | 9754
  | 9755
  | 9756
  | 9757
  | 9758
  | 9759
  | 9760
  | 9765
  | 9773;

export interface DriverErrorData {
  code: DriverErrorCode;
  message: string;
  kitCode?: IisKitCode;
  /** True when retrying the same call may succeed (network blips, busy service). */
  transient?: boolean;
  /** Extra facts for operators (e.g. the site that holds a conflicting binding). */
  detail?: Record<string, string | number | boolean>;
}

export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly kitCode: IisKitCode | undefined;
  readonly transient: boolean;
  readonly detail: Record<string, string | number | boolean> | undefined;

  constructor(data: DriverErrorData) {
    super(data.message);
    this.name = 'DriverError';
    this.code = data.code;
    this.kitCode = data.kitCode;
    this.transient = data.transient ?? false;
    this.detail = data.detail;
  }

  /** Plain data, for crossing a process boundary (WorldApi, JSON). */
  toData(): DriverErrorData {
    const d: DriverErrorData = { code: this.code, message: this.message };
    if (this.kitCode !== undefined) d.kitCode = this.kitCode;
    if (this.transient) d.transient = true;
    if (this.detail) d.detail = { ...this.detail };
    return d;
  }

  static fromData(d: DriverErrorData): DriverError {
    return new DriverError(d);
  }
}

export function isDriverError(e: unknown, code?: DriverErrorCode): e is DriverError {
  return e instanceof DriverError && (code === undefined || e.code === code);
}

/**
 * Switchover refused or aborted because the mirror is not Mirroring (DataKeeper L11166; svc 187 during a resync).
 * Transient: DataKeeper reconnects and resyncs a pause it did not ask for by itself, after which the same request succeeds.
 */
export function mirrorNotMirroring(volume: string, node: string, state: number): DriverError {
  const name = mirrorStateOf(state) ?? 'Unknown';
  return new DriverError({
    code: 'MirrorNotMirroring',
    transient: true,
    message: `volume ${volume}: switchover to ${node} refused: mirror state is ${name} (${state}), not Mirroring (1)`,
    detail: { state },
  });
}
