/**
 * Events with codes and counts (design §2): a repeat of the same event (same
 * object, node, reason, code and message) folds into one Event whose count and
 * lastTimestamp grow, as Kubernetes' event correlator does. Writing an event
 * never fails the caller: the store may be unreachable (then it is logged only).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { isStoreError } from '../store/errors.js';
import type { ObjectStore, StoredObject } from '../store/types.js';

export interface EventInput {
  involved: { kind: string; name: string; namespace: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  code?: number;
  epoch?: number;
}

export class EventRecorder {
  private readonly known = new Map<string, StoredObject>();

  constructor(
    private readonly store: ObjectStore,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: (e: EventInput) => void = () => undefined,
  ) {}

  async record(e: EventInput): Promise<void> {
    this.log(e);
    const digest = createHash('sha256')
      .update(JSON.stringify([e.involved.kind, e.involved.name, this.node, e.reason, e.code ?? null, e.message]))
      .digest('hex')
      .slice(0, 12);
    const name = `${e.involved.name}.${digest}`.slice(0, 253);
    const ns = e.involved.namespace;
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        let cur = this.known.get(`${ns}/${name}`);
        if (!cur) {
          try {
            cur = await this.store.get('Event', ns, name);
          } catch (err) {
            if (!isStoreError(err, 'NotFound')) throw err;
          }
        }
        if (cur) {
          const next = {
            ...cur,
            count: Number(cur['count'] ?? 1) + 1,
            lastTimestamp: now,
            ...(e.epoch !== undefined ? { epoch: e.epoch } : {}),
          };
          this.known.set(`${ns}/${name}`, await this.store.update(next));
        } else {
          const created = await this.store.create({
            apiVersion: 'winha.io/v1alpha1',
            kind: 'Event',
            metadata: { name, namespace: ns },
            involvedObject: { kind: e.involved.kind, name: e.involved.name, namespace: ns },
            node: this.node,
            type: e.type,
            reason: e.reason,
            message: e.message,
            ...(e.code !== undefined ? { code: e.code } : {}),
            ...(e.epoch !== undefined ? { epoch: e.epoch } : {}),
            count: 1,
            firstTimestamp: now,
            lastTimestamp: now,
          });
          this.known.set(`${ns}/${name}`, created);
        }
        return;
      } catch (err) {
        this.known.delete(`${ns}/${name}`);
        if (isStoreError(err, 'Conflict') || isStoreError(err, 'AlreadyExists')) continue;
        return; // unreachable store: the log line is all we can do
      }
    }
  }
}
