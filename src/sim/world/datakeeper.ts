/**
 * DataKeeper mirrors between simulated hosts (docs/spec/seed003-datakeeper.md §2, §4, §9): the EMCMD-shaped
 * command surface (CREATEMIRROR, SWITCHOVERVOLUME, LOCKVOLUME, ...), client writes and the ledger the
 * noLostWrites invariant reads, and what a host crash or boot does to its mirrors. The volume views and
 * the replication engine they drive are in ./mirror-engine.ts.
 */
import { DriverError, mirrorNotMirroring } from '../../drivers/errors.js';
import {
  MirrorState,
  type CreateMirrorRequest,
  type MirrorTargetInfo,
  type MirrorVolumeInfo,
  type ResyncProgress,
} from '../../drivers/types.js';
import type { WriteOutcome } from '../../drivers/sim/world-faults.js';
import { clearMirror, key, newPair, type MirrorPair, type VolumeView } from './mirror-engine.js';
import { MirrorTransitions } from './mirror-transitions.js';

export interface LedgerEntry {
  id: number;
  host: string;
  volume: string;
  block: number;
  at: number;
  /** Acknowledged to the client only after every Mirroring synchronous target had it (at least one did). */
  onTargetAtAck: boolean;
  /** Acknowledged while waiting in an asynchronous mirror's queue (Mirroring): lost if the source fails first. */
  queuedAtAck?: true;
}

/** LifeKeeper's error when a volume cannot be locked to switch it over (docs/spec/seed003-lcdi-ops.md §9.4). */
export const VOLUME_IN_USE_ERROR = 12035;

/**
 * The source cannot lock the volume to switch it over: a process holds handles on it (docs/spec/seed003-lcdi-ops.md §9.4;
 * driver event 149, "open handles found while locking", seed003-dk-guide-troubleshooting.md). Not transient:
 * retrying does not help until someone frees the volume.
 */
export function volumeInUseError(letter: string, sourceHost: string): DriverError {
  return new DriverError({
    code: 'VolumeBusy',
    message:
      `*ERROR* [No. ${VOLUME_IN_USE_ERROR}] Unable to lock volume ${letter}: on ${sourceHost} machine at this time as it may be in use ` +
      'by some application. Please free this volume and try again.',
    detail: { error: VOLUME_IN_USE_ERROR, command: 'SWITCHOVERVOLUME', volume: letter, source: sourceHost },
  });
}

/** An accepted SWITCHOVERVOLUME and the mirror as it truly was then (the checker judges the request by it, not by a later instant). */
export interface SwitchoverRequestRecord {
  host: string;
  volume: string;
  at: number;
  force: boolean;
  /** Whether the old source answered over the replication link when asked. */
  sourceReachable: boolean;
  /** The old source's own state of its mirror to the requesting target then (frozen at its crash if it is down). */
  sourceState?: number;
  /** How many hosts held the source role of the volume then (more than one: split brain). */
  sources: number;
}

export class DataKeeper extends MirrorTransitions {
  /** Switchovers under way, by host:volume, each with its own token (a crash cancels them). */
  private pendingSwitchovers = new Map<string, object>();
  /** Switchovers that failed (after the time they took), by host:volume, until the next request there. */
  private switchoverFailures = new Map<string, DriverError>();
  private writeSeq = 0;
  readonly ledger: LedgerEntry[] = [];
  /** Accepted SWITCHOVERVOLUME requests, in order: when a promotion was asked for (the invariant checker judges it then). */
  readonly switchoverRequests: SwitchoverRequestRecord[] = [];

  // ───────────── observation ─────────────

  /** GETMIRRORVOLINFO: a source reports every target (one line each), a target its own mirror. */
  info(host: string, letter: string): MirrorVolumeInfo {
    const v = this.view(host, letter);
    if (v.role === 'none') return { volume: letter, role: 'none', targets: [] };
    if (v.role === 'target') {
      const target: MirrorTargetInfo = { targetAddress: v.targetAddress ?? '', state: v.state };
      if (v.mode) target.mode = v.mode;
      const info: MirrorVolumeInfo = { volume: letter, role: 'target', targets: [target] };
      if (v.peer) info.sourceSystem = v.peer;
      return info;
    }
    // Resync statistics and the queue exist only on the source (perf counters, §2.8, §10.3).
    const targets = [...v.pairs.values()].map((p) => {
      const t: MirrorTargetInfo = { targetAddress: p.targetAddress, state: p.state, mode: p.mode };
      if (p.mode === 'Asynchronous') t.queuedWrites = p.queue.length;
      const progress = this.progress(v, p);
      if (progress) t.resync = progress;
      return t;
    });
    return { volume: letter, role: 'source', sourceSystem: host, targets };
  }

  private progress(v: VolumeView, p: MirrorPair): ResyncProgress | undefined {
    if (p.resync && (p.state === MirrorState.Resync || p.state === MirrorState.ResyncPending)) {
      const total = Math.max(1, p.resync.total);
      return {
        phase: p.resync.pass === 0 && p.resync.currentBlock === 0 ? 1 : 2,
        bitmapPass: p.resync.pass,
        numberOfBlocks: v.totalBlocks,
        dirtyBlocks: p.dirty.size,
        currentBlock: p.resync.currentBlock,
        newWrites: p.resync.newWrites,
        fraction: Math.max(0, Math.min(1, 1 - p.dirty.size / total)),
      };
    }
    return undefined;
  }

  // ───────────── commands (EMCMD semantics) ─────────────

  /** CREATEMIRROR: 0 → Resync (full, used blocks only). On a source, it adds a mirror to one more target (multi-target, §2). */
  create(host: string, req: CreateMirrorRequest): void {
    const src = this.view(host, req.volume);
    if (src.role === 'target') {
      throw new DriverError({ code: 'MirrorExists', message: `volume ${req.volume}: on ${host} is already a mirror target` });
    }
    const targetHost = this.d.hostOfAddress(req.targetAddress);
    if (!targetHost || targetHost === host) {
      throw new DriverError({ code: 'InvalidArgument', message: `no other host owns replication address ${req.targetAddress}` });
    }
    if (src.pairs.has(targetHost)) {
      throw new DriverError({ code: 'MirrorExists', message: `volume ${req.volume}: on ${host} already mirrors to ${targetHost}` });
    }
    if (!this.linkUp(host, targetHost)) {
      throw new DriverError({
        code: 'MirrorPeerUnreachable',
        transient: true,
        message: `cannot reach ${targetHost} (${req.targetAddress}) to create the mirror`,
      });
    }
    const tgt = this.view(targetHost, req.volume);
    if (tgt.role !== 'none') {
      throw new DriverError({ code: 'MirrorExists', message: `volume ${req.volume}: on ${targetHost} is already a mirror ${tgt.role}` });
    }
    const p = newPair(host, targetHost, req.sourceAddress, req.targetAddress, req.mode);
    src.pairs.set(targetHost, p);
    Object.assign(src, { role: 'source', sourceAddress: req.sourceAddress, locked: false });
    Object.assign(tgt, { role: 'target', peer: host, sourceAddress: req.sourceAddress, targetAddress: req.targetAddress, mode: req.mode });
    tgt.locked = true;
    tgt.targetWrites.clear();
    this.startResync(src, p, 'full');
    this.kick();
  }

  /** DELETEMIRROR: from the source, every mirror of the volume; from a target, only when the source is down. */
  delete(host: string, letter: string): void {
    const v = this.view(host, letter);
    if (v.role === 'none') return;
    if (v.role === 'target' && v.peer && this.d.isUp(v.peer) && this.view(v.peer, letter).role === 'source') {
      throw new DriverError({
        code: 'MirrorWrongRole',
        message: `volume ${letter}: ${host} is the target and its source ${v.peer} is up; delete from the source`,
      });
    }
    for (const p of v.pairs.values()) {
      const t = this.attached(v, p);
      if (t && this.linkUp(host, p.target)) clearMirror(t);
    }
    clearMirror(v);
  }

  /** PAUSEMIRROR: every mirror of the volume (no target address given). */
  pause(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'PAUSEMIRROR');
    for (const p of v.pairs.values()) {
      if (p.state === MirrorState.Broken || p.state === MirrorState.Paused) p.userRequested = true;
      else this.toPaused(v, p, true);
    }
  }

  /** CONTINUEMIRROR: Paused → partial resync; Broken → full resync, for every target it reaches. Does not re-lock a target. */
  continue(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'CONTINUEMIRROR');
    const reachable = [...v.pairs.values()].filter((p) => this.linkUp(host, p.target));
    if (reachable.length === 0) {
      const who = [...v.pairs.keys()].join(', ') || '?';
      throw new DriverError({ code: 'MirrorPeerUnreachable', transient: true, message: `volume ${letter}: target ${who} is unreachable` });
    }
    for (const p of v.pairs.values()) {
      p.userRequested = false;
      if (!reachable.includes(p)) continue;
      const t = this.view(p.target, letter);
      if (t.preparedDivergence) {
        // Split-brain recovery: the loser ran PREPARETOBECOMETARGET; it becomes our target.
        for (const b of t.preparedDivergence) p.dirty.add(b);
        delete t.preparedDivergence;
        Object.assign(t, { role: 'target', peer: host, sourceAddress: p.sourceAddress, targetAddress: p.targetAddress, mode: p.mode });
        t.locked = true;
        this.clearSplitBrain(letter);
      }
      if (t.role !== 'target' || (t.peer !== host && !this.adoptable(t, p))) continue;
      if (t.peer !== host) this.adopt(v, p, t);
      if (p.state === MirrorState.Broken || t.rebootedWhileUnlocked) this.startResync(v, p, 'full');
      else if (p.state === MirrorState.Paused) this.startResync(v, p, 'partial');
    }
    this.kick();
  }

  /** BREAKMIRROR: Broken; the next continue/resync is full. */
  break(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'BREAKMIRROR');
    for (const p of v.pairs.values()) {
      p.queue = [];
      p.state = MirrorState.Broken;
      p.userRequested = true;
      delete p.resync;
      this.syncPeerState(v, p);
    }
  }

  /** RESYNCMIRROR: full resync from any state, to every target it reaches. */
  resync(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'RESYNCMIRROR');
    const reachable = [...v.pairs.values()].filter((p) => this.attached(v, p) && this.linkUp(host, p.target));
    if (reachable.length === 0) {
      const who = [...v.pairs.keys()].join(', ') || '?';
      throw new DriverError({ code: 'MirrorPeerUnreachable', transient: true, message: `volume ${letter}: target ${who} is unreachable` });
    }
    for (const p of reachable) {
      p.userRequested = false;
      this.startResync(v, p, 'full');
    }
    this.kick();
  }

  lock(host: string, letter: string): void {
    const v = this.view(host, letter);
    if (this.d.volumeInUse(host, letter)) {
      throw new DriverError({
        code: 'VolumeBusy',
        transient: true,
        message: `volume ${letter}: on ${host} has open handles; LOCKVOLUME needs exclusive access`,
      });
    }
    v.locked = true;
  }

  unlock(host: string, letter: string): void {
    const v = this.view(host, letter);
    if (v.role === 'target' && (v.state === MirrorState.Resync || v.state === MirrorState.ResyncPending)) {
      // DataKeeper driver 165: the target cannot be unlocked during a resync.
      throw new DriverError({ code: 'VolumeBusy', message: `volume ${letter}: on ${host} cannot be unlocked during a resync` });
    }
    v.locked = false;
  }

  /**
   * SWITCHOVERVOLUME on `host` (a target): it becomes source. Only when its own mirror is Mirroring unless forced
   * (L11166; multi-target: A→B Mirroring and A→C Paused allows B, not C, docs/spec/seed003-dk-guide-troubleshooting.md
   * §4.3). Completes after switchoverMs, or after switchoverUnreachableMs when the source does not answer. A source
   * that answers must lock the volume to give up its role: with open handles on it then (a started site whose
   * physicalPath is on the volume) the switchover fails after switchoverMs with LifeKeeper's error 12035, forced or
   * not (volumeInUseError; read it with switchoverFailure). A source that does not answer cannot refuse: the
   * unreachable-source path applies.
   */
  switchover(host: string, letter: string, force: boolean): void {
    const v = this.view(host, letter);
    if (v.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${letter}: is not mirrored on ${host}` });
    if (v.role === 'source') {
      if (this.pendingSwitchovers.has(key(host, letter))) return;
      throw new DriverError({ code: 'MirrorWrongRole', message: `volume ${letter}: ${host} is already the source (svc 265)` });
    }
    const k = key(host, letter);
    if (this.pendingSwitchovers.has(k)) return;
    const oldSource = v.peer;
    const reachable = oldSource !== undefined && this.linkUp(host, oldSource);
    const mine = oldSource !== undefined ? this.pair(oldSource, host, letter) : undefined;
    // A source that answers knows the true state of the pair to us (our view may have paused since we last heard); one that does not leaves our own.
    const state = reachable && mine ? mine.state : v.state;
    if (!force && state !== MirrorState.Mirroring) throw mirrorNotMirroring(letter, host, state);
    const token = {};
    this.pendingSwitchovers.set(k, token);
    this.switchoverFailures.delete(k);
    // Sources that can take writes now: a crashed host's frozen view is no current source (as in World.inspect).
    const sources = this.allViews().filter((x) => x.letter === letter && x.role === 'source' && this.d.isUp(x.host)).length;
    const sourceState = mine?.state;
    this.switchoverRequests.push({ host, volume: letter, at: this.d.clock.now(), force, sourceReachable: reachable, sourceState, sources });
    const delay = reachable ? this.d.timing.switchoverMs : this.d.timing.switchoverUnreachableMs;
    this.d.clock.setTimer(delay, () => {
      // A crash of the requesting host in the meantime cancelled it (the request died with its process),
      // even if the host is up again by now.
      if (this.pendingSwitchovers.get(k) !== token) return;
      this.pendingSwitchovers.delete(k);
      if (!this.d.isUp(host) || v.role !== 'target') return;
      // The source, if it answers, must lock the volume to give up its role (it fails with open handles).
      if (oldSource !== undefined && this.linkUp(host, oldSource) && this.view(oldSource, letter).role === 'source') {
        if (this.d.volumeInUse(oldSource, letter)) {
          this.switchoverFailures.set(k, volumeInUseError(letter, oldSource));
          return;
        }
        // Our pair left Mirroring meanwhile (a link blip, a resync): aborted, the volume stays online on the source (svc 187, 291).
        const now = this.pair(oldSource, host, letter)?.state ?? MirrorState.None;
        if (!force && now !== MirrorState.Mirroring) {
          this.switchoverFailures.set(k, mirrorNotMirroring(letter, host, now));
          return;
        }
      }
      this.completeSwitchover(v, oldSource);
    });
  }

  /** Why the last SWITCHOVERVOLUME on `host` failed, if it did and none was asked for since. */
  switchoverFailure(host: string, letter: string): DriverError | undefined {
    return this.switchoverFailures.get(key(host, letter));
  }

  /** PREPARETOBECOMETARGET (split-brain loser): delete the local mirrors, lock; remember what we changed. */
  prepareToBecomeTarget(host: string, letter: string): void {
    const v = this.view(host, letter);
    const divergence = new Set(v.targetWrites);
    for (const p of v.pairs.values()) for (const b of [...p.dirty, ...p.queue.map((q) => q.block)]) divergence.add(b);
    clearMirror(v);
    v.locked = true;
    v.preparedDivergence = divergence;
  }

  // ───────────── client writes ─────────────

  write(host: string, letter: string, count: number, block?: number): WriteOutcome[] {
    const out: WriteOutcome[] = [];
    for (let i = 0; i < count; i++) out.push(this.writeOne(host, letter, block));
    this.kick();
    return out;
  }

  private writeOne(host: string, letter: string, fixedBlock?: number): WriteOutcome {
    const v = this.findView(host, letter);
    const id = ++this.writeSeq;
    if (!v) return { id, block: -1, accepted: false, refusedBecause: 'NoSuchVolume', onTarget: false };
    const block = fixedBlock ?? this.d.random.int(0, Math.max(0, v.usedBlocks - 1));
    if (!this.d.isUp(host)) return { id, block, accepted: false, refusedBecause: 'HostDown', onTarget: false };
    if (v.locked) return { id, block, accepted: false, refusedBecause: 'VolumeLocked', onTarget: false };
    v.blocks.set(block, id);
    let onTarget = false;
    let queued = false;
    if (v.role === 'target') v.targetWrites.add(block);
    for (const p of v.role === 'source' ? v.pairs.values() : []) {
      const t = this.attached(v, p);
      // §2.5 (a): a target that cannot take the write pauses its mirror; the caller's status is not affected.
      if (p.state === MirrorState.Mirroring && (!t || !this.linkUp(host, p.target))) this.toPaused(v, p, false);
      switch (p.state) {
        case MirrorState.Mirroring:
          if (p.mode === 'Synchronous') {
            // §2.5: completion returns only when the local write and every Mirroring target's write complete.
            t!.blocks.set(block, id);
            onTarget = true;
          } else {
            p.dirty.add(block); // §2.5 async step 1: bitmap first
            p.queue.push({ id, block });
            queued = true;
          }
          break;
        case MirrorState.Resync:
        case MirrorState.ResyncPending:
          // §2.5: during resync all writes are treated as asynchronous.
          p.dirty.add(block);
          if (p.resync) p.resync.newWrites++;
          break;
        case MirrorState.Paused:
          p.dirty.add(block);
          break;
        default:
          break; // Broken: not tracked; the next resync is full.
      }
    }
    this.ledger.push({
      id,
      host,
      volume: letter,
      block,
      at: this.d.clock.now(),
      onTargetAtAck: onTarget,
      ...(queued ? { queuedAtAck: true as const } : {}),
    });
    return { id, block, accepted: true, onTarget };
  }

  /** Synchronously acknowledged writes whose data is not on `host`'s copy of the volume. */
  lostAcknowledgedWrites(host: string, letter: string): number[] {
    const v = this.findView(host, letter);
    if (!v) return [];
    return this.ledger.filter((e) => e.volume === letter && e.onTargetAtAck && (v.blocks.get(e.block) ?? 0) < e.id).map((e) => e.id);
  }

  /** Writes an asynchronous mirror acknowledged from its queue whose data is not on `host`'s copy (the async loss). */
  lostQueuedWrites(host: string, letter: string): number[] {
    const v = this.findView(host, letter);
    if (!v) return [];
    return this.ledger.filter((e) => e.volume === letter && e.queuedAtAck && (v.blocks.get(e.block) ?? 0) < e.id).map((e) => e.id);
  }

  // ───────────── host events ─────────────

  /** Host crash: its pending switchovers die with it; memory (async queues) is lost. */
  hostCrashed(host: string): void {
    for (const v of this.allViews()) if (v.host === host) this.pendingSwitchovers.delete(key(host, v.letter));
    this.crashMirrors(host);
  }

  /** Host boot: targets are locked again; a source that lost its role meanwhile becomes a target. */
  hostBooted(host: string): void {
    this.bootMirrors(host);
  }

  private requireSource(host: string, letter: string, command: string): VolumeView {
    const v = this.view(host, letter);
    if (v.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${letter}: is not mirrored on ${host}` });
    if (v.role !== 'source') {
      throw new DriverError({ code: 'MirrorWrongRole', message: `${command} must run on the source; ${host} is the target of ${letter}:` });
    }
    return v;
  }
}
