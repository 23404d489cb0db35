/**
 * What a group says when the mirror gate refused every candidate: split brain first, then a copy not in sync; a source
 * that served on past its lease unrecorded is PreviousActiveStillServing while a fresh safety probe finds it serving
 * (the one reporting node keeps that probe fresh, else the reason would outlive the fact; issue 13 item 4), or
 * SafetyCheckFailed while the probe cannot tell (issue 15 item 2), else MirrorNotInSync; what is left is an asynchronous mirror whose policy refuses automatic failover.
 */
import type { Action, DecisionInput } from './decision-types.js';
import type { GateRefusal } from './mirror-gate.js';

export type BlockedReason = 'SplitBrain' | 'MirrorNotInSync' | 'PreviousActiveStillServing' | 'SafetyCheckFailed' | 'AsyncFailoverRefused';

export function gateBlock(
  input: DecisionInput,
  gates: readonly (GateRefusal | 'AsyncFailoverRefused')[],
  reporter: boolean,
): { reason: BlockedReason; probe: Action[]; lead: string } {
  const none = { probe: [], lead: '' };
  if (gates.includes('SplitBrain')) return { reason: 'SplitBrain', ...none };
  if (gates.length === 0 || gates.includes('MirrorNotInSync')) return { reason: 'MirrorNotInSync', ...none };
  if (!gates.includes('SourceUnsupervised')) return { reason: 'AsyncFailoverRefused', ...none };
  const previous = input.lease.holder;
  if (previous === '') return { reason: 'MirrorNotInSync', ...none };
  const sc = input.safetyCheck?.epoch === input.lease.epoch ? input.safetyCheck : undefined;
  const fresh = sc !== undefined && input.now - sc.at < input.safetyCheckMaxAgeMs;
  const probe: Action[] = !fresh && reporter ? [{ type: 'safetyCheck', previous, epoch: input.lease.epoch }] : [];
  // Until the next probe answers, the last one stands (it found the source serving when the gate closed).
  if (sc?.outcome === 'unknown') return { reason: 'SafetyCheckFailed', probe, lead: `${sc.detail}; ` };
  if (sc?.outcome !== 'serving') return { reason: 'MirrorNotInSync', probe, lead: '' };
  return {
    reason: 'PreviousActiveStillServing',
    probe,
    lead: `${previous} still serves ${input.group.name} past its lease (${sc.detail}); `,
  };
}
