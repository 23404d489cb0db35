/**
 * The group conditions one node's decision reports (design §2): Ready, Degraded, MirrorInSync, PromotionBlocked,
 * Failed, Maintenance, each with a reason and a message, plus those the decision raised itself (`extra`).
 */
import type { Action, Decision, DecisionCondition, DecisionInput } from './decision-types.js';
import { ineligibility, isAlive } from './candidacy.js';
import { groupMirrorGate, isSplitBrain, mirrorStateName } from './mirror-gate.js';
import { isServing } from './status/serving.js';

export interface ConditionFacts {
  role: Decision['role'];
  actions: Action[];
  target: string;
  /** Conditions the decision raised itself (they replace the computed PromotionBlocked or Failed). */
  extra: DecisionCondition[];
  /** Why checks and moves are paused, when they are. */
  maintenance: string | undefined;
  /** The holder's bring-up stopped at the mirror gate. */
  blocked?: true;
}

export function groupConditions(input: DecisionInput, d: ConditionFacts): DecisionCondition[] {
  const { role, actions, target } = d;
  const g = input.group;
  const out: DecisionCondition[] = [];
  const has = (t: DecisionCondition['type']) => d.extra.some((c) => c.type === t);
  const maint = d.maintenance;
  out.push(
    maint
      ? { type: 'Maintenance', status: 'True', reason: 'Maintenance', message: maint }
      : { type: 'Maintenance', status: 'False', reason: 'NotInMaintenance', message: 'checks and moves are enabled' },
  );
  if (g.desiredState === 'OutOfService') {
    out.push({ type: 'Ready', status: 'False', reason: 'OutOfService', message: `${g.name} is desired OutOfService` });
  } else if (isServing({ role, actions, blocked: d.blocked })) {
    out.push({ type: 'Ready', status: 'True', reason: 'InService', message: `${g.name} is in service on ${input.self}` });
  } else if (d.blocked) {
    const message = `${input.self} holds ${g.name} but brings nothing into service: its copy of a mirror may not be promoted (PromotionBlocked says why)`;
    out.push({ type: 'Ready', status: 'False', reason: 'PromotionBlocked', message });
  } else if (role === 'active' || role === 'candidate') {
    out.push({
      type: 'Ready',
      status: 'False',
      reason: 'Activating',
      message: `${g.name} is being brought into service on ${input.self}`,
    });
  } else if (role === 'paused') {
    out.push({ type: 'Ready', status: 'Unknown', reason: 'Maintenance', message: 'not checked during maintenance' });
  } else {
    out.push({
      type: 'Ready',
      status: 'False',
      reason: target ? 'Moving' : 'NoActiveNode',
      message: target ? `${g.name} is moving to ${target}` : `${g.name} is not in service on any node`,
    });
  }
  // Mirrors: in sync when every target the source recorded is Mirroring.
  const unsynced: string[] = [];
  let split = false;
  for (const m of input.mirrors) {
    if (isSplitBrain(m)) split = true;
    for (const n of g.nodes) {
      if (n.name === m.source) continue;
      const st = m.recordedBy === m.source ? m.targets[n.name] : undefined;
      if (m.source !== undefined && st !== 1) unsynced.push(`${n.name}'s ${m.volume}: is ${mirrorStateName(st)}`);
    }
    if (m.source === undefined) unsynced.push(`${m.volume}: is not mirrored yet`);
  }
  if (input.mirrors.length > 0) {
    out.push(
      split
        ? {
            type: 'MirrorInSync',
            status: 'False',
            reason: 'SplitBrain',
            message: 'split brain: more than one node is mirror source; an operator must choose with winha switchover --force',
          }
        : unsynced.length
          ? { type: 'MirrorInSync', status: 'False', reason: 'MirrorNotInSync', message: unsynced.join('; ') }
          : { type: 'MirrorInSync', status: 'True', reason: 'Mirroring', message: 'every target is Mirroring' },
    );
  }
  const down = g.nodes.filter((n) => !isAlive(input, n.name)).map((n) => n.name);
  const degraded = [...(down.length ? [`${down.join(', ')} down`] : []), ...(unsynced.length || split ? ['mirror not in sync'] : [])];
  // No redundancy either when every other live node is out of the running (banned, in maintenance).
  const serving = target || (input.lease.expired ? '' : input.lease.holder);
  const others = g.nodes.filter((n) => n.name !== serving);
  const blocked = others
    .map((n) => ineligibility(input, n.name, false))
    .filter((r) => r !== undefined && !r.gate && isAlive(input, r.node));
  if (serving && others.length > 0 && others.every((n) => ineligibility(input, n.name, false) !== undefined) && blocked.length > 0) {
    degraded.push(`no other node could take over from ${serving}: ${blocked.map((r) => r!.why).join('; ')}`);
  }
  out.push(
    degraded.length
      ? { type: 'Degraded', status: 'True', reason: 'ReducedRedundancy', message: degraded.join('; ') }
      : { type: 'Degraded', status: 'False', reason: 'FullRedundancy', message: 'every node is up and every mirror in sync' },
  );
  if (!has('PromotionBlocked')) {
    const notPromotable = g.nodes
      .filter((n) => n.name !== target && isAlive(input, n.name) && !groupMirrorGate(input.mirrors, n.name).ok)
      .map((n) => n.name);
    out.push(
      split
        ? { type: 'PromotionBlocked', status: 'True', reason: 'SplitBrain', message: 'split brain: nothing is promoted automatically' }
        : notPromotable.length
          ? {
              type: 'PromotionBlocked',
              status: 'False',
              reason: 'StandbyNotPromotable',
              message: `${notPromotable.join(', ')} may not be promoted now (mirror not Mirroring)`,
            }
          : { type: 'PromotionBlocked', status: 'False', reason: 'None', message: 'no promotion is blocked' },
    );
  }
  if (!has('Failed')) out.push({ type: 'Failed', status: 'False', reason: 'None', message: 'no failure' });
  out.push(...d.extra);
  const order = ['Ready', 'Degraded', 'MirrorInSync', 'PromotionBlocked', 'Failed', 'Maintenance'];
  return out.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}
