/**
 * What a golden expected.json leaves out, in one place: the conditions in
 * their default (nothing-to-report) state and an empty event list. The test
 * compares stripDefaults(decide(input)) with expected.json and, separately,
 * requires every condition type it writes exactly once in the full decision
 * (writtenConditionTypes), so leaving
 * defaults out can never hide a condition decide() stopped writing.
 */
import type { Decision, DecisionCondition, DecisionInput } from '../../src/controller/decision-types.js';

type ConditionType = DecisionCondition['type'];
type ConditionState = Omit<DecisionCondition, 'type'>;

/**
 * Every condition type decide() writes, with its default state (null: no
 * default, always written out). A default matches on status, reason and
 * message, so a changed message still shows up in the diff. Being a Record
 * over the type union, a new condition type does not compile until listed here.
 */
export const DEFAULT_CONDITIONS: Record<ConditionType, ConditionState | null> = {
  Ready: null,
  Degraded: { status: 'False', reason: 'FullRedundancy', message: 'every node is up and every mirror in sync' },
  MirrorInSync: { status: 'True', reason: 'Mirroring', message: 'every target is Mirroring' },
  PromotionBlocked: { status: 'False', reason: 'None', message: 'no promotion is blocked' },
  Failed: { status: 'False', reason: 'None', message: 'no failure' },
  Maintenance: { status: 'False', reason: 'NotInMaintenance', message: 'checks and moves are enabled' },
};

export const CONDITION_TYPES = Object.keys(DEFAULT_CONDITIONS) as ConditionType[];

/** The decision as expected.json holds it: default conditions and an empty event list left out. */
export type GoldenDecision = Omit<Decision, 'events'> & { events?: Decision['events'] };

export function isDefaultCondition(c: DecisionCondition): boolean {
  const d = DEFAULT_CONDITIONS[c.type];
  return d !== null && c.status === d.status && c.reason === d.reason && c.message === d.message && c.code === undefined;
}

export function stripDefaults(d: Decision): GoldenDecision {
  const { events, ...rest } = d;
  const out: GoldenDecision = { ...rest, conditions: d.conditions.filter((c) => !isDefaultCondition(c)) };
  if (events.length > 0) out.events = events;
  return out;
}

/** The condition types decide() writes for this input: all of them, MirrorInSync only for a group with mirrors. */
export function writtenConditionTypes(input: DecisionInput): ConditionType[] {
  return CONDITION_TYPES.filter((t) => t !== 'MirrorInSync' || input.mirrors.length > 0);
}

/** Problems with the condition types of a full decision (each written type exactly once, no other); [] when fine. */
export function conditionTypeProblems(input: DecisionInput, d: Decision): string[] {
  const written = writtenConditionTypes(input);
  const problems: string[] = [];
  for (const t of CONDITION_TYPES) {
    const n = d.conditions.filter((c) => c.type === t).length;
    const want = written.includes(t) ? 1 : 0;
    if (n !== want) problems.push(`${t} appears ${n} times, not ${want}`);
  }
  for (const c of d.conditions) if (!CONDITION_TYPES.includes(c.type)) problems.push(`unknown condition type ${c.type}`);
  return problems;
}
