/**
 * A dashboard over one store: the live source (started on the first request, or at once with `eager`) and the
 * routes. `winha dashboard` and the agent's --listen both make theirs here; only the former may pass actions.
 */
import { isIP } from 'node:net';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/types.js';
import { DashboardSource } from './source.js';
import { dashboardHandler, type DashboardHandler } from './server.js';
import type { ActionsConfig } from './actions.js';

export interface Dashboard {
  handler: DashboardHandler;
  /** Start following the store now rather than on the first request (winha dashboard: a faster first page). */
  warm(): void;
  /** Ends the event streams and the store watches. */
  stop(): void;
}

export interface DashboardOptions {
  store: Store;
  clock: Clock;
  /** The address bound: on loopback, requests naming another Host are refused (DNS rebinding). */
  host: string;
  actions?: Omit<ActionsConfig, 'objects' | 'clock'>;
  maxClients?: number;
  debounceMs?: number;
  storeWaitMs?: number;
}

export function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export function createDashboard(o: DashboardOptions): Dashboard {
  let source: DashboardSource | undefined;
  let starting: Promise<DashboardSource> | undefined;
  const start = (): Promise<DashboardSource> => {
    starting ??= (async () => {
      source = new DashboardSource(o.store, {
        clock: o.clock,
        actions: !!o.actions,
        ...(o.debounceMs !== undefined ? { debounceMs: o.debounceMs } : {}),
      });
      await source.start();
      return source;
    })();
    return starting;
  };
  const handler = dashboardHandler({
    source: start,
    clock: o.clock,
    loopbackOnly: isLoopback(o.host),
    ...(o.maxClients !== undefined ? { maxClients: o.maxClients } : {}),
    ...(o.storeWaitMs !== undefined ? { storeWaitMs: o.storeWaitMs } : {}),
    ...(o.actions ? { actions: { ...o.actions, objects: o.store.objects, clock: o.clock } } : {}),
  });
  return {
    handler,
    warm: () => void start().catch(() => undefined),
    stop: () => {
      handler.close();
      source?.stop();
    },
  };
}

export { DashboardSource } from './source.js';
