/**
 * DataKeeper mirrors between simulated hosts (docs/spec/seed003-datakeeper.md §2, §4, §9): the EMCMD-shaped
 * command surface (CREATEMIRROR, SWITCHOVERVOLUME, LOCKVOLUME, ...), client writes and the ledger the
 * noLostWrites invariant reads, and what a host crash or boot does to its mirrors. The volume views and
 * the replication engine they drive are in ./mirror-engine.ts.
 */
import { DriverError, mirrorNotMirroring } from '../../drivers/errors.js';
import { MirrorState, type CreateMirrorRequest, type MirrorVolumeInfo, type ResyncProgress } from '../../drivers/types.js';
import type { WriteOutcome } from '../../drivers/sim/world-faults.js';
import { MirrorEngine, clearMirror, key, type VolumeView } from './mirror-engine.js';

export interface LedgerEntry {
  id: number;
  host: string;
  volume: string;
  block: number;
  at: number;
  /** Acknowledged to the client only after the target had it (synchronous, Mirroring). */
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
  /** The old source's own state of the mirror then (frozen at its crash if it is down). */
  sourceState?: number;
  /** How many hosts held the source role of the volume then (more than one: split brain). */
  sources: number;
}

export class DataKeeper extends MirrorEngine {
  /** Switchovers under way, by host:volume, each with its own token (a crash cancels them). */
  private pendingSwitchovers = new Map<string, object>();
  /** Switchovers that failed (after the time they took), by host:volume, until the next request there. */
  private switchoverFailures = new Map<string, DriverError>();
  private writeSeq = 0;
  readonly ledger: LedgerEntry[] = [];
  /** Accepted SWITCHOVERVOLUME requests, in order: when a promotion was asked for (the invariant checker judges it then). */
  readonly switchoverRequests: SwitchoverRequestRecord[] = [];

  // ───────────── observation ─────────────

  info(host: string, letter: string): MirrorVolumeInfo {
    const v = this.view(host, letter);
    if (v.role === 'none') return { volume: letter, role: 'none', targets: [] };
    const target: MirrorVolumeInfo['targets'][number] = { targetAddress: v.targetAddress ?? '', state: v.state };
    if (v.mode) target.mode = v.mode;
    // Resync statistics and the queue exist only on the source (perf counters, §2.8, §10.3).
    if (v.role === 'source' && v.mode === 'Asynchronous') target.queuedWrites = v.queue.length;
    if (v.role === 'source') {
      const progress = this.progress(v);
      if (progress) target.resync = progress;
    }
    const info: MirrorVolumeInfo = { volume: letter, role: v.role, targets: [target] };
    const sourceHost = v.role === 'source' ? v.host : v.peer;
    if (sourceHost) info.sourceSystem = sourceHost;
    return info;
  }

  private progress(v: VolumeView): ResyncProgress | undefined {
    if (v.resync && (v.state === MirrorState.Resync || v.state === MirrorState.ResyncPending)) {
      const total = Math.max(1, v.resync.total);
      return {
        phase: v.resync.pass === 0 && v.resync.currentBlock === 0 ? 1 : 2,
        bitmapPass: v.resync.pass,
        numberOfBlocks: v.totalBlocks,
        dirtyBlocks: v.dirty.size,
        currentBlock: v.resync.currentBlock,
        newWrites: v.resync.newWrites,
        fraction: Math.max(0, Math.min(1, 1 - v.dirty.size / total)),
      };
    }
    return undefined;
  }

  // ───────────── commands (EMCMD semantics) ─────────────

  /** CREATEMIRROR: 0 → Resync (full, used blocks only). */
  create(host: string, req: CreateMirrorRequest): void {
    const src = this.view(host, req.volume);
    if (src.role !== 'none') {
      throw new DriverError({ code: 'MirrorExists', message: `volume ${req.volume}: on ${host} is already a mirror ${src.role}` });
    }
    const targetHost = this.d.hostOfAddress(req.targetAddress);
    if (!targetHost || targetHost === host) {
      throw new DriverError({ code: 'InvalidArgument', message: `no other host owns replication address ${req.targetAddress}` });
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
    Object.assign(src, {
      role: 'source',
      peer: targetHost,
      sourceAddress: req.sourceAddress,
      targetAddress: req.targetAddress,
      mode: req.mode,
      userRequested: false,
      locked: false,
    });
    Object.assign(tgt, {
      role: 'target',
      peer: host,
      sourceAddress: req.sourceAddress,
      targetAddress: req.targetAddress,
      mode: req.mode,
      userRequested: false,
      locked: true,
    });
    tgt.targetWrites.clear();
    this.startResync(src, 'full');
    this.kick();
  }

  /** DELETEMIRROR: from the source, both sides; from a target, only when the source is down. */
  delete(host: string, letter: string): void {
    const v = this.view(host, letter);
    if (v.role === 'none') return;
    if (v.role === 'target' && v.peer && this.d.isUp(v.peer) && this.view(v.peer, letter).role === 'source') {
      throw new DriverError({
        code: 'MirrorWrongRole',
        message: `volume ${letter}: ${host} is the target and its source ${v.peer} is up; delete from the source`,
      });
    }
    const peer = v.peer ? this.findView(v.peer, letter) : undefined;
    if (peer && v.peer && this.linkUp(host, v.peer) && peer.peer === host) clearMirror(peer);
    clearMirror(v);
  }

  pause(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'PAUSEMIRROR');
    if (v.state === MirrorState.Broken || v.state === MirrorState.Paused) {
      v.userRequested = true;
      return;
    }
    this.toPaused(v, true);
  }

  /** CONTINUEMIRROR: Paused → partial resync; Broken → full resync. Does not re-lock the target. */
  continue(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'CONTINUEMIRROR');
    if (!v.peer || !this.linkUp(host, v.peer)) {
      throw new DriverError({
        code: 'MirrorPeerUnreachable',
        transient: true,
        message: `volume ${letter}: target ${v.peer ?? '?'} is unreachable`,
      });
    }
    const peer = this.view(v.peer, letter);
    if (peer.preparedDivergence) {
      // Split-brain recovery: the loser ran PREPARETOBECOMETARGET; it becomes our target.
      for (const b of peer.preparedDivergence) v.dirty.add(b);
      delete peer.preparedDivergence;
      Object.assign(peer, {
        role: 'target',
        peer: host,
        sourceAddress: v.sourceAddress,
        targetAddress: v.targetAddress,
        mode: v.mode,
        locked: true,
      });
      this.clearSplitBrain(letter);
    }
    if (v.state === MirrorState.Broken || peer.rebootedWhileUnlocked) {
      this.startResync(v, 'full');
    } else if (v.state === MirrorState.Paused) {
      this.startResync(v, 'partial');
    }
    v.userRequested = false;
    this.kick();
  }

  /** BREAKMIRROR: Broken; the next continue/resync is full. */
  break(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'BREAKMIRROR');
    v.queue = [];
    v.state = MirrorState.Broken;
    v.userRequested = true;
    delete v.resync;
    this.syncPeerState(v);
  }

  /** RESYNCMIRROR: full resync from any state. */
  resync(host: string, letter: string): void {
    const v = this.requireSource(host, letter, 'RESYNCMIRROR');
    if (!v.peer || !this.linkUp(host, v.peer)) {
      throw new DriverError({
        code: 'MirrorPeerUnreachable',
        transient: true,
        message: `volume ${letter}: target ${v.peer ?? '?'} is unreachable`,
      });
    }
    v.userRequested = false;
    this.startResync(v, 'full');
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
   * SWITCHOVERVOLUME on `host` (a target): it becomes source. Only from
   * Mirroring unless forced (L11166). Completes after switchoverMs, or after
   * switchoverUnreachableMs when the source does not answer. A source that
   * answers must lock the volume to give up its role: with open handles on it
   * then (a started site whose physicalPath is on the volume) the switchover
   * fails after switchoverMs with LifeKeeper's error 12035, forced or not
   * (volumeInUseError; read it with switchoverFailure). A source that does not
   * answer cannot refuse: the unreachable-source path applies.
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
    const old = oldSource !== undefined ? this.views.get(key(oldSource, letter)) : undefined;
    // A source that answers knows the true state (its view may have paused since the target last heard); one that does not leaves the target's own.
    const state = reachable && old?.role === 'source' ? old.state : v.state;
    if (!force && state !== MirrorState.Mirroring) throw mirrorNotMirroring(letter, host, state);
    const token = {};
    this.pendingSwitchovers.set(k, token);
    this.switchoverFailures.delete(k);
    const sources = [...this.views.values()].filter((x) => x.letter === letter && x.role === 'source').length;
    const sourceState = old?.role === 'source' ? old.state : undefined;
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
        // The mirror left Mirroring meanwhile (a link blip, a resync): aborted, the volume stays online on the source (svc 187, 291).
        const now = this.view(oldSource, letter).state;
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

  /** PREPARETOBECOMETARGET (split-brain loser): delete the local mirror, lock; remember what we changed. */
  prepareToBecomeTarget(host: string, letter: string): void {
    const v = this.view(host, letter);
    const divergence = new Set([...v.dirty, ...v.queue.map((q) => q.block), ...v.targetWrites]);
    const peer = v.peer;
    clearMirror(v);
    v.locked = true;
    v.preparedDivergence = divergence;
    if (peer) v.peer = peer;
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
    if (v.role === 'target') {
      v.targetWrites.add(block);
    } else if (v.role === 'source' && v.peer) {
      if (v.state === MirrorState.Mirroring && !this.linkUp(host, v.peer)) this.toPaused(v, false);
      switch (v.state) {
        case MirrorState.Mirroring:
          if (v.mode === 'Synchronous') {
            // §2.5: completion returns only when both local and target writes complete.
            this.view(v.peer, letter).blocks.set(block, id);
            onTarget = true;
          } else {
            v.dirty.add(block); // §2.5 async step 1: bitmap first
            v.queue.push({ id, block });
            queued = true;
          }
          break;
        case MirrorState.Resync:
        case MirrorState.ResyncPending:
          // §2.5: during resync all writes are treated as asynchronous.
          v.dirty.add(block);
          if (v.resync) v.resync.newWrites++;
          break;
        case MirrorState.Paused:
          v.dirty.add(block);
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

  /** Host crash: memory (async queue) lost; an unlocked target will need a full resync. */
  hostCrashed(host: string): void {
    for (const v of this.allViews()) {
      if (v.host !== host) continue;
      this.pendingSwitchovers.delete(key(host, v.letter));
      v.queue = [];
      if (v.role === 'target' && !v.locked) v.rebootedWhileUnlocked = true;
    }
    this.evaluateLinks();
  }

  /** Host boot: targets are locked again; a source that lost its role meanwhile becomes a target. */
  hostBooted(host: string): void {
    for (const v of this.allViews()) {
      if (v.host !== host || v.role === 'none') continue;
      if (v.role === 'target') {
        v.locked = true;
        continue;
      }
      const peer = v.peer ? this.findView(v.peer, v.letter) : undefined;
      if (peer && v.peer && peer.role === 'source' && peer.peer === host && this.linkUp(host, v.peer)) {
        // docs/spec/seed003-dk-guide-troubleshooting.md §4.2: it detects that the other node became source while it was down.
        for (const b of [...v.dirty, ...v.blocks.keys()].filter((b) => (peer.blocks.get(b) ?? 0) !== (v.blocks.get(b) ?? 0))) {
          peer.dirty.add(b);
        }
        for (const b of v.dirty) peer.dirty.add(b);
        // The roles swapped while it was down: so did the addresses (the peer's view is the current one).
        Object.assign(v, {
          role: 'target',
          locked: true,
          userRequested: false,
          state: peer.state,
          sourceAddress: peer.sourceAddress,
          targetAddress: peer.targetAddress,
        });
        v.dirty = new Set();
        delete v.resync;
      } else if (v.state === MirrorState.Mirroring || v.state === MirrorState.Resync || v.state === MirrorState.ResyncPending) {
        // Source crash: partial resync from the intent log on recovery (§4.3).
        this.startResync(v, 'partial');
      }
    }
    this.evaluateLinks();
    this.kick();
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
