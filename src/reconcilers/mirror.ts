/**
 * Mirror reconciler (DataKeeper, docs/spec/seed003-datakeeper.md): observe this node's role on the volume, create
 * the mirror, switch it over (promote), resolve a split brain the operator chose, and keep the Mirror's status:
 * every node reports its own role; the source records its targets, which the other nodes' mirror gates read.
 */
import type { Mirror } from '../api/types.js';
import { canonicalIp } from '../lib/ip.js';
import type { MirrorVolumeInfo } from '../drivers/types.js';
import { mirrorStateOf, worstMirrorState } from '../api/mirror-states.js';
import { updateStatusWith, upsertByName } from '../store/status-update.js';
import type { ObjectStore } from '../store/types.js';
import type { StepContext } from './types.js';

/** This node's view of one mirrored volume. */
export interface MirrorLocal {
  role: 'source' | 'target' | 'none';
  /** A target: its mirror's state; a source: its worst target's (DataKeeper's numbers: 1 Mirroring, 2 Resyncing, 3 Broken …). */
  state: number;
  targets: { address: string; state: number; queuedWrites?: number }[];
  /** The mode DataKeeper reports (GETMIRRORTYPE), when it does. */
  mode?: 'Synchronous' | 'Asynchronous';
}

/** Drive letter without the colon, upper case. */
export function volumeLetter(v: string): string {
  return v.replace(/:$/, '').toUpperCase();
}

export function observeMirror(info: MirrorVolumeInfo): MirrorLocal {
  const l: MirrorLocal = {
    role: info.role,
    state: worstMirrorState(info.targets.map((x) => x.state)),
    targets: info.targets.map((x) => ({
      address: x.targetAddress,
      state: x.state,
      ...(x.queuedWrites !== undefined ? { queuedWrites: x.queuedWrites } : {}),
    })),
  };
  const mode = info.targets[0]?.mode;
  if (mode) l.mode = mode;
  return l;
}

/**
 * Create the mirror from this node to each of `targets` (node names; one CREATEMIRROR per target, a full resync each,
 * docs/spec/seed003-datakeeper.md §7.1): the first makes this node source, the next add targets (multi-target,
 * docs/spec/seed003-dk-guide-troubleshooting.md §2). `onCreated` runs after the first one that succeeds.
 */
export async function createMirror(
  ctx: StepContext,
  m: Mirror,
  volume: string,
  targets: readonly string[],
  onCreated: () => Promise<void>,
): Promise<void> {
  const mine = m.spec.endpoints.find((e) => e.node === ctx.node);
  if (!mine) return;
  let first = true;
  for (const target of m.spec.endpoints.filter((e) => e.node !== ctx.node && targets.includes(e.node))) {
    try {
      await ctx.driver.createMirror(
        { volume, sourceAddress: mine.address, targetAddress: target.address, mode: m.spec.mode ?? 'Synchronous' },
        ctx.o,
      );
      if (first) await onCreated();
      first = false;
      await ctx.note(
        m,
        'Normal',
        'MirrorCreated',
        `mirror of ${volume}: created from ${ctx.node} to ${target.node} (full resync)`,
        undefined,
        ctx.epoch,
      );
    } catch (err) {
      await ctx.note(m, 'Warning', 'MirrorCreateFailed', `could not create the mirror of ${volume}: to ${target.node}: ${String(err)}`);
    }
  }
}

/** `asyncWarning`: the promoted copy is an asynchronous target whose source is lost (the decision's words for it). */
export async function notePromoted(ctx: StepContext, m: Mirror, volume: string, force: boolean, asyncWarning?: string): Promise<void> {
  // Loud on purpose: such a copy may lack the writes that were queued on the source (issue 13 item 7).
  if (asyncWarning) await ctx.note(m, 'Warning', 'AsyncPromotion', asyncWarning, undefined, ctx.epoch);
  if (force) {
    const why = `by operator force although its mirror was not Mirroring: data written on the old source since may be lost`;
    await ctx.note(m, 'Warning', 'ForcedPromotion', `${ctx.node} became source of ${volume}: ${why}`, undefined, ctx.epoch);
  } else await ctx.note(m, 'Normal', 'MirrorPromoted', `${ctx.node} is now source of ${volume}:`, undefined, ctx.epoch);
}

/** Split brain, the losing side (`winha switchover --force` chose the other): its changes since the split go. */
export async function becomeTarget(ctx: StepContext, m: Mirror, volume: string): Promise<void> {
  await ctx.driver.prepareToBecomeTarget(volume, ctx.o);
  await ctx.note(
    m,
    'Warning',
    'SplitBrainResolved',
    `${ctx.node} gave up the source role of ${volume}:; its changes since the split are discarded`,
  );
}

/** Split brain, the surviving side: continue the mirror to the prepared losers (partial resync from here). */
export async function continueMirror(ctx: StepContext, m: Mirror, volume: string, losers: string[]): Promise<void> {
  try {
    await ctx.driver.continueMirror(volume, ctx.o);
    const to = losers.join(', ') || 'its target';
    const msg = `${ctx.node} continued the mirror of ${volume}: to ${to}: the changes made there since the split are overwritten (partial resync from ${ctx.node})`;
    await ctx.note(m, 'Warning', 'SplitBrainResolved', msg, undefined, ctx.epoch);
  } catch (err) {
    await ctx.note(m, 'Warning', 'MirrorContinueFailed', `could not continue the mirror of ${volume}: ${String(err)}`);
  }
}

/** Record `node` as source of `m` under `epoch` (the other nodes' mirror gates read it). */
export async function recordSource(store: ObjectStore, m: Mirror, node: string, epoch: number): Promise<void> {
  await updateStatusWith<Record<string, unknown>>(store, 'Mirror', m.metadata.namespace ?? 'default', m.metadata.name, (st) => ({
    ...st,
    source: node,
    sourceEpoch: epoch,
  }));
}

/** Mark that `node`, still the recorded source, served with no agent recording the mirror; true when marked now. */
export async function markUnsupervised(store: ObjectStore, namespace: string, name: string, node: string): Promise<boolean> {
  let marked = false;
  await updateStatusWith<Record<string, unknown>>(store, 'Mirror', namespace, name, (st) => {
    // Only while that node is still the recorded source (it may have recorded again meanwhile: then its record holds).
    marked = st['source'] === node && st['unsupervisedBy'] !== node;
    return marked ? { ...st, unsupervisedBy: node } : st;
  });
  return marked;
}

/** This node's report on the Mirror; as recorded source it also records its targets and the mirror's state. */
export function mirrorStatus(
  st: Record<string, unknown>,
  m: Mirror,
  node: string,
  l: MirrorLocal,
  holdsEpoch: number | undefined,
): Record<string, unknown> {
  const role = l.role === 'source' ? 'Source' : l.role === 'target' ? 'Target' : 'None';
  const next: Record<string, unknown> = {
    ...st,
    nodes: upsertByName(st['nodes'] as { name: string }[] | undefined, { name: node, role, state: l.state } as { name: string }),
  };
  // The recorded source reports its targets even after it released the group (a failed bring-up that hands back,
  // H9): DataKeeper's source is the authority on them, and without it nobody passes the gate.
  if (l.role === 'source' && (holdsEpoch !== undefined || st['source'] === node)) {
    const targets = m.spec.endpoints
      .filter((e) => e.node !== node)
      .map((e) => {
        const t = l.targets.find((x) => canonicalIp(x.address) === canonicalIp(e.address));
        // The queue as of this record: what a target promoted after this source is lost may miss (issue 13 item 7).
        return { name: e.node, state: t?.state ?? 0, ...(t?.queuedWrites !== undefined ? { queuedWrites: t.queuedWrites } : {}) };
      });
    next['targets'] = targets;
    next['recordedBy'] = node;
    delete next['unsupervisedBy']; // its agent records again: the record is current
    next['source'] = node;
    if (st['source'] !== node || st['sourceEpoch'] === undefined) next['sourceEpoch'] = holdsEpoch;
    next['state'] = mirrorStateOf(worstMirrorState(targets.map((t) => t.state)));
  }
  return next;
}
