/**
 * LifeKeeper's safety check (docs/spec/seed003-core.md §4, design §4) as a pure decision: before the best candidate
 * takes over after a lease expiry, it needs a fresh probe of the previous active's addresses. `serving` blocks
 * (PreviousActiveStillServing); `unknown` (a probe errored or timed out, none answered) blocks too
 * (SafetyCheckFailed: nothing fails open, issue 15 item 2); only `silent` lets the takeover go on. A blocked result is
 * probed again once it is older than the retry period, so a transient probe failure costs one retry. A forced
 * switchover skips the check (the operator vouches for the old active).
 */
import type { Action, Decision, DecisionCondition, DecisionInput } from './decision-types.js';

/** The PromotionBlocked reason (and Warning event reason) of a safety probe that could not tell. */
export const SAFETY_CHECK_FAILED = 'SafetyCheckFailed';

export type SafetyVerdict =
  | { kind: 'proceed' }
  | { kind: 'probe'; actions: Action[]; reason: string }
  | {
      kind: 'blocked';
      actions: Action[];
      reason: string;
      /** Who serves as far as this node can tell: the previous active if it answers, else nobody. */
      target: string;
      condition: DecisionCondition;
      /** Said once per probe result, not again while it is being re-probed. */
      event?: Decision['events'][number];
    };

/** The verdict for `self`, the best candidate, taking over from `previous` (the expired lease's holder). */
export function safetyVerdict(input: DecisionInput, previous: string, forced: boolean): SafetyVerdict {
  const { lease, self } = input;
  const g = input.group.name;
  if (previous === '' || previous === self || !lease.expired || !input.safetyCheckEnabled || forced) return { kind: 'proceed' };
  const sc = input.safetyCheck?.epoch === lease.epoch ? input.safetyCheck : undefined;
  const stale = !sc || input.now - sc.at > input.safetyCheckMaxAgeMs;
  const probe: Action[] = stale ? [{ type: 'safetyCheck', previous, epoch: lease.epoch }] : [];
  if (!sc || (stale && sc.outcome === 'silent')) {
    return {
      kind: 'probe',
      actions: probe,
      reason: `${self} is the best candidate for ${g}: probing whether ${previous} still serves before taking over`,
    };
  }
  if (sc.outcome === 'silent') return { kind: 'proceed' };
  // A blocking result stands until the next probe answers (else the status would flap between probes).
  const event = (e: Decision['events'][number]) => (stale ? {} : { event: e });
  if (sc.outcome === 'unknown') {
    const retry = Math.max(1, Math.round(input.safetyCheckMaxAgeMs / 1000));
    const msg = `${previous}'s lease of ${g} expired but ${self} ${sc.detail}; not taking over on an unknown probe: ${self} probes again in ${retry} s (or an operator forces: winha switchover ${g} --to ${self} --force)`;
    return {
      kind: 'blocked',
      actions: probe,
      reason: msg,
      target: '',
      condition: { type: 'PromotionBlocked', status: 'True', reason: SAFETY_CHECK_FAILED, message: msg },
      ...event({ type: 'Warning', reason: SAFETY_CHECK_FAILED, message: msg }),
    };
  }
  // No --force hint: forcing now would fail (its site holds the mirrored volume open: DataKeeper 12035; its
  // address answers: duplicate, 9408) — what helps is stopping what still serves there (issue 13 item 4).
  const holdsVolume = input.mirrors.some((m) => m.source === previous);
  const why = holdsVolume
    ? `a switchover now would fail while its site holds ${input.mirrors.map((m) => `${m.volume}:`).join(', ')} open`
    : `its address still answers`;
  const msg = `${previous}'s lease of ${g} expired but ${previous} still serves it (${sc.detail}); not taking over until it stops serving (stop its sites or its host; ${why})`;
  // It serves past its lease: nobody records its mirrors meanwhile, so their recorded state stops counting.
  const unrecorded = input.mirrors.filter((m) => m.source === previous && m.unsupervisedBy !== previous).map((m) => m.name);
  return {
    kind: 'blocked',
    actions: [...probe, ...(unrecorded.length ? [{ type: 'markUnsupervised' as const, mirrors: unrecorded, node: previous }] : [])],
    reason: msg,
    target: previous,
    condition: { type: 'PromotionBlocked', status: 'True', reason: 'PreviousActiveStillServing', message: msg },
    ...event({ type: 'Warning', reason: 'PreviousActiveStillServing', message: msg }),
  };
}
