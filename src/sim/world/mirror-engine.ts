/**
 * The DataKeeper mirror state machine (docs/spec/seed003-datakeeper.md §2, §4, §9): each host's view of each
 * volume, the source→target pairs (one mirror per target, docs/spec/seed003-dk-guide-troubleshooting.md §2:
 * "fully independent", each with its own state, intent log and queue), and the replication engine that moves
 * them between states on the clock — resync passes, the async queue drain, pauses when a link drops, automatic
 * reconnects, split-brain detection. Switchover and boot transitions are in ./mirror-transitions.ts; the
 * EMCMD-shaped commands and client writes in ./datakeeper.ts.
 *
 * Each host keeps its own view of each volume (role, lock, data), so the sides can disagree while they cannot
 * talk — which is how split brain happens. A source holds its pairs; a target knows only its own mirror (its
 * source and the state it last heard). Blocks are 64 KB; a block's content is the id of the last write to it
 * (0 = never written since the world began).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { DriverError } from '../../drivers/errors.js';
import { MirrorState, type MirrorMode, type MirrorRole, type MirrorStateCode } from '../../drivers/types.js';
import type { SplitBrainRecord } from '../../drivers/sim/world-protocol.js';
import { worstMirrorState } from '../../api/mirror-states.js';

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

export interface ResyncStats {
  startedAt: number;
  total: number;
  pass: number;
  newWrites: number;
  currentBlock: number;
}

/** One mirror: a source volume replicating to one target (held by the source's view). */
export interface MirrorPair {
  source: string;
  target: string;
  /** Replication addresses of source and target as EMCMD prints them. */
  sourceAddress: string;
  targetAddress: string;
  mode: MirrorMode;
  /** The state as the source sees it: the true one. */
  state: MirrorStateCode;
  /** ISBREAKUSERREQUESTED: no automatic reconnect when true. */
  userRequested: boolean;
  /** Intent log for this target (one bitmap per target, §2.2): blocks not known to be there. Survives crashes. */
  dirty: Set<number>;
  /** Async write queue (memory only: lost on crash; its blocks stay in `dirty`). */
  queue: { id: number; block: number }[];
  resync?: ResyncStats;
  lastResyncDone?: ResyncStats & { doneAt: number };
  /** The old source whose mirror to the same target this pair replaced at a switchover (§4.1–4.2). */
  replaces?: string;
}

export interface VolumeView {
  host: string;
  letter: string;
  totalBlocks: number;
  /** Blocks the file system uses: what a full resync sends (free-space exclusion, §2.4). */
  usedBlocks: number;
  role: MirrorRole;
  /** A target: its mirror's state as this host last heard it. A source: the worst of its pairs (see aggregateState). */
  state: MirrorStateCode;
  /** A target: its source. */
  peer?: string;
  /** A target: its mirror's replication addresses. */
  sourceAddress?: string;
  targetAddress?: string;
  mode?: MirrorMode;
  /** A source: its mirrors, by target host. */
  pairs: Map<string, MirrorPair>;
  locked: boolean;
  blocks: Map<number, number>;
  /** Target: blocks written while unlocked (overwritten on continue). */
  targetWrites: Set<number>;
  /** Target rebooted while unlocked: the next resync is full (§9 rule 5). */
  rebootedWhileUnlocked: boolean;
  /** After PREPARETOBECOMETARGET: the blocks this loser changed, to be overwritten. */
  preparedDivergence?: Set<number>;
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

/** The worst state among a source's pairs (Mirroring only when every target is). */
export function aggregateState(pairs: Iterable<MirrorPair>): MirrorStateCode {
  return worstMirrorState([...pairs].map((p) => p.state)) as MirrorStateCode;
}

/** Volume views and the replication engine; transitions and commands extend it. */
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
      pairs: new Map(),
      locked: false,
      blocks: new Map(),
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

  /** The pair from `source` to `target` on `letter`, when `source` is a source that has one. */
  pair(source: string, target: string, letter: string): MirrorPair | undefined {
    const v = this.findView(source, letter);
    return v?.role === 'source' ? v.pairs.get(target) : undefined;
  }

  /** Run after any reachability change: pause mirrors that lost their target; detect split brain. */
  evaluateLinks(): void {
    for (const v of this.views.values()) {
      if (v.role !== 'source' || !this.d.isUp(v.host)) continue;
      for (const p of v.pairs.values()) {
        const up = this.linkUp(v.host, p.target);
        const other = this.findView(p.target, v.letter);
        if (up && other?.role === 'source' && other.pairs.has(v.host)) {
          this.recordSplitBrain(v.letter, [v.host, p.target]);
          continue;
        }
        // A lost link, or a target that another source took over: the pair cannot replicate.
        if (isActive(p.state) && (!up || !this.attached(v, p))) this.toPaused(v, p, false);
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
      for (const p of v.pairs.values()) {
        if (p.state === MirrorState.Resync || p.state === MirrorState.ResyncPending || p.queue.length > 0) return true;
        if (p.state === MirrorState.Paused && !p.userRequested && this.reachableTarget(v, p)) return true;
      }
    }
    return false;
  }

  private tick(): void {
    const seconds = this.d.timing.tickMs / 1000;
    for (const v of this.views.values()) {
      if (v.role !== 'source' || !this.d.isUp(v.host)) continue;
      for (const p of v.pairs.values()) {
        const t = this.reachableTarget(v, p);
        if (!t) continue; // unreachable, a split brain (never auto-resolved), or another source's target
        if (t.peer !== v.host) {
          if (p.userRequested || p.state === MirrorState.Broken) continue;
          this.adopt(v, p, t);
          this.startResync(v, p, t.rebootedWhileUnlocked ? 'full' : 'partial');
          continue;
        }
        if (p.state === MirrorState.Paused && !p.userRequested) {
          // §4.3: automatic reconnect when the pause was not user-requested.
          this.startResync(v, p, t.rebootedWhileUnlocked ? 'full' : 'partial');
          continue;
        }
        if (p.state === MirrorState.ResyncPending) {
          p.state = MirrorState.Resync;
          this.syncPeerState(v, p);
          continue;
        }
        if (p.state === MirrorState.Resync) {
          this.sendDirtyBlocks(v, p, t, Math.max(1, Math.floor(this.d.timing.resyncBlocksPerSecond * seconds)));
          continue;
        }
        if (p.state === MirrorState.Mirroring && p.queue.length > 0) {
          const n = Math.max(1, Math.floor(this.d.timing.asyncWritesPerSecond * seconds));
          for (const w of p.queue.splice(0, n)) {
            t.blocks.set(w.block, w.id);
            if (!p.queue.some((q) => q.block === w.block)) p.dirty.delete(w.block);
          }
        }
      }
    }
  }

  /** The target of pair `p` when the source can replicate to it now: its own target, or one it may take over. */
  protected reachableTarget(v: VolumeView, p: MirrorPair): VolumeView | undefined {
    if (!this.linkUp(v.host, p.target)) return undefined;
    const t = this.findView(p.target, v.letter);
    if (!t || t.role !== 'target') return undefined;
    return t.peer === v.host || this.adoptable(t, p) ? t : undefined;
  }

  /** Whether target `t` of pair `p` is attached to that pair's source now. */
  protected attached(v: VolumeView, p: MirrorPair): VolumeView | undefined {
    const t = this.findView(p.target, v.letter);
    return t && t.role === 'target' && t.peer === v.host ? t : undefined;
  }

  private sendDirtyBlocks(v: VolumeView, p: MirrorPair, t: VolumeView, budget: number): void {
    const stats = p.resync!;
    const order = [...p.dirty].sort((a, b) => a - b);
    let sent = 0;
    for (const b of order) {
      if (sent >= budget) break;
      const content = v.blocks.get(b);
      if (content === undefined) t.blocks.delete(b);
      else t.blocks.set(b, content);
      p.dirty.delete(b);
      stats.currentBlock = b;
      sent++;
    }
    if (p.dirty.size === 0) {
      p.state = MirrorState.Mirroring;
      p.lastResyncDone = { ...stats, doneAt: this.d.clock.now() };
      delete p.resync;
      t.targetWrites.clear();
      t.rebootedWhileUnlocked = false;
    }
    this.syncPeerState(v, p);
  }

  protected startResync(v: VolumeView, p: MirrorPair, kind: 'full' | 'partial'): void {
    if (kind === 'full') {
      for (let b = 0; b < v.usedBlocks; b++) p.dirty.add(b);
      for (const b of v.blocks.keys()) p.dirty.add(b);
    } else {
      const t = this.findView(p.target, v.letter);
      // Continue sends the source's changed blocks plus the blocks changed on the target (docs/spec/seed003-dk-guide-troubleshooting.md §6).
      if (t) for (const b of t.targetWrites) p.dirty.add(b);
    }
    p.queue = [];
    p.state = MirrorState.ResyncPending;
    p.resync = { startedAt: this.d.clock.now(), total: p.dirty.size, pass: 0, newWrites: 0, currentBlock: 0 };
    this.syncPeerState(v, p);
  }

  protected toPaused(v: VolumeView, p: MirrorPair, userRequested: boolean): void {
    // §2.5: queued async writes are not sent; their blocks stay dirty in the bitmap.
    p.queue = [];
    p.state = MirrorState.Paused;
    p.userRequested = userRequested;
    delete p.resync;
    this.syncPeerState(v, p);
  }

  /**
   * A target still attached to another source may join pair `p` when that source gave the role up or no longer
   * mirrors to it, or when `p` replaced that source's mirror at a switchover (docs/spec/seed003-dk-guide-troubleshooting.md
   * §4.1–4.2: A→C is deleted, B→C created) — never merely because its source is down.
   */
  protected adoptable(t: VolumeView, p: MirrorPair): boolean {
    if (t.peer === undefined || p.replaces === t.peer) return true;
    const old = this.findView(t.peer, t.letter);
    return !old || old.role !== 'source' || !old.pairs.has(t.host);
  }

  /** `t` becomes `v`'s target on pair `p`; the blocks where the two copies differ join the pair's bitmap. */
  protected adopt(v: VolumeView, p: MirrorPair, t: VolumeView): void {
    for (const b of differingBlocks(v, t)) p.dirty.add(b);
    Object.assign(t, { role: 'target', peer: v.host, sourceAddress: p.sourceAddress, targetAddress: p.targetAddress, mode: p.mode });
    t.locked = true;
    t.pairs = new Map();
    t.state = p.state;
  }

  protected syncPeerState(v: VolumeView, p: MirrorPair): void {
    v.state = aggregateState(v.pairs.values());
    if (!this.linkUp(v.host, p.target)) return;
    const t = this.findView(p.target, v.letter);
    if (t && t.role === 'target' && t.peer === v.host) t.state = p.state;
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

/** Mirroring or resyncing: what a lost link pauses. */
export function isActive(state: MirrorStateCode): boolean {
  return state === MirrorState.Mirroring || state === MirrorState.Resync || state === MirrorState.ResyncPending;
}

/** Blocks whose content differs between two copies of a volume. */
export function differingBlocks(a: VolumeView, b: VolumeView): number[] {
  const all = new Set([...a.blocks.keys(), ...b.blocks.keys()]);
  return [...all].filter((x) => (a.blocks.get(x) ?? 0) !== (b.blocks.get(x) ?? 0));
}

/** A fresh pair from `source` to `target`, empty bitmap, Paused until something starts it. */
export function newPair(source: string, target: string, sourceAddress: string, targetAddress: string, mode: MirrorMode): MirrorPair {
  return {
    source,
    target,
    sourceAddress,
    targetAddress,
    mode,
    state: MirrorState.Paused,
    userRequested: false,
    dirty: new Set(),
    queue: [],
  };
}

/** The volume is no longer mirrored on this host (its data stays). */
export function clearMirror(v: VolumeView): void {
  v.role = 'none';
  v.state = MirrorState.None;
  v.locked = false;
  v.pairs = new Map();
  v.targetWrites = new Set();
  v.rebootedWhileUnlocked = false;
  delete v.peer;
  delete v.sourceAddress;
  delete v.targetAddress;
  delete v.mode;
}
