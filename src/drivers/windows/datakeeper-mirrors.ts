/**
 * DataKeeper mirrors through emcmd.exe. EMCMD does none of the GUI's sanity
 * checks (docs/spec/seed003-datakeeper.md §7), so these do them: role and
 * state are read before every mirror command.
 */
import { DriverError, mirrorNotMirroring } from '../errors.js';
import { checkIp } from '../input-validation.js';
import {
  MirrorState,
  normalizeVolume,
  type CallOptions,
  type CreateMirrorRequest,
  type HostDriverOperation,
  type MirrorTargetInfo,
  type MirrorVolumeInfo,
} from '../types.js';
import type { WindowsDriverContext } from './driver-context.js';
import type { EmcmdCommand } from './emcmd.js';
import {
  mirrorModeOf,
  parseMirrorType,
  parseMirrorVolInfo,
  parseResyncStatus,
  parseSourceMirroredVolumes,
  parseTargetMirroredVolumes,
  type MirrorTypeLine,
  type MirrorVolInfoLine,
} from './emcmd-parsers.js';

export function getMirrorInfo(ctx: WindowsDriverContext, volume: string, o: CallOptions): Promise<MirrorVolumeInfo> {
  return ctx.run('getMirrorInfo', o, (signal) => mirrorInfo(ctx, 'getMirrorInfo', normalizeVolume(volume), o, signal));
}

/**
 * GETMIRRORVOLINFO (+ GETMIRRORTYPE, + GETRESYNCSTATUS while resyncing on the source). No queuedWrites: no
 * documented EMCMD prints the async queue, and the perf counter's instance names are not documented (§2.8).
 * Mode and resync progress are best-effort: their failure leaves them out rather than hiding the mirror.
 */
async function mirrorInfo(
  ctx: WindowsDriverContext,
  op: HostDriverOperation,
  v: string,
  o: CallOptions,
  signal: AbortSignal,
): Promise<MirrorVolumeInfo> {
  const all = parseMirrorVolInfo(await ctx.emcmd(op, 'GETMIRRORVOLINFO', [v], o, signal));
  const other = all.find((r) => r.volume !== v);
  if (other) throw new DriverError({ code: 'ParseError', message: `GETMIRRORVOLINFO ${v} printed a line for volume ${other.volume}:` });
  if (all.length === 0) {
    await confirmNotMirrored(ctx, op, v, o, signal);
    return { volume: v, role: 'none', targets: [] };
  }
  // State 0 is "No mirror (None): volume not participating in a mirror" (seed003-datakeeper.md §4.1 line 283, the GETMIRRORVOLINFO list).
  const rows = all.filter((r) => r.state !== 0);
  const first = rows[0];
  if (!first) return { volume: v, role: 'none', targets: [] };
  const role = first.role === 1 ? 'source' : 'target';
  const types = await bestEffort(signal, async () => parseMirrorType(await ctx.emcmd(op, 'GETMIRRORTYPE', [v], o, signal)));
  const resolved = rows.map((r) => settleGlued(r, types));
  const targets: MirrorTargetInfo[] = resolved.map((r) => {
    const t: MirrorTargetInfo = { targetAddress: r.targetSystem, state: r.state };
    const type = types?.find((x) => x.targetSystem === r.targetSystem);
    const mode = type ? mirrorModeOf(type.type) : undefined;
    if (mode) t.mode = mode;
    return t;
  });
  if (role === 'source' && targets.some((t) => t.state === MirrorState.Resync || t.state === MirrorState.ResyncPending)) {
    const status = await bestEffort(signal, async () => parseResyncStatus(await ctx.emcmd(op, 'GETRESYNCSTATUS', [v], o, signal)));
    for (const t of targets) {
      const s = status?.targets.find((x) => x.targetSystem === t.targetAddress);
      if (s && (t.state === MirrorState.Resync || t.state === MirrorState.ResyncPending)) t.resync = s.progress;
    }
  }
  return { volume: v, role, sourceSystem: resolved[0]!.sourceSystem, targets };
}

/** A failed or unreadable optional query is left out; a timeout or cancellation still ends the operation. */
async function bestEffort<T>(signal: AbortSignal, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (signal.aborted || !(e instanceof DriverError) || e.code === 'Timeout') throw e;
    return undefined;
  }
}

/** A glued, ambiguous `NAME1…IP` row: the split whose address GETMIRRORTYPE lists, else refused (a wrong target could duplicate a mirror). */
function settleGlued(r: MirrorVolInfoLine, types: MirrorTypeLine[] | undefined): MirrorVolInfoLine {
  if (!r.candidates) return r;
  const known = r.candidates.filter((c) => types?.some((t) => t.targetSystem === c.targetSystem));
  if (known.length === 1) return { ...r, ...known[0]!, candidates: undefined, warning: undefined };
  throw new DriverError({
    code: 'ParseError',
    message: `GETMIRRORVOLINFO ${r.volume}: ${r.warning ?? r.sourceSystem}; GETMIRRORTYPE does not settle it`,
  });
}

/**
 * What GETMIRRORVOLINFO prints for a volume that is not mirrored is undocumented (seed003-datakeeper.md §12 line 1119,
 * "Role code for a non-mirrored volume in GETMIRRORVOLINFO"), so printing nothing counts as "not mirrored" only when both documented
 * listings (§7.2 GETSOURCEMIRROREDVOLUMES, GETTARGETMIRROREDVOLUMES) leave the volume out.
 */
async function confirmNotMirrored(ctx: WindowsDriverContext, op: HostDriverOperation, v: string, o: CallOptions, signal: AbortSignal) {
  const source = parseSourceMirroredVolumes(await ctx.emcmd(op, 'GETSOURCEMIRROREDVOLUMES', [], o, signal));
  const target = parseTargetMirroredVolumes(await ctx.emcmd(op, 'GETTARGETMIRROREDVOLUMES', [], o, signal));
  const listedBy = source.volumes.some((x) => x.volume === v)
    ? 'GETSOURCEMIRROREDVOLUMES'
    : target.some((x) => x.volume === v)
      ? 'GETTARGETMIRROREDVOLUMES'
      : undefined;
  if (listedBy)
    throw new DriverError({
      code: 'ParseError',
      message: `volume ${v}: GETMIRRORVOLINFO printed nothing, but ${listedBy} lists it as mirrored; not reading it as "not mirrored"`,
    });
}

export function switchoverMirror(ctx: WindowsDriverContext, volume: string, force: boolean, o: CallOptions): Promise<MirrorVolumeInfo> {
  return ctx.run('switchoverMirror', o, async (signal) => {
    const v = normalizeVolume(volume);
    const info = await mirrorInfo(ctx, 'switchoverMirror', v, o, signal);
    if (info.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${v}: is not mirrored on ${ctx.nodeName}` });
    if (info.role === 'source')
      throw new DriverError({ code: 'MirrorWrongRole', message: `volume ${v}: ${ctx.nodeName} is already the source (svc 265)` });
    const state = info.targets[0]?.state ?? MirrorState.Invalid;
    // DataKeeper L11166: switchover only from Mirroring. `force` skips this check but never passes -f (unsafe, split brain).
    if (!force && state !== MirrorState.Mirroring) {
      throw mirrorNotMirroring(v, ctx.nodeName, state);
    }
    await ctx.emcmd('switchoverMirror', 'SWITCHOVERVOLUME', [v], o, signal);
    for (;;) {
      const now = await mirrorInfo(ctx, 'switchoverMirror', v, o, signal);
      if (now.role === 'source') return now;
      await ctx.clock.sleep(ctx.pollMs, signal);
    }
  });
}

export function lockVolume(ctx: WindowsDriverContext, volume: string, o: CallOptions): Promise<void> {
  return ctx.run('lockVolume', o, async (signal) => {
    await ctx.emcmd('lockVolume', 'LOCKVOLUME', [normalizeVolume(volume)], o, signal);
  });
}

export function unlockVolume(ctx: WindowsDriverContext, volume: string, o: CallOptions): Promise<void> {
  return ctx.run('unlockVolume', o, async (signal) => {
    const v = normalizeVolume(volume);
    const info = await mirrorInfo(ctx, 'unlockVolume', v, o, signal);
    const state = info.targets[0]?.state;
    if (info.role === 'target' && (state === MirrorState.Resync || state === MirrorState.ResyncPending)) {
      // DataKeeper driver 165: a target cannot be unlocked during a resync.
      throw new DriverError({ code: 'VolumeBusy', message: `volume ${v}: on ${ctx.nodeName} cannot be unlocked during a resync` });
    }
    await ctx.emcmd('unlockVolume', 'UNLOCKVOLUME', [v], o, signal);
  });
}

/** PAUSE/CONTINUE/BREAK/RESYNC run on the source only (docs/spec/seed003-datakeeper.md §4.3 notes). */
export function sourceCommand(
  ctx: WindowsDriverContext,
  op: HostDriverOperation,
  command: EmcmdCommand,
  volume: string,
  o: CallOptions,
): Promise<void> {
  return ctx.run(op, o, async (signal) => {
    const v = normalizeVolume(volume);
    const info = await mirrorInfo(ctx, op, v, o, signal);
    if (info.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${v}: is not mirrored on ${ctx.nodeName}` });
    if (info.role !== 'source')
      throw new DriverError({
        code: 'MirrorWrongRole',
        message: `${command} must run on the source; ${ctx.nodeName} is the target of ${v}:`,
      });
    await ctx.emcmd(op, command, [v], o, signal);
  });
}

export function createMirror(ctx: WindowsDriverContext, req: CreateMirrorRequest, o: CallOptions): Promise<void> {
  return ctx.run('createMirror', o, async (signal) => {
    const v = normalizeVolume(req.volume);
    checkIp(req.sourceAddress, 'source address');
    checkIp(req.targetAddress, 'target address');
    const info = await mirrorInfo(ctx, 'createMirror', v, o, signal);
    // A source may add a target (multi-target: one CREATEMIRROR per target, docs/spec/seed003-dk-guide-troubleshooting.md §2); a target may not.
    if (info.role === 'target')
      throw new DriverError({ code: 'MirrorExists', message: `volume ${v}: on ${ctx.nodeName} is already a mirror target` });
    if (info.targets.some((t) => t.targetAddress === req.targetAddress))
      throw new DriverError({ code: 'MirrorExists', message: `volume ${v}: on ${ctx.nodeName} already mirrors to ${req.targetAddress}` });
    // EMCMD <source ip> CREATEMIRROR <vol> <target ip> <A|S> — no option 1 (skipping the full resync is unsafe, docs/spec/seed003-datakeeper.md §9 rule 10).
    await ctx.emcmd(
      'createMirror',
      'CREATEMIRROR',
      [v, req.targetAddress, req.mode === 'Synchronous' ? 'S' : 'A'],
      o,
      signal,
      req.sourceAddress,
    );
  });
}

export function deleteMirror(ctx: WindowsDriverContext, volume: string, o: CallOptions): Promise<void> {
  return ctx.run('deleteMirror', o, async (signal) => {
    const v = normalizeVolume(volume);
    const info = await mirrorInfo(ctx, 'deleteMirror', v, o, signal);
    if (info.role === 'none') return;
    await ctx.emcmd('deleteMirror', 'DELETEMIRROR', [v], o, signal);
  });
}

export function prepareToBecomeTarget(ctx: WindowsDriverContext, volume: string, o: CallOptions): Promise<void> {
  return ctx.run('prepareToBecomeTarget', o, async (signal) => {
    await ctx.emcmd('prepareToBecomeTarget', 'PREPARETOBECOMETARGET', [normalizeVolume(volume)], o, signal);
  });
}
