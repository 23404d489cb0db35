/**
 * A cluster of real processes on one machine: a world server (`winha sim
 * world`) and one `winha agent` per node, each with its own log file, as
 * `winha demo` runs them and as the end-to-end tests do (one store, any
 * backend: the caller names it and may give each agent its own environment,
 * e.g. its own KUBECONFIG).
 *
 * Children are detached (Ctrl-C in a terminal reaches only the parent, which
 * stops them) and killed with SIGKILL: a crash, never a clean shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock, type Clock } from '../lib/clock.js';
import { RemoteWorldApi } from './remote-world-api.js';
import type { WorldInspection } from './world-api.js';

/** The checkout's root (children run there). */
export const WINHA_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const ROOT = WINHA_ROOT;
/** bin/winha.js of this checkout (the compiled CLI). */
export const WINHA_BIN = existsSync(join(ROOT, 'bin', 'winha.js')) ? join(ROOT, 'bin', 'winha.js') : process.argv[1]!;

export interface ClusterChild {
  name: string;
  proc: ChildProcess;
  /** Its stdout and stderr. */
  log: string;
}

/** A wait that timed out, or a world server that died: the message says which. */
export class ProcessClusterError extends Error {}

export class ProcessCluster {
  readonly children: ClusterChild[] = [];
  private readonly clock: Clock;

  /** `dir`: where the logs go (the caller creates and removes it). */
  constructor(
    readonly dir: string,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
  }

  /** `winha ARGS...` as a detached child logging to DIR/NAME.log. */
  start(name: string, args: string[], env?: NodeJS.ProcessEnv): ClusterChild {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const proc = spawn(process.execPath, [WINHA_BIN, ...args], { stdio: ['ignore', fd, fd], detached: true, cwd: ROOT, ...(env ? { env } : {}) });
    closeSync(fd);
    proc.unref();
    const c = { name, proc, log };
    this.children.push(c);
    return c;
  }

  running(c: ClusterChild): boolean {
    return c.proc.exitCode === null && c.proc.signalCode === null;
  }

  /** kill -9. */
  kill(c: ClusterChild): void {
    if (c.proc.pid && this.running(c)) {
      try {
        process.kill(c.proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  killAll(): void {
    for (const c of this.children) this.kill(c);
  }

  /** `winha sim world --listen 127.0.0.1:0 -f MANIFEST ...extra`; resolves when it listens. */
  async startWorld(manifest: string, extra: string[] = []): Promise<{ child: ClusterChild; address: string; api: RemoteWorldApi }> {
    const child = this.start('world', ['sim', 'world', '--listen', '127.0.0.1:0', '-f', manifest, ...extra]);
    const address = await this.waitFor('the world server to listen', 15_000, async () => /listening on (\S+)/.exec(readFileSync(child.log, 'utf8'))?.[1], 100);
    return { child, address, api: new RemoteWorldApi(address) };
  }

  /** `winha agent --node NODE --store URL --driver sim://WORLD/NODE`, named agent-NODE. */
  startAgent(node: string, storeUrl: string, worldAddress: string, env?: NodeJS.ProcessEnv): ClusterChild {
    return this.start(`agent-${node}`, ['agent', '--node', node, '--store', storeUrl, '--driver', `sim://${worldAddress}/${node}`], env);
  }

  /** Poll `probe` until it gives a value; fails after timeoutMs, or as soon as the world server has exited. */
  async waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
    const begin = this.clock.monotonic();
    for (;;) {
      const v = await probe().catch(() => undefined);
      if (v !== undefined) return v;
      for (const c of this.children) {
        if (c.name === 'world' && c.proc.exitCode !== null) throw new ProcessClusterError(`the world server exited (${c.proc.exitCode}); see ${c.log}`);
      }
      if (this.clock.monotonic() - begin > timeoutMs) throw new ProcessClusterError(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
      await this.clock.sleep(everyMs);
    }
  }

  /** The last lines of every child's log, for a failure message. */
  tails(lines = 8): string {
    let out = '';
    for (const c of this.children) {
      try {
        const tail = readFileSync(c.log, 'utf8').trim().split('\n').slice(-lines).join('\n');
        if (tail) out += `--- last lines of ${c.name} ---\n${tail}\n`;
      } catch {
        /* no log */
      }
    }
    return out;
  }
}

/** Two actives in one look at the world: a site started on two hosts, or one of `vips` held by two. */
export function doubleActives(i: WorldInspection, vips: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const hostsBySite = new Map<string, string[]>();
  for (const [h, sites] of Object.entries(i.startedSites)) for (const s of sites) hostsBySite.set(s, [...(hostsBySite.get(s) ?? []), h]);
  for (const [s, hs] of hostsBySite) if (hs.length > 1) out.push(`site ${s} started on ${hs.join(' and ')}`);
  for (const [a, hs] of Object.entries(i.addressHolders)) if (hs.length > 1 && vips.has(a)) out.push(`address ${a} held by ${hs.join(' and ')}`);
  return out;
}
