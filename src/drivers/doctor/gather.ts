/**
 * Gathering `winha doctor`'s facts through injected effects (file check,
 * PowerShell host, TCP connect, store probe), so the gatherer runs in tests
 * against stand-ins and on Linux reports "not a Windows host" instead of crashing.
 */
import { connect as netConnect } from 'node:net';
import type { Clock } from '../../lib/clock.js';
import type { PsHost } from '../windows/ps-host/types.js';
import { windowsDoctorFacts } from '../windows/doctor-facts.js';
import type { CloudGatherDeps } from './cloud-gather.js';
import type { DoctorExpectations, DoctorFacts, Reachability, StoreFacts } from './types.js';

export type TcpConnect = (address: string, port: number, timeoutMs: number) => Promise<{ ok: true } | { ok: false; error: string }>;

export interface DoctorGatherDeps {
  clock: Clock;
  powershellPath: string;
  fileExists(path: string): Promise<boolean>;
  /** Start the PowerShell host; undefined when this build has none to start (the reason is reported). */
  openPsHost(): Promise<PsHost | { unavailable: string }>;
  tcpConnect: TcpConnect;
  /** Already measured by the caller (it also read the manifests from the store). */
  store: StoreFacts;
  /** Per probe and for the PowerShell request. */
  timeoutMs?: number;
  /** For cloud VirtualIPs only: AWS access, interface MACs, the probe-port test. */
  cloud?: Omit<CloudGatherDeps, 'clock'>;
}

export async function gatherDoctorFacts(deps: DoctorGatherDeps, x: DoctorExpectations): Promise<DoctorFacts> {
  const timeoutMs = deps.timeoutMs ?? 3_000;
  const reachability = Promise.all(
    x.peers.map(async (p): Promise<Reachability> => {
      const r = await deps.tcpConnect(p.address, p.port, timeoutMs);
      return { ...p, reachable: r.ok, ...(r.ok ? {} : { error: r.error }) };
    }),
  );
  // Loaded only for cloud VirtualIPs: it brings the AWS SDK.
  const cloud = x.cloudVips?.length
    ? import('./cloud-gather.js').then((m) => m.gatherCloudFacts({ clock: deps.clock, ...deps.cloud }, x.cloudVips ?? []))
    : undefined;
  return {
    powershellPath: deps.powershellPath,
    windows: await windows(deps, timeoutMs * 10),
    reachability: await reachability,
    store: deps.store,
    ...(cloud ? { cloud: await cloud } : {}),
  };
}

async function windows(deps: DoctorGatherDeps, timeoutMs: number): Promise<DoctorFacts['windows']> {
  if (!(await deps.fileExists(deps.powershellPath))) {
    return { unavailable: `not a Windows host (powershell.exe not found at ${deps.powershellPath})` };
  }
  const host = await deps.openPsHost();
  if ('unavailable' in host) return host;
  const ac = new AbortController();
  const timer = deps.clock.setTimer(timeoutMs, () => ac.abort(new Error(`no answer within ${timeoutMs} ms`)));
  try {
    return await windowsDoctorFacts(host, { signal: ac.signal, timeoutMs });
  } finally {
    timer.cancel();
    await host.close();
  }
}

/** A TCP connect with a deadline on the injected clock; the socket is always destroyed. */
export function tcpConnectWith(clock: Clock): TcpConnect {
  return (address, port, timeoutMs) =>
    new Promise((resolve) => {
      const socket = netConnect({ host: address, port });
      const done = (r: { ok: true } | { ok: false; error: string }) => {
        timer.cancel();
        socket.destroy();
        resolve(r);
      };
      const timer = clock.setTimer(timeoutMs, () => done({ ok: false, error: `no connection within ${timeoutMs} ms` }));
      socket.once('connect', () => done({ ok: true }));
      socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
    });
}
