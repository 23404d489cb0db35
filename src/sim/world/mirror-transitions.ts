/**
 * Role changes of the simulated DataKeeper: a switchover completing (graceful, docs/spec/seed003-dk-guide-troubleshooting.md
 * §4.1, or with the source unreachable, §4.2), and what a host crash or boot does to its mirrors (an old source that
 * finds another node became source while it was down becomes that node's target, §4.2 step 4).
 */
import { MirrorState } from '../../drivers/types.js';
import { MirrorEngine, differingBlocks, isActive, newPair, type MirrorPair, type VolumeView } from './mirror-engine.js';

export class MirrorTransitions extends MirrorEngine {
  /**
   * `v` (a target) becomes source. Every other target of the old source gets a mirror from `v`: with the old
   * source's intent log when it answers (copied to the new source, §4.1 step 5), else with the blocks that differ;
   * either way a partial resync (full when that pair was Broken: its writes were not tracked).
   */
  protected completeSwitchover(v: VolumeView, oldSource: string | undefined): void {
    const old = oldSource ? this.findView(oldSource, v.letter) : undefined;
    const myAddress = v.targetAddress ?? '';
    const oldAddress = v.sourceAddress ?? '';
    const mode = v.mode ?? 'Synchronous';
    const graceful = old !== undefined && oldSource !== undefined && this.linkUp(v.host, oldSource) && old.role === 'source';
    const oldPairs: MirrorPair[] = old?.role === 'source' ? [...old.pairs.values()] : [];
    const pairs = new Map<string, MirrorPair>();
    const back = newPair(v.host, oldSource ?? '', myAddress, oldAddress, mode);
    if (oldSource !== undefined) pairs.set(oldSource, back);
    if (graceful) {
      // The old source flushes every queue it can send (§4.1 step 2); what it cannot stays in its bitmaps.
      for (const p of oldPairs) {
        const t = this.findView(p.target, v.letter);
        if (t && t.peer === oldSource && this.linkUp(oldSource, p.target)) {
          for (const w of p.queue) t.blocks.set(w.block, w.id);
          for (const w of p.queue) if ((t.blocks.get(w.block) ?? 0) === (old.blocks.get(w.block) ?? 0)) p.dirty.delete(w.block);
        }
        p.queue = [];
      }
      // What the old source has and the new one lacks (its bitmap for this pair, and anything untracked).
      back.dirty = new Set(differingBlocks(v, old));
    }
    for (const p of oldPairs) {
      if (p.target === v.host) continue;
      const q = newPair(v.host, p.target, myAddress, p.targetAddress, p.mode);
      if (oldSource !== undefined) q.replaces = oldSource;
      if (graceful) q.dirty = new Set(p.dirty);
      if (p.state === MirrorState.Broken) q.state = MirrorState.Broken;
      pairs.set(p.target, q);
    }
    Object.assign(v, { role: 'source', locked: false, sourceAddress: myAddress, pairs });
    delete v.peer;
    delete v.targetAddress;
    if (graceful) {
      Object.assign(old, { role: 'target', locked: true, peer: v.host, sourceAddress: myAddress, targetAddress: oldAddress, mode });
      old.pairs = new Map();
      if (back.dirty.size > 0) this.startResync(v, back, 'partial');
      else back.state = MirrorState.Mirroring;
      old.state = back.state;
    }
    for (const q of pairs.values()) {
      if (q.target === oldSource) continue;
      const t = this.findView(q.target, v.letter);
      if (!t || !this.linkUp(v.host, q.target) || t.role !== 'target' || !this.adoptable(t, q)) continue;
      const broken = q.state === MirrorState.Broken;
      this.adopt(v, q, t);
      this.startResync(v, q, broken || t.rebootedWhileUnlocked ? 'full' : 'partial');
    }
    this.refresh(v);
    this.evaluateLinks();
    this.kick();
  }

  /** Host crash: memory (async queues) lost; an unlocked target will need a full resync. */
  protected crashMirrors(host: string): void {
    for (const v of this.allViews()) {
      if (v.host !== host) continue;
      for (const p of v.pairs.values()) p.queue = [];
      if (v.role === 'target' && !v.locked) v.rebootedWhileUnlocked = true;
    }
    this.evaluateLinks();
  }

  /** Host boot: targets are locked again; a source that lost its role meanwhile becomes a target. */
  protected bootMirrors(host: string): void {
    for (const v of this.allViews()) {
      if (v.host !== host || v.role === 'none') continue;
      if (v.role === 'target') {
        v.locked = true;
        continue;
      }
      const successor = this.allViews().find(
        (s) => s.letter === v.letter && s.host !== host && s.role === 'source' && s.pairs.has(host) && this.linkUp(host, s.host),
      );
      if (successor) {
        // §4.2 step 4: it detects that another node became source while it was down and becomes its target.
        const p = successor.pairs.get(host)!;
        for (const q of v.pairs.values()) for (const b of q.dirty) p.dirty.add(b);
        for (const b of differingBlocks(v, successor)) p.dirty.add(b);
        Object.assign(v, {
          role: 'target',
          locked: true,
          peer: successor.host,
          sourceAddress: p.sourceAddress,
          targetAddress: p.targetAddress,
        });
        v.mode = p.mode;
        v.pairs = new Map();
        v.state = p.state;
      } else {
        // Source crash: partial resync from the intent log on recovery (§4.3).
        for (const p of v.pairs.values()) if (isActive(p.state)) this.startResync(v, p, 'partial');
      }
    }
    this.evaluateLinks();
    this.kick();
  }

  /** Recompute a source's reported state from its pairs. */
  protected refresh(v: VolumeView): void {
    for (const p of v.pairs.values()) this.syncPeerState(v, p);
  }
}
