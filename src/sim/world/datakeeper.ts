/**
 * DataKeeper mirrors between simulated hosts (spec/seed003-datakeeper.md §2, §4, §9),
 * and the client-write ledger that the noLostWrites invariant reads.
 *
 * Each host keeps its own view of each volume (role, state, lock, intent log),
 * so the two sides can disagree while they cannot talk — which is how split
 * brain happens. Blocks are 64 KB; a block's content is the id of the last
 * write to it (0 = never written since the world began).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { DriverError } from '../../drivers/errors.js';
import {
  MirrorState,
  type CreateMirrorRequest,
  type MirrorMode,
  type MirrorRole,
  type MirrorStateCode,
  type MirrorVolumeInfo,
  type ResyncProgress,
} from '../../drivers/types.js';
import type { SplitBrainRecord } from '../../drivers/sim/world-protocol.js';
import type { WriteOutcome } from '../../drivers/sim/world-faults.js';

export interface MirrorTiming {
  /** How often the replication engine runs (virtual ms). */
  tickMs: number;
  /** Resync speed: 64 KB blocks per second. */
  resyncBlocksPerSecond: number;
  /** Async queue drain speed: writes per second. */
  asyncWritesPerSecond: number;
  /** A switchover when the source answers. */
  switchoverMs: number;
  /** A switchover when the source does not answer: the target tries to reach it first (30–40 s, dk-guide §4.2). */
  switchoverUnreachableMs: number;
}

interface ResyncStats {
  startedAt: number;
  total: number;
  pass: number;
  newWrites: number;
  currentBlock: number;
}

export interface VolumeView {
  host: string;
  letter: string;
  totalBlocks: number;
  /** Blocks the file system uses: what a full resync sends (free-space exclusion, §2.4). */
  usedBlocks: number;
  role: MirrorRole;
  /** Mirror state as this host sees it. */
  state: MirrorStateCode;
  peer?: string;
  /** Replication addresses of source and target as EMCMD prints them. */
  sourceAddress?: string;
  targetAddress?: string;
  mode?: MirrorMode;
  /** ISBREAKUSERREQUESTED: no automatic reconnect when true. */
  userRequested: boolean;
  locked: boolean;
  blocks: Map<number, number>;
  /** Source intent log: blocks not known to be on the target. Survives crashes. */
  dirty: Set<number>;
  /** Async write queue (memory only: lost on crash; its blocks stay in `dirty`). */
  queue: { id: number; block: number }[];
  /** Target: blocks written while unlocked (overwritten on continue). */
  targetWrites: Set<number>;
  /** Target rebooted while unlocked: the next resync is full (§9 rule 5). */
  rebootedWhileUnlocked: boolean;
  /** After PREPARETOBECOMETARGET: the blocks this loser changed, to be overwritten. */
  preparedDivergence?: Set<number>;
  resync?: ResyncStats;
  lastResyncDone?: ResyncStats & { doneAt: number };
}

export interface LedgerEntry {
  id: number;
  host: string;
  volume: string;
  block: number;
  at: number;
  /** Acknowledged to the client only after the target had it (synchronous, Mirroring). */
  onTargetAtAck: boolean;
}

export interface DataKeeperDeps {
  clock: Clock;
  random: Random;
  timing: MirrorTiming;
  isUp(host: string): boolean;
  /** Not partitioned (both up is checked separately). */
  canReplicate(a: string, b: string): boolean;
  /** Host owning a configured replication address. */
  hostOfAddress(address: string): string | undefined;
  /** Whether a started site keeps a handle open on the volume (LOCKVOLUME fails then). */
  volumeInUse(host: string, letter: string): boolean;
}

export class DataKeeper {
  private views = new Map<string, VolumeView>();
  private tickTimer: Timer | undefined;
  /** Switchovers under way, by host:volume, each with its own token (a crash cancels them). */
  private pendingSwitchovers = new Map<string, object>();
  private writeSeq = 0;
  readonly ledger: LedgerEntry[] = [];
  readonly splitBrains: SplitBrainRecord[] = [];
  /** Accepted SWITCHOVERVOLUME requests, in order: when a promotion was asked for (the invariant checker judges it then). */
  readonly switchoverRequests: { host: string; volume: string; at: number; force: boolean }[] = [];

  constructor(private readonly d: DataKeeperDeps) {}

  addVolume(host: string, letter: string, totalBlocks: number, usedBlocks: number): void {
    this.views.set(key(host, letter), {
      host, letter, totalBlocks, usedBlocks: Math.min(usedBlocks, totalBlocks),
      role: 'none', state: MirrorState.None, userRequested: false, locked: false,
      blocks: new Map(), dirty: new Set(), queue: [], targetWrites: new Set(), rebootedWhileUnlocked: false,
    });
  }

  view(host: string, letter: string): VolumeView {
    const v = this.views.get(key(host, letter));
    if (!v) throw new DriverError({ code: 'MirrorNotFound', message: `volume ${letter}: does not exist on ${host}` });
    return v;
  }

  allViews(): VolumeView[] {
    return [...this.views.values()];
  }

  // ───────────── observation ─────────────

  info(host: string, letter: string): MirrorVolumeInfo {
    const v = this.view(host, letter);
    if (v.role === 'none') return { volume: letter, role: 'none', targets: [] };
    const target: MirrorVolumeInfo['targets'][number] = { targetAddress: v.targetAddress ?? '', state: v.state };
    if (v.mode) target.mode = v.mode;
    // Resync statistics exist only on the source (perf counters, §10.3).
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
      throw new DriverError({ code: 'MirrorPeerUnreachable', transient: true, message: `cannot reach ${targetHost} (${req.targetAddress}) to create the mirror` });
    }
    const tgt = this.view(targetHost, req.volume);
    if (tgt.role !== 'none') {
      throw new DriverError({ code: 'MirrorExists', message: `volume ${req.volume}: on ${targetHost} is already a mirror ${tgt.role}` });
    }
    Object.assign(src, {
      role: 'source', peer: targetHost, sourceAddress: req.sourceAddress, targetAddress: req.targetAddress,
      mode: req.mode, userRequested: false, locked: false,
    });
    Object.assign(tgt, {
      role: 'target', peer: host, sourceAddress: req.sourceAddress, targetAddress: req.targetAddress,
      mode: req.mode, userRequested: false, locked: true,
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
      throw new DriverError({ code: 'MirrorWrongRole', message: `volume ${letter}: ${host} is the target and its source ${v.peer} is up; delete from the source` });
    }
    const peer = v.peer ? this.views.get(key(v.peer, letter)) : undefined;
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
      throw new DriverError({ code: 'MirrorPeerUnreachable', transient: true, message: `volume ${letter}: target ${v.peer ?? '?'} is unreachable` });
    }
    const peer = this.view(v.peer, letter);
    if (peer.preparedDivergence) {
      // Split-brain recovery: the loser ran PREPARETOBECOMETARGET; it becomes our target.
      for (const b of peer.preparedDivergence) v.dirty.add(b);
      delete peer.preparedDivergence;
      Object.assign(peer, { role: 'target', peer: host, sourceAddress: v.sourceAddress, targetAddress: v.targetAddress, mode: v.mode, locked: true });
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
      throw new DriverError({ code: 'MirrorPeerUnreachable', transient: true, message: `volume ${letter}: target ${v.peer ?? '?'} is unreachable` });
    }
    v.userRequested = false;
    this.startResync(v, 'full');
    this.kick();
  }

  lock(host: string, letter: string): void {
    const v = this.view(host, letter);
    if (this.d.volumeInUse(host, letter)) {
      throw new DriverError({ code: 'VolumeBusy', transient: true, message: `volume ${letter}: on ${host} has open handles; LOCKVOLUME needs exclusive access` });
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
   * switchoverUnreachableMs when the source does not answer.
   */
  switchover(host: string, letter: string, force: boolean): void {
    const v = this.view(host, letter);
    if (v.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${letter}: is not mirrored on ${host}` });
    if (v.role === 'source') {
      if (this.pendingSwitchovers.has(key(host, letter))) return;
      throw new DriverError({ code: 'MirrorWrongRole', message: `volume ${letter}: ${host} is already the source (svc 265)` });
    }
    if (!force && v.state !== MirrorState.Mirroring) {
      throw new DriverError({
        code: 'MirrorNotMirroring',
        message: `volume ${letter}: switchover to ${host} refused: mirror state is ${v.state}, not Mirroring (1)`,
        detail: { state: v.state },
      });
    }
    const k = key(host, letter);
    if (this.pendingSwitchovers.has(k)) return;
    const token = {};
    this.pendingSwitchovers.set(k, token);
    this.switchoverRequests.push({ host, volume: letter, at: this.d.clock.now(), force });
    const oldSource = v.peer;
    const reachable = oldSource !== undefined && this.linkUp(host, oldSource);
    const delay = reachable ? this.d.timing.switchoverMs : this.d.timing.switchoverUnreachableMs;
    this.d.clock.setTimer(delay, () => {
      // A crash of the requesting host in the meantime cancelled it (the request died with its process),
      // even if the host is up again by now.
      if (this.pendingSwitchovers.get(k) !== token) return;
      this.pendingSwitchovers.delete(k);
      if (!this.d.isUp(host) || v.role !== 'target') return;
      this.completeSwitchover(v, oldSource);
    });
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
    const v = this.views.get(key(host, letter));
    const id = ++this.writeSeq;
    if (!v) return { id, block: -1, accepted: false, refusedBecause: 'NoSuchVolume', onTarget: false };
    const block = fixedBlock ?? this.d.random.int(0, Math.max(0, v.usedBlocks - 1));
    if (!this.d.isUp(host)) return { id, block, accepted: false, refusedBecause: 'HostDown', onTarget: false };
    if (v.locked) return { id, block, accepted: false, refusedBecause: 'VolumeLocked', onTarget: false };
    v.blocks.set(block, id);
    let onTarget = false;
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
    this.ledger.push({ id, host, volume: letter, block, at: this.d.clock.now(), onTargetAtAck: onTarget });
    return { id, block, accepted: true, onTarget };
  }

  /** Synchronously acknowledged writes whose data is not on `host`'s copy of the volume. */
  lostAcknowledgedWrites(host: string, letter: string): number[] {
    const v = this.views.get(key(host, letter));
    if (!v) return [];
    return this.ledger
      .filter((e) => e.volume === letter && e.onTargetAtAck && (v.blocks.get(e.block) ?? 0) < e.id)
      .map((e) => e.id);
  }

  // ───────────── host events ─────────────

  /** Host crash: memory (async queue) lost; an unlocked target will need a full resync. */
  hostCrashed(host: string): void {
    for (const v of this.views.values()) {
      if (v.host !== host) continue;
      this.pendingSwitchovers.delete(key(host, v.letter));
      v.queue = [];
      if (v.role === 'target' && !v.locked) v.rebootedWhileUnlocked = true;
    }
    this.evaluateLinks();
  }

  /** Host boot: targets are locked again; a source that lost its role meanwhile becomes a target. */
  hostBooted(host: string): void {
    for (const v of this.views.values()) {
      if (v.host !== host || v.role === 'none') continue;
      if (v.role === 'target') {
        v.locked = true;
        continue;
      }
      const peer = v.peer ? this.views.get(key(v.peer, v.letter)) : undefined;
      if (peer && v.peer && peer.role === 'source' && peer.peer === host && this.linkUp(host, v.peer)) {
        // dk-guide §4.2: it detects that the other node became source while it was down.
        for (const b of [...v.dirty, ...v.blocks.keys()].filter((b) => (peer.blocks.get(b) ?? 0) !== (v.blocks.get(b) ?? 0))) {
          peer.dirty.add(b);
        }
        for (const b of v.dirty) peer.dirty.add(b);
        // The roles swapped while it was down: so did the addresses (the peer's view is the current one).
        Object.assign(v, { role: 'target', locked: true, userRequested: false, state: peer.state, sourceAddress: peer.sourceAddress, targetAddress: peer.targetAddress });
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

  /** Run after any reachability change: pause mirrors that lost their target; detect split brain. */
  evaluateLinks(): void {
    for (const v of this.views.values()) {
      if (v.role !== 'source' || !v.peer || !this.d.isUp(v.host)) continue;
      const up = this.linkUp(v.host, v.peer);
      const peer = this.view(v.peer, v.letter);
      if (up && peer.role === 'source' && peer.peer === v.host) {
        this.recordSplitBrain(v.letter, [v.host, v.peer]);
        continue;
      }
      if (!up && (v.state === MirrorState.Mirroring || v.state === MirrorState.Resync || v.state === MirrorState.ResyncPending)) {
        this.toPaused(v, false);
      }
    }
    this.kick();
  }

  // ───────────── the replication engine ─────────────

  private kick(): void {
    if (this.tickTimer || !this.hasWork()) return;
    this.tickTimer = this.d.clock.setTimer(this.d.timing.tickMs, () => {
      this.tickTimer = undefined;
      this.tick();
      this.kick();
    });
  }

  private hasWork(): boolean {
    for (const v of this.views.values()) {
      if (v.role !== 'source' || !this.d.isUp(v.host)) continue;
      if (v.state === MirrorState.Resync || v.state === MirrorState.ResyncPending || v.queue.length > 0) return true;
      if (v.state === MirrorState.Paused && !v.userRequested && v.peer && this.linkUp(v.host, v.peer)) return true;
    }
    return false;
  }

  private tick(): void {
    const seconds = this.d.timing.tickMs / 1000;
    for (const v of this.views.values()) {
      if (v.role !== 'source' || !v.peer || !this.d.isUp(v.host)) continue;
      const peer = this.view(v.peer, v.letter);
      if (!this.linkUp(v.host, v.peer)) continue;
      if (peer.role === 'source') continue; // split brain: never auto-resolve
      if (v.state === MirrorState.Paused && !v.userRequested && peer.role === 'target') {
        // §4.3: automatic reconnect when the pause was not user-requested.
        this.startResync(v, peer.rebootedWhileUnlocked ? 'full' : 'partial');
        continue;
      }
      if (v.state === MirrorState.ResyncPending) {
        v.state = MirrorState.Resync;
        this.syncPeerState(v);
        continue;
      }
      if (v.state === MirrorState.Resync) {
        this.sendDirtyBlocks(v, peer, Math.max(1, Math.floor(this.d.timing.resyncBlocksPerSecond * seconds)));
        continue;
      }
      if (v.state === MirrorState.Mirroring && v.queue.length > 0) {
        const n = Math.max(1, Math.floor(this.d.timing.asyncWritesPerSecond * seconds));
        for (const w of v.queue.splice(0, n)) {
          peer.blocks.set(w.block, w.id);
          if (!v.queue.some((q) => q.block === w.block)) v.dirty.delete(w.block);
        }
      }
    }
  }

  private sendDirtyBlocks(v: VolumeView, peer: VolumeView, budget: number): void {
    const stats = v.resync!;
    const order = [...v.dirty].sort((a, b) => a - b);
    let sent = 0;
    for (const b of order) {
      if (sent >= budget) break;
      const content = v.blocks.get(b);
      if (content === undefined) peer.blocks.delete(b);
      else peer.blocks.set(b, content);
      v.dirty.delete(b);
      stats.currentBlock = b;
      sent++;
    }
    if (v.dirty.size === 0) {
      v.state = MirrorState.Mirroring;
      v.lastResyncDone = { ...stats, doneAt: this.d.clock.now() };
      delete v.resync;
      peer.targetWrites.clear();
      peer.rebootedWhileUnlocked = false;
    }
    this.syncPeerState(v);
  }

  private startResync(v: VolumeView, kind: 'full' | 'partial'): void {
    if (kind === 'full') {
      for (let b = 0; b < v.usedBlocks; b++) v.dirty.add(b);
      for (const b of v.blocks.keys()) v.dirty.add(b);
    } else if (v.peer) {
      const peer = this.views.get(key(v.peer, v.letter));
      // Continue sends the source's changed blocks plus the blocks changed on the target (dk-guide §6).
      if (peer) for (const b of peer.targetWrites) v.dirty.add(b);
    }
    v.queue = [];
    v.state = MirrorState.ResyncPending;
    v.resync = { startedAt: this.d.clock.now(), total: v.dirty.size, pass: 0, newWrites: 0, currentBlock: 0 };
    this.syncPeerState(v);
  }

  private toPaused(v: VolumeView, userRequested: boolean): void {
    // §2.5: queued async writes are not sent; their blocks stay dirty in the bitmap.
    v.queue = [];
    v.state = MirrorState.Paused;
    v.userRequested = userRequested;
    delete v.resync;
    this.syncPeerState(v);
  }

  private completeSwitchover(v: VolumeView, oldSource: string | undefined): void {
    const old = oldSource ? this.views.get(key(oldSource, v.letter)) : undefined;
    const swapAddresses = { sourceAddress: v.targetAddress, targetAddress: v.sourceAddress };
    if (old && oldSource && this.linkUp(v.host, oldSource) && old.role === 'source') {
      // Graceful: the old source flushes its queue, then the roles swap (dk-guide §4.1).
      for (const w of old.queue) v.blocks.set(w.block, w.id);
      const pending = new Set([...old.dirty].filter((b) => (v.blocks.get(b) ?? 0) !== (old.blocks.get(b) ?? 0)));
      Object.assign(old, { role: 'target', locked: true, queue: [], dirty: new Set(), userRequested: false, ...swapAddresses });
      Object.assign(v, { role: 'source', locked: false, userRequested: false, ...swapAddresses });
      v.dirty = pending;
      delete old.resync;
      if (pending.size > 0) this.startResync(v, 'partial');
      else {
        v.state = MirrorState.Mirroring;
        this.syncPeerState(v);
      }
    } else {
      // Source unreachable (dk-guide §4.2): become source, paused until the old source returns.
      Object.assign(v, { role: 'source', locked: false, userRequested: false, state: MirrorState.Paused, ...swapAddresses });
      v.dirty = new Set();
      delete v.resync;
      this.evaluateLinks();
    }
    this.kick();
  }

  private syncPeerState(v: VolumeView): void {
    if (!v.peer || !this.linkUp(v.host, v.peer)) return;
    const peer = this.views.get(key(v.peer, v.letter));
    if (peer && peer.role === 'target' && peer.peer === v.host) peer.state = v.state;
  }

  private requireSource(host: string, letter: string, command: string): VolumeView {
    const v = this.view(host, letter);
    if (v.role === 'none') throw new DriverError({ code: 'MirrorNotFound', message: `volume ${letter}: is not mirrored on ${host}` });
    if (v.role !== 'source') {
      throw new DriverError({ code: 'MirrorWrongRole', message: `${command} must run on the source; ${host} is the target of ${letter}:` });
    }
    return v;
  }

  private linkUp(a: string, b: string): boolean {
    return this.d.isUp(a) && this.d.isUp(b) && this.d.canReplicate(a, b);
  }

  private recordSplitBrain(letter: string, sources: string[]): void {
    const sorted = [...sources].sort();
    const open = this.splitBrains.find((s) => s.volume === letter && s.sources.join() === sorted.join());
    if (!open) this.splitBrains.push({ volume: letter, sources: sorted, at: this.d.clock.now() });
  }

  private clearSplitBrain(_letter: string): void {
    // Records stay: they are history for the invariant checker.
  }
}

function key(host: string, letter: string): string {
  return `${host}\u0000${letter}`;
}

function clearMirror(v: VolumeView): void {
  v.role = 'none';
  v.state = MirrorState.None;
  v.userRequested = false;
  v.locked = false;
  v.queue = [];
  v.dirty = new Set();
  v.targetWrites = new Set();
  v.rebootedWhileUnlocked = false;
  delete v.peer;
  delete v.sourceAddress;
  delete v.targetAddress;
  delete v.mode;
  delete v.resync;
}
