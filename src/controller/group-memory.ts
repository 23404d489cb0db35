/**
 * What the agent remembers about one group between cycles (lost on restart, by design), by concern: the facts
 * decide() is given, the health-check schedule, the takeover under way, and the reconcile's own bookkeeping.
 * The executor never writes here: it returns a MemoryPatch that the cycle applies.
 */
import type { RememberedFacts } from './decision-input.js';
import type { NodeHistory } from './decision-types.js';
import type { FenceRecord } from './status/fence-report.js';
import type { Takeover } from './status/group-status.js';

export interface GroupMemory {
  facts: Omit<RememberedFacts, 'ownHistory'>;
  /** Its own history as last written, with the group's cached resourceVersion it was written over. */
  ownHistory?: { rv: string; history: NodeHistory };
  /** We served the group in a steady cycle: a site found down afterwards is a failure, not a start. */
  served: boolean;
  takeover?: Takeover;
  checks: { nextQuick?: number; nextDeep?: number };
  /** Where in each check interval this group's checks fall, in [0, 1) (health-checks.ts checkPhase). */
  checkPhase: number;
  wasPaused: boolean;
  lastReason?: string;
  /** When this node last wrote the group's status (monotonic): a non-holder writes at most once per retryPeriod. */
  lastStatusWrite?: number;
  /** Since when (monotonic) this holder's host has not answered its observation; gone with the first answer. */
  unobservedSince?: number;
  /** This standby wrote itself UNKNOWN because it cannot see its host (written once per blind spell). */
  blindReported?: boolean;
  /** Since when (monotonic) this holder's health checks have found no answer from its host; gone with a checked round. */
  checksUnansweredSince?: number;
  /** Since when (monotonic) an address this node added has been in duplicate address detection; gone when it settled. */
  addressWaitSince?: number;
  /** A self-fence to report once the store answers again (kept here, not in the store: it is what failed). */
  fence?: FenceRecord;
}

export function newGroupMemory(checkPhase = 0): GroupMemory {
  return { facts: {}, served: false, checks: {}, checkPhase, wasPaused: false };
}

/** Changes to remember, in the order they happened; `null` forgets a fact. */
export interface MemoryPatch {
  facts: { [K in keyof GroupMemory['facts']]?: GroupMemory['facts'][K] | null };
  served?: boolean;
  takeover?: Takeover | null;
  ownHistory?: { rv: string; history: NodeHistory };
}

export function emptyPatch(): MemoryPatch {
  return { facts: {} };
}

export function applyPatch(mem: GroupMemory, p: MemoryPatch): void {
  for (const [k, v] of Object.entries(p.facts) as [keyof GroupMemory['facts'], unknown][]) {
    if (v === null) delete mem.facts[k];
    else if (v !== undefined) (mem.facts as Record<string, unknown>)[k] = v;
  }
  if (p.served !== undefined) mem.served = p.served;
  if (p.takeover === null) delete mem.takeover;
  else if (p.takeover !== undefined) mem.takeover = p.takeover;
  if (p.ownHistory) mem.ownHistory = p.ownHistory;
}
