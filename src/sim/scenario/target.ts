/**
 * The cluster under test, as the scenario engine sees it. The engine never
 * touches agents, stores or worlds directly: everything goes through this
 * interface, so the same scenario runs against
 *   - the real agents on simulated hosts, the memory store and virtual time
 *     (`winha sim run`; implemented with the agent, issue 5/6),
 *   - a fake in tests (test/sim/fake-target.ts), which proves the engine.
 *
 * Rules for implementations:
 *  - Time is virtual and moves only in advance(); now() is in milliseconds.
 *  - Everything is deterministic given `seed`: the same calls in the same
 *    order give the same observations (the engine's byte-identical trace
 *    depends on it).
 *  - Methods never throw for a refused operation or a failed fault: they
 *    report it in their result. They throw only when the target itself is
 *    broken (the engine reports that as a failed step and stops).
 */
import type { Fault, FaultResult } from '../../drivers/sim/world-faults.js';
import type { ManualAction, OperatorAction, WorldTimingOption } from './model.js';
import type { WorldInspection } from '../../drivers/sim/world-protocol.js';

export interface TargetSetup {
  /** The WinHA objects to apply (scenario timing already applied to the Clusters). */
  objects: readonly Record<string, unknown>[];
  seed: number;
  /** Timing of the simulated hosts (the scenario's `spec.world`); unset: the world's defaults. */
  world?: WorldTimingOption;
}

/** One group as its status in the store says (written by the agents). */
export interface GroupObservation {
  namespace: string;
  name: string;
  /** From spec (after operator changes). */
  desiredState: 'InService' | 'OutOfService';
  maintenance: boolean;
  activeNode?: string;
  epoch?: number;
  phase?: string;
  /** Condition Ready is True. */
  ready: boolean;
  conditions: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; code?: number; message?: string }[];
  /** Per-node LifeKeeper state (ISP, ISU, OSU, OSF, UNKNOWN), and a ban's end (virtual epoch ms). */
  nodes: { name: string; state: string; bannedUntil?: number }[];
  /** The group's lease record in the store, if one was ever written ('' holder: released). */
  lease?: { holder: string; epoch: number };
}

/** An Event the agents wrote. */
export interface EventObservation {
  /** Virtual time it was (last) written, ms. */
  at: number;
  type: 'Normal' | 'Warning';
  reason: string;
  code?: number;
  node?: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  /** The FailoverGroup the event concerns (the object itself, or its spec.group); resolved by the target. */
  group?: string;
}

/** What the invariants and conditions read at one instant. */
export interface Observation {
  /** Virtual time, ms. */
  at: number;
  world: WorldInspection;
  groups: GroupObservation[];
}

export interface CommandResult {
  accepted: boolean;
  /** The CLI's message (the reason when refused). */
  message: string;
}

export interface ScenarioTarget {
  /** Build the world from the objects, apply them to the store, start one agent per node. */
  start(setup: TargetSetup): Promise<void>;
  /** Virtual time, ms. */
  now(): number;
  /** Let ms of virtual time pass, running every agent, timer and host on the way. */
  advance(ms: number): Promise<void>;
  /** The world and the store's group statuses, now. */
  observe(): Promise<Observation>;
  /** Every event written so far, oldest first (the engine remembers how many it has seen). */
  events(): Promise<EventObservation[]>;
  /**
   * A fault of design §5. agentStop/agentStart and storePartition/storeHeal are
   * the target's business (stop an agent, cut its store client); the others
   * go to the world (`world.fault`). The world must see every fault, so that
   * its inspection shows the host flags.
   */
  injectFault(fault: Fault): Promise<FaultResult>;
  /** What `winha switchover|clear|maintenance|apply` does. */
  operator(action: OperatorAction): Promise<CommandResult>;
  /** A change by hand on one host (see ./manual-actions.ts for a ready implementation on a WorldApi). */
  manual(action: ManualAction): Promise<CommandResult>;
  /** Stop agents and timers; the target is not used again. */
  stop(): Promise<void>;
}

/** Builds a fresh target per run (the fuzzer and shrinker run many). */
export type ScenarioTargetFactory = () => ScenarioTarget;
