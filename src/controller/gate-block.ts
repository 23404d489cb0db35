/**
 * What a group says when the mirror gate refused every candidate (issue 13 item 4): split brain first; a source that
 * served on past its lease unrecorded is PreviousActiveStillServing while a fresh safety probe finds it serving, and
 * the one reporting node keeps that probe fresh (else the reason would outlive the fact); otherwise MirrorNotInSync.
 */
import type { Action, DecisionInput } from './decision-types.js';
import type { GateRefusal } from './mirror-gate.js';

export type BlockedReason = 'SplitBrain' | 'MirrorNotInSync' | 'PreviousActiveStillServing';

export function gateBlock(
  input: DecisionInput,
  gates: readonly GateRefusal[],
  reporter: boolean,
): { reason: BlockedReason; probe: Action[]; lead: string } {
  if (gates.includes('SplitBrain')) return { reason: 'SplitBrain', probe: [], lead: '' };
  const previous = input.lease.holder;
  if (gates.length === 0 || !gates.every((g) => g === 'SourceUnsupervised') || previous === '')
    return { reason: 'MirrorNotInSync', probe: [], lead: '' };
  const sc = input.safetyCheck?.epoch === input.lease.epoch ? input.safetyCheck : undefined;
  const fresh = sc !== undefined && input.now - sc.at < input.safetyCheckMaxAgeMs;
  const probe: Action[] = !fresh && reporter ? [{ type: 'safetyCheck', previous, epoch: input.lease.epoch }] : [];
  // Until the next probe answers, the last one stands (it found the source serving when the gate closed).
  if (!sc?.serving) return { reason: 'MirrorNotInSync', probe, lead: '' };
  return {
    reason: 'PreviousActiveStillServing',
    probe,
    lead: `${previous} still serves ${input.group.name} past its lease (${sc.detail}); `,
  };
}
