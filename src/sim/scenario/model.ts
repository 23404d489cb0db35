/**
 * A parsed Scenario (design §5): what to set up, what to do step by step,
 * and which invariants must hold throughout. Plain data: the parser builds
 * it from a file, the fuzzer builds it from random draws, the writer turns
 * it back into a file.
 */
import type { Fault } from '../../drivers/sim/world-faults.js';
import type { ServiceName } from '../../drivers/types.js';

export const INVARIANT_NAMES = ['singleActive', 'noUnsafePromotion', 'noLostWrites', 'converges', 'available'] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

/** DataKeeper mirror states by name (docs/spec/seed003-datakeeper.md §4.1). */
export const MIRROR_STATE_NAMES = ['None', 'Mirroring', 'Resync', 'Broken', 'Paused', 'ResyncPending'] as const;
export type MirrorStateName = (typeof MIRROR_STATE_NAMES)[number];
export const MIRROR_STATE_CODE: Record<MirrorStateName, number> = {
  None: 0,
  Mirroring: 1,
  Resync: 2,
  Broken: 3,
  Paused: 4,
  ResyncPending: 5,
};

export interface LeaseTiming {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/**
 * Timing of the simulated hosts (what the world models, not what WinHA
 * chooses), in virtual ms; unset fields keep the world's defaults
 * (src/sim/world/world.ts DEFAULT_SIM_TIMING). Scenario key `spec.world`.
 */
export interface WorldTimingOption {
  /** DataKeeper: a switchover whose source does not answer (the target tries it first; 30–40 s, docs/spec/seed003-dk-guide-troubleshooting.md §4.2). */
  switchoverUnreachableMs?: number;
  /** DataKeeper: a switchover whose source answers. */
  switchoverMs?: number;
  /** Service Control Manager: StartPending → Running. */
  serviceStartMs?: number;
  /** Service Control Manager: StopPending → Stopped. */
  serviceStopMs?: number;
  /** Duplicate address detection: how long a new address stays Tentative. */
  dadMs?: number;
  /** DataKeeper resync speed, 64 KB blocks per second. */
  resyncBlocksPerSecond?: number;
}

export interface EventMatch {
  reason?: string;
  /** Group name: matches events whose involved object is the group or one of its resources. */
  group?: string;
  node?: string;
  code?: number;
  type?: 'Normal' | 'Warning';
  /** Case-insensitive substring of the message. */
  messageContains?: string;
}

/** Something observable that a waitFor waits for or an expect asserts. */
export type Condition =
  | {
      kind: 'group';
      group: string;
      activeNode?: string;
      ready?: boolean;
      phase?: string;
      condition?: {
        type: string;
        status?: 'True' | 'False' | 'Unknown';
        reason?: string;
        code?: number;
        /** Case-insensitive substring of the condition's message. */
        messageContains?: string;
        /** JavaScript regular expression the message must match (checked when the scenario is read). */
        messageMatches?: string;
      };
      /** The group's lease in the store: who holds it ('' = released) and its epoch (the fencing token). */
      lease?: { holder?: string; epoch?: number; maxEpoch?: number };
      /** LifeKeeper state per node: ISP, ISU, OSU, OSF, UNKNOWN. */
      nodeStates?: Record<string, string>;
    }
  /** `state`: the source's worst target; `targets`: per target node, the state of the source's mirror to it. */
  | { kind: 'mirror'; mirror: string; state?: MirrorStateName; source?: string; targets?: Record<string, MirrorStateName> }
  | {
      kind: 'event';
      match: EventMatch;
      absent: boolean;
      /** Only events written since this step (by `name:`) started. */
      since?: string;
      /** How many matching event writes (creations and updates) there must be; default at least one (none for noEvent). */
      min?: number;
      max?: number;
    }
  | { kind: 'site'; site: string; node: string; state: 'Started' | 'Stopped' }
  | { kind: 'address'; address: string; holders: string[] }
  /** Exactly the nodes the cloud network sends a cloud-routed address's traffic to (WorldInspection.cloudRoutes). */
  | { kind: 'cloudRoute'; address: string; nodes: string[] };

/** What an operator does with the winha CLI. */
export type OperatorAction =
  | { action: 'switchover'; group: string; to: string; force: boolean }
  | { action: 'clear'; group: string; node?: string }
  | { action: 'maintenance'; enabled: boolean; group?: string; node?: string }
  | { action: 'setDesiredState'; group: string; state: 'InService' | 'OutOfService' };

/** What a person does by hand on one host (IIS Manager, ncpa.cpl, the DataKeeper UI), outside WinHA. */
export type ManualAction =
  | { action: 'startSite'; node: string; site: string }
  | { action: 'stopSite'; node: string; site: string }
  | { action: 'startService'; node: string; service: ServiceName }
  | { action: 'stopService'; node: string; service: ServiceName }
  | { action: 'addAddress'; node: string; address: string; prefixLength: number; interface: string }
  | { action: 'removeAddress'; node: string; address: string }
  | { action: 'switchoverMirror'; node: string; volume: string; force: boolean };

export interface SourcePlace {
  file: string;
  line: number;
  column: number;
}

interface StepBase {
  /** Optional label shown in the report. */
  name?: string;
  /** Where the step is written (absent for generated scenarios). */
  place?: SourcePlace;
}

export type Step = StepBase &
  (
    | { type: 'waitFor'; condition: Condition; withinMs: number }
    | { type: 'expect'; condition: Condition; /** Must hold continuously this long (0: once, now). */ forMs: number }
    | { type: 'fault'; fault: Fault }
    | { type: 'sleep'; ms: number }
    | { type: 'operator'; operator: OperatorAction; outcome: 'accepted' | 'refused' | 'any' }
    | { type: 'manual'; manual: ManualAction; outcome: 'accepted' | 'refused' | 'any' }
  );

export type StepType = Step['type'];

export interface Scenario {
  name: string;
  /** The scenario file ('' for generated ones). */
  file: string;
  /** Manifest paths as written (relative to the file), if the scenario used `manifests`. */
  manifestPaths: string[];
  /** Manifest files as resolved (absolute), for tools that rewrite the scenario elsewhere. */
  manifestFiles: string[];
  /** The WinHA objects to apply, with the scenario's timing already applied to every Cluster. */
  objects: Record<string, unknown>[];
  timing?: LeaseTiming;
  /** Simulated host timing (`spec.world`). */
  world?: WorldTimingOption;
  steps: Step[];
  invariants: InvariantName[];
  /** converges: every InService group Ready within this long after the last disturbance. */
  convergeWithinMs: number;
  /** Seed written in the file (the command line's --seed wins). */
  seed?: number;
}

/** Default bound of `converges`: generous next to lease 15 s + resync of a small volume. */
export const DEFAULT_CONVERGE_WITHIN_MS = 120_000;
