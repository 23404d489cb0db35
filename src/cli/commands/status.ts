/**
 * `winha status`: clusters, nodes and groups on one screen (as clpstat, `crm_mon -1`, `patronictl list`).
 * Exit 0 when healthy, 1 when something is not ready, degraded, failed or dead, 2 on usage or store errors.
 */
import { toYaml } from '../../lib/yaml.js';
import { SystemClock, type Clock } from '../../lib/clock.js';
import type { Store, WatchEvent } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';
import { buildStatusView, statusSignature, type StatusView } from '../../view/status-view.js';
import { readNodeLeases } from '../../view/node-leases.js';
import { statusText } from '../status-text.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { interruptSignal } from './get.js';

export interface StatusFlags extends StoreFlags {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  watch?: boolean;
}

/** The kinds whose changes change the view. */
const WATCHED = ['Cluster', 'FailoverGroup', 'Mirror', 'Event', 'Sync'] as const;

export interface StatusLoopOptions {
  namespace: string | undefined;
  output: 'text' | 'json' | 'yaml';
  watch: boolean;
  clock: Clock;
  /** Ends a watch (SIGINT, or a test). */
  signal?: AbortSignal;
  /** Stop a watch after this many views were printed (tests). */
  maxRenders?: number;
}

/** Everything the view needs, read now. */
export async function readStatus(
  store: Store,
  namespace: string | undefined,
  now: () => number,
): Promise<{ view: StatusView; rvs: string[] }> {
  const opts = namespace ? { namespace } : {};
  // A Kubernetes cluster without the Sync CRD (installed before winha sync existed) has no syncs, not an error.
  const [clusters, groups, mirrors, events, syncs] = await Promise.all(
    WATCHED.map((k) =>
      store.objects.list(k, opts).catch((err: unknown) => (k === 'Sync' ? { items: [], resourceVersion: '' } : Promise.reject(err))),
    ),
  );
  const leases = await readNodeLeases(store.leases, clusters!.items);
  const view = buildStatusView({
    clusters: clusters!.items,
    groups: groups!.items,
    mirrors: mirrors!.items,
    events: events!.items,
    syncs: syncs!.items,
    leases,
    now: now(),
  });
  // Each kind's own revision to watch from (opaque on kubernetes://, where revisions are per resource).
  return { view, rvs: [clusters, groups, mirrors, events, syncs].map((l) => l!.resourceVersion) };
}

function format(view: StatusView, output: StatusLoopOptions['output']): string {
  if (output === 'json') return JSON.stringify(view, null, 2) + '\n';
  if (output === 'yaml') return toYaml(view);
  return statusText(view);
}

/** Wake the loop when any watched kind changes; relist (here: just wake) when a watch falls too far behind. */
function watchChanges(store: Store, namespace: string | undefined, rvs: string[], signal: AbortSignal, wake: () => void): Promise<void>[] {
  return WATCHED.map(async (kind, i) => {
    let from = rvs[i]!;
    if (kind === 'Sync' && from === '') return; // no Sync kind in this store (see readStatus)
    while (!signal.aborted) {
      try {
        const w = store.objects.watch(kind, { ...(namespace ? { namespace } : {}), resourceVersion: from, signal });
        for await (const ev of w as AsyncIterable<WatchEvent>) {
          from = ev.resourceVersion;
          if (ev.type !== 'BOOKMARK') wake();
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (!isStoreError(err, 'Gone')) throw err;
        from = (await store.objects.list(kind, { ...(namespace ? { namespace } : {}) })).resourceVersion;
        wake();
      }
    }
  });
}

/** Print the view once, or (watch) again on every change of the store until stopped. Returns whether it was healthy last. */
export async function statusLoop(store: Store, opts: StatusLoopOptions, io: CliIO): Promise<boolean> {
  const now = () => opts.clock.now();
  const first = await readStatus(store, opts.namespace, now);
  let view = first.view;
  const tty = !!io.stdout.isTTY && opts.output === 'text';
  const print = (v: StatusView) => io.stdout.write((tty ? '\x1b[H\x1b[2J' : '') + format(v, opts.output));
  print(view);
  if (!opts.watch) return view.healthy;
  let renders = 1;
  let last = statusSignature(view);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) stop.abort();
  let pending = false;
  let resolveWake: (() => void) | undefined;
  const wake = () => {
    pending = true;
    resolveWake?.();
  };
  stop.signal.addEventListener('abort', () => resolveWake?.());
  const watchers = watchChanges(store, opts.namespace, first.rvs, stop.signal, wake);
  // A watch that fails, or ends because the store closed, ends the loop.
  const failed = Promise.all(watchers).then(
    () => {
      stop.abort();
      return undefined;
    },
    (err: unknown) => {
      stop.abort();
      return err instanceof Error ? err : new Error(String(err));
    },
  );
  try {
    while (!stop.signal.aborted && (opts.maxRenders === undefined || renders < opts.maxRenders)) {
      if (!pending) await new Promise<void>((r) => (resolveWake = r));
      resolveWake = undefined;
      if (stop.signal.aborted) break;
      pending = false;
      ({ view } = await readStatus(store, opts.namespace, now));
      const sig = statusSignature(view);
      if (tty || sig !== last) {
        print(view);
        renders++;
      }
      last = sig;
    }
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const err = await failed;
  if (err) throw err;
  return view.healthy;
}

export async function runStatus(flags: StatusFlags, io: CliIO): Promise<number> {
  const output = flags.output ?? 'text';
  if (output !== 'text' && output !== 'json' && output !== 'yaml')
    throw new UsageError(`unknown output format "${output}" (use json or yaml)`);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? 'default');
  const interrupt = flags.watch ? interruptSignal() : undefined;
  let store: Store | undefined;
  try {
    store = await connect(flags, io);
    const healthy = await statusLoop(
      store,
      { namespace, output, watch: !!flags.watch, clock: new SystemClock(), ...(interrupt ? { signal: interrupt.signal } : {}) },
      io,
    );
    return healthy ? EXIT.OK : EXIT.FAILED;
  } catch (err) {
    // Monitoring tells "cannot look" (2) from "looked: unhealthy" (1).
    if (isStoreError(err)) {
      io.stderr.write(`winha status: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  } finally {
    interrupt?.dispose();
    await store?.close();
  }
}
