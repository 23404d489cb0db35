/**
 * The holder's view of where the cloud sends its API-moved addresses (AWS), kept per lease epoch: a new term knows
 * nothing and claims at once (no read first), a claim is remembered as the truth of its term, and the cloud is read
 * again at most every maxAgeMs to find drift (someone moved the address behind our back), which the next
 * activation repairs, as LifeKeeper's EC2 kit does in its quick check; a read that fails is no failover, as the kit
 * treats an AWS CLI timeout (docs/spec/seed-iis.md §12).
 */
import type { VirtualIP } from '../api/types.js';
import { type CloudRoute, type CloudRouting } from '../cloud/vip-routing.js';
import type { CallOptions, HostDriver } from '../drivers/types.js';
import type { Clock } from '../lib/clock.js';
import type { AgentLogger } from './logger.js';

interface Known {
  epoch: number;
  here: boolean;
  target: string | null;
  /** Clock.monotonic() when it was learnt. */
  at: number;
}

export class CloudObservation {
  private readonly known = new Map<string, Known>();
  private readonly macs = new Map<string, string>();

  constructor(private readonly d: { routing: CloudRouting; driver: HostDriver; clock: Clock; log: AgentLogger; node: string }) {}

  /** Whether the cloud sends v's traffic here in this term; undefined until claimed or read in this term. */
  async here(v: VirtualIP, iface: string, epoch: number, o: CallOptions, maxAgeMs: number): Promise<boolean | undefined> {
    const k = this.known.get(keyOf(v));
    if (!k || k.epoch !== epoch) return undefined;
    if (this.d.clock.monotonic() - k.at < maxAgeMs) return k.here;
    try {
      const r = await this.d.routing.observe(v, await this.mac(iface, o), o.signal);
      if (!r.here && k.here)
        this.d.log.warn({ vip: v.metadata.name, target: r.target }, `${v.spec.address} is routed away from ${this.d.node}: repairing`);
      this.known.set(keyOf(v), { epoch, here: r.here, target: r.target, at: this.d.clock.monotonic() });
      return r.here;
    } catch (err) {
      // The cloud did not answer: keep what this term knows (a failed read is no drift), and ask again next time.
      this.d.log.warn({ vip: v.metadata.name, err: String(err) }, 'cannot read where the cloud routes the address');
      return k.here;
    }
  }

  /** Move v's traffic here under `epoch` (guarded before every call) and remember it for the term. */
  async claim(v: VirtualIP, iface: string, epoch: number, guard: () => Promise<boolean>, o: CallOptions): Promise<CloudRoute> {
    const r = await this.d.routing.claim(v, await this.mac(iface, o), guard, o.signal);
    this.known.set(keyOf(v), { epoch, here: r.here, target: r.target, at: this.d.clock.monotonic() });
    return r;
  }

  /** The MAC address of the interface (what the instance metadata service knows the node's ENIs by). */
  private async mac(iface: string, o: CallOptions): Promise<string> {
    const cached = this.macs.get(iface.toLowerCase());
    if (cached) return cached;
    const all = await this.d.driver.listInterfaces(o);
    const n = all.find((x) => x.alias.toLowerCase() === iface.toLowerCase());
    if (!n) throw new Error(`no interface "${iface}" on ${this.d.node} (it has ${all.map((x) => x.alias).join(', ') || 'none'})`);
    this.macs.set(iface.toLowerCase(), n.macAddress);
    return n.macAddress;
  }
}

function keyOf(v: VirtualIP): string {
  return `${v.metadata.namespace ?? 'default'}/${v.metadata.name}`;
}
