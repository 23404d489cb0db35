/**
 * Keeps etcd's history bounded to about `historyLimit` revisions, as the
 * Kubernetes API server compacts its etcd: every `step` revisions (half the
 * limit, at least 16), the writer whose write crosses a multiple of `step`
 * compacts up to revision − historyLimit. Any client may do it, several may
 * race (compacting to an older revision is a no-op), and a failure only means
 * the history grows until the next crossing. Watches from before the
 * compacted revision fail with GoneError (list again).
 *
 * historyLimit 0 turns this off (leave compaction to etcd's
 * --auto-compaction-mode=revision --auto-compaction-retention=N).
 */
import type { EtcdClient } from './client.js';

export class Compactor {
  private readonly step: number;
  private lastWrite: number | undefined;

  constructor(
    private readonly client: EtcdClient,
    private readonly historyLimit: number,
  ) {
    this.step = Math.max(16, Math.ceil(historyLimit / 2));
  }

  /** Called after each successful write at `revision`. */
  async wrote(revision: number): Promise<void> {
    if (this.historyLimit <= 0) return;
    const prev = this.lastWrite;
    this.lastWrite = Math.max(prev ?? revision, revision);
    if (prev === undefined || Math.floor(revision / this.step) <= Math.floor(prev / this.step)) return;
    if (revision <= this.historyLimit) return;
    try {
      await this.client.compact(revision - this.historyLimit);
    } catch {
      // Best effort: the next crossing tries again.
    }
  }
}
