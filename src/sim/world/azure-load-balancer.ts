/**
 * An Azure internal load balancer with floating IP, as far as failover needs it: one frontend address, the group's
 * nodes as backends, and a TCP health probe that decides which backends get new flows.
 *
 * Model (Azure's defaults): the probe runs every 5 s against each backend; a backend is marked down after 2
 * consecutive failed probes (the unhealthy threshold) and up again after 1 success. A backend starts down until
 * its first successful probe. A probe succeeds when the host is up and its agent listens on the probe port.
 */
import type { Clock, Timer } from '../../lib/clock.js';

export const AZURE_PROBE_INTERVAL_MS = 5_000;
export const AZURE_UNHEALTHY_THRESHOLD = 2;

export interface LoadBalancerConfig {
  /** The frontend address (VirtualIP spec.address). */
  frontend: string;
  probePort: number;
  backends: string[];
}

interface Backend {
  host: string;
  healthy: boolean;
  failures: number;
}

export class AzureLoadBalancer {
  private readonly backends: Backend[];

  constructor(
    readonly config: LoadBalancerConfig,
    /** Whether a probe to the host on the port gets a TCP answer now. */
    private readonly answers: (host: string, port: number) => boolean,
    /** Whether the host is powered on. */
    private readonly isUp: (host: string) => boolean,
  ) {
    this.backends = config.backends.map((host) => ({ host, healthy: false, failures: 0 }));
  }

  /** One probe round over every backend. */
  probe(): void {
    for (const b of this.backends) {
      if (this.isUp(b.host) && this.answers(b.host, this.config.probePort)) {
        b.healthy = true;
        b.failures = 0;
      } else if (++b.failures >= AZURE_UNHEALTHY_THRESHOLD) b.healthy = false;
    }
  }

  /** Backends marked healthy, in configuration order (a powered-off one is listed until its probes fail). */
  healthy(): string[] {
    return this.backends.filter((b) => b.healthy).map((b) => b.host);
  }

  /** Where new flows go now: healthy backends that are up. */
  routes(): string[] {
    return this.healthy().filter((h) => this.isUp(h));
  }
}

/** Probe every load balancer each interval on the world's clock (one timer for all). */
export class ProbeScheduler {
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly balancers: readonly AzureLoadBalancer[],
    private readonly intervalMs = AZURE_PROBE_INTERVAL_MS,
  ) {
    if (balancers.length > 0) this.schedule();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.intervalMs, () => {
      for (const lb of this.balancers) lb.probe();
      this.schedule();
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
