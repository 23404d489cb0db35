/**
 * The DataKeeper mirror state machine (docs/spec/seed003-datakeeper.md §2, §4, §9): each host's view of each
 * volume, and the replication engine that moves them between states on the clock — resync passes, the
 * async queue drain, pauses when a link drops, automatic reconnects, role swaps at switchover, split-brain
 * detection. The EMCMD-shaped commands, client writes and host events that drive it are in ./datakeeper.ts.
 *
 * Each host keeps its own view of each volume (role, state, lock, intent log),
 * so the two sides can disagree while they cannot talk — which is how split
 * brain happens. Blocks are 64 KB; a block's content is the id of the last
 * write to it (0 = never written since the world began).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { DriverError } from '../../drivers/errors.js';
import { MirrorState, type MirrorMode, type MirrorRole, type MirrorStateCode } from '../../drivers/types.js';
import type { SplitBrainRecord } from '../../drivers/sim/world-protocol.js';

export interface MirrorTiming {
  /** How often the replication engine runs (virtual ms). */
  tickMs: number;
  /** Resync speed: 64 KB blocks per second. */
  resyncBlocksPerSecond: number;
  /** Async queue drain speed: writes per second. */
  asyncWritesPerSecond: number;
  /** A switchover when the source answers. */
  switchoverMs: number;
  /** A switchover when the source does not answer: the target tries to reach it first (30–40 s, docs/spec/seed003-dk-guide-troubleshooting.md §4.2). */
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

/** Volume views and the replication engine; DataKeeper (./datakeeper.ts) adds the commands that drive them. */
export class MirrorEngine {
  protected readonly views = new Map<string, VolumeView>();
  private tickTimer: Timer | undefined;
  readonly splitBrains: SplitBrainRecord[] = [];

  constructor(protected readonly d: DataKeeperDeps) {}

  addVolume(host: string, letter: string, totalBlocks: number, usedBlocks: number): void {
    this.views.set(key(host, letter), {
      host,
      letter,
      totalBlocks,
      usedBlocks: Math.min(usedBlocks, totalBlocks),
      role: 'none',
      state: MirrorState.None,
      userRequested: false,
      locked: false,
      blocks: new Map(),
      dirty: new Set(),
      queue: [],
      targetWrites: new Set(),
      rebootedWhileUnlocked: false,
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

  /** A host's view of a volume, or undefined when the host has no such volume. */
  protected findView(host: string, letter: string): VolumeView | undefined {
    return this.views.get(key(host, letter));
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

  protected kick(): void {
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

  protected startResync(v: VolumeView, kind: 'full' | 'partial'): void {
    if (kind === 'full') {
      for (let b = 0; b < v.usedBlocks; b++) v.dirty.add(b);
      for (const b of v.blocks.keys()) v.dirty.add(b);
    } else if (v.peer) {
      const peer = this.views.get(key(v.peer, v.letter));
      // Continue sends the source's changed blocks plus the blocks changed on the target (docs/spec/seed003-dk-guide-troubleshooting.md §6).
      if (peer) for (const b of peer.targetWrites) v.dirty.add(b);
    }
    v.queue = [];
    v.state = MirrorState.ResyncPending;
    v.resync = { startedAt: this.d.clock.now(), total: v.dirty.size, pass: 0, newWrites: 0, currentBlock: 0 };
    this.syncPeerState(v);
  }

  protected toPaused(v: VolumeView, userRequested: boolean): void {
    // §2.5: queued async writes are not sent; their blocks stay dirty in the bitmap.
    v.queue = [];
    v.state = MirrorState.Paused;
    v.userRequested = userRequested;
    delete v.resync;
    this.syncPeerState(v);
  }

  protected completeSwitchover(v: VolumeView, oldSource: string | undefined): void {
    const old = oldSource ? this.views.get(key(oldSource, v.letter)) : undefined;
    const swapAddresses = { sourceAddress: v.targetAddress, targetAddress: v.sourceAddress };
    if (old && oldSource && this.linkUp(v.host, oldSource) && old.role === 'source') {
      // Graceful: the old source flushes its queue, then the roles swap (docs/spec/seed003-dk-guide-troubleshooting.md §4.1).
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
      // Source unreachable (docs/spec/seed003-dk-guide-troubleshooting.md §4.2): become source, paused until the old source returns.
      Object.assign(v, { role: 'source', locked: false, userRequested: false, state: MirrorState.Paused, ...swapAddresses });
      v.dirty = new Set();
      delete v.resync;
      this.evaluateLinks();
    }
    this.kick();
  }

  protected syncPeerState(v: VolumeView): void {
    if (!v.peer || !this.linkUp(v.host, v.peer)) return;
    const peer = this.views.get(key(v.peer, v.letter));
    if (peer && peer.role === 'target' && peer.peer === v.host) peer.state = v.state;
  }

  protected linkUp(a: string, b: string): boolean {
    return this.d.isUp(a) && this.d.isUp(b) && this.d.canReplicate(a, b);
  }

  private recordSplitBrain(letter: string, sources: string[]): void {
    const sorted = [...sources].sort();
    const open = this.splitBrains.find((s) => s.volume === letter && s.sources.join() === sorted.join());
    if (!open) this.splitBrains.push({ volume: letter, sources: sorted, at: this.d.clock.now() });
  }

  protected clearSplitBrain(_letter: string): void {
    // Records stay: they are history for the invariant checker.
  }
}

export function key(host: string, letter: string): string {
  return `${host}\u0000${letter}`;
}

/** The volume is no longer mirrored on this host (its data stays). */
export function clearMirror(v: VolumeView): void {
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
