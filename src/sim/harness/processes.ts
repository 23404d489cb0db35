/**
 * Real processes of a simulated cluster: a world server (`winha sim world`)
 * and one `winha agent --driver sim://ADDR/NODE` per node, each an OS process
 * with its own log file. `winha demo` and the end-to-end tests (etcd) share
 * this, so they all start, stop and kill processes the same way (any store backend:
 * the caller names it and may give each agent its own environment, e.g. its own KUBECONFIG).
 *
 *   const ps = new ProcessGroup(dir);
 *   const world = await startWorld(ps, { manifest, seed: 1, switchoverUnreachable: '2s' });
 *   const a = ps.start('agent-node1', agentArgs('node1', storeUrl, world.address));
 *   await ps.kill(a);          // SIGKILL, resolves when it is gone
 *   ps.killAll();              // synchronous: safe in an exit handler
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock, type Clock } from '../../lib/clock.js';
import type { WorldInspection } from '../../drivers/sim/world-protocol.js';

/** The repository root (where package.json is), from src/ or dist/src/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
/** The winha launcher (or, installed elsewhere, the script that is running). */
export const WINHA_BIN = existsSync(join(ROOT, 'bin', 'winha.js')) ? join(ROOT, 'bin', 'winha.js') : process.argv[1]!;

export interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
}

export class ProcessGroup {
  readonly children: Child[] = [];

  constructor(
    /** Where the log files go (NAME.log). */
    readonly dir: string,
    private readonly options: { bin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {}

  /** Start `node [NODEARGS] winha ARGS` with stdout and stderr appended to DIR/NAME.log. */
  start(name: string, args: string[], env?: NodeJS.ProcessEnv, nodeArgs: string[] = []): Child {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    // Detached: Ctrl-C in a terminal reaches only the parent, which stops them itself (or leaves them, demo --keep).
    const proc = spawn(process.execPath, [...nodeArgs, this.options.bin ?? WINHA_BIN, ...args], {
      stdio: ['ignore', fd, fd],
      detached: true,
      cwd: this.options.cwd ?? ROOT,
      env: { ...process.env, ...this.options.env, ...env },
    });
    closeSync(fd);
    proc.unref();
    const c = { name, proc, log };
    this.children.push(c);
    return c;
  }

  alive(c: Child): boolean {
    return c.proc.exitCode === null && c.proc.signalCode === null;
  }

  /** Send `signal` (default SIGKILL: a crash) and resolve when the process has exited. */
  async kill(c: Child, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive(c) || !c.proc.pid) return;
    const gone = new Promise<void>((res) => c.proc.once('exit', () => res()));
    try {
      process.kill(c.proc.pid, signal);
    } catch {
      return; // already gone
    }
    await gone;
  }

  /** SIGKILL every child still running (synchronous, for exit handlers). */
  killAll(): void {
    for (const c of this.children) {
      if (this.alive(c) && c.proc.pid) {
        try {
          process.kill(c.proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  }

  pids(): number[] {
    return this.children.filter((c) => this.alive(c)).map((c) => c.proc.pid!);
  }

  /** The last lines of a child's log (for failure messages). */
  tail(c: Child, lines = 8): string {
    try {
      return readFileSync(c.log, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** The last lines of every child's log, for a failure message. */
  tails(lines = 8): string {
    return this.children
      .map((c) => [c, this.tail(c, lines)] as const)
      .filter(([, t]) => t)
      .map(([c, t]) => `--- last lines of ${c.name} ---\n${t}\n`)
      .join('');
  }
}

/** Two actives in one look at the world: a site started on two hosts, or one of `vips` held by two. */
export function doubleActives(i: WorldInspection, vips: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const hostsBySite = new Map<string, string[]>();
  for (const [h, sites] of Object.entries(i.startedSites)) for (const s of sites) hostsBySite.set(s, [...(hostsBySite.get(s) ?? []), h]);
  for (const [s, hs] of hostsBySite) if (hs.length > 1) out.push(`site ${s} started on ${hs.join(' and ')}`);
  for (const [a, hs] of Object.entries(i.addressHolders))
    if (hs.length > 1 && vips.has(a)) out.push(`address ${a} held by ${hs.join(' and ')}`);
  return out;
}

export class WaitTimeout extends Error {}

/**
 * Poll `probe` until it returns something other than undefined (a throwing probe counts as not yet).
 * `check` runs between polls and may throw to stop waiting (a child that died).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  options: { everyMs?: number; clock?: Clock; check?: () => void } = {},
): Promise<T> {
  const clock = options.clock ?? new SystemClock();
  const begin = clock.monotonic();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    options.check?.();
    if (clock.monotonic() - begin > timeoutMs)
      throw new WaitTimeout(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
    await clock.sleep(options.everyMs ?? 200);
  }
}

export interface WorldOptions {
  /** Manifest files the world is built from. */
  manifests: string[];
  seed?: number;
  /** DataKeeper's switchover of a volume whose source is unreachable (e.g. '2s'; default the world's 35 s). */
  switchoverUnreachable?: string;
  name?: string;
}

/** Start `winha sim world --listen 127.0.0.1:0` and wait for the address it bound. */
export async function startWorld(ps: ProcessGroup, o: WorldOptions): Promise<{ child: Child; address: string }> {
  const args = ['sim', 'world', '--listen', '127.0.0.1:0', ...o.manifests.flatMap((m) => ['-f', m]), '--seed', String(o.seed ?? 1)];
  if (o.switchoverUnreachable) args.push('--switchover-unreachable', o.switchoverUnreachable);
  const child = ps.start(o.name ?? 'world', args);
  const address = await waitFor(
    'the world server to listen',
    15_000,
    async () => /listening on (\S+)/.exec(readFileSync(child.log, 'utf8'))?.[1],
    {
      everyMs: 100,
      check: () => {
        if (!ps.alive(child)) throw new Error(`the world server exited (${child.proc.exitCode}): ${ps.tail(child)}`);
      },
    },
  );
  return { child, address };
}

/** `winha agent` arguments for a node of a world served at `worldAddress`. */
export function agentArgs(node: string, storeUrl: string, worldAddress: string, extra: string[] = []): string[] {
  return ['agent', '--node', node, '--store', storeUrl, '--driver', `sim://${worldAddress}/${node}`, ...extra];
}

/** Start `winha dashboard --listen 127.0.0.1:0` on a store (the URL is read later: dashboardUrl). */
export function startDashboard(ps: ProcessGroup, storeUrl: string): Child {
  return ps.start('dashboard', ['dashboard', '--listen', '127.0.0.1:0', '--store', storeUrl]);
}

/** The URL a dashboard started by startDashboard printed, once it listens. */
export function dashboardUrl(ps: ProcessGroup, child: Child, clock?: Clock): Promise<string> {
  return waitFor('the dashboard to listen', 15_000, async () => /^Dashboard: (\S+)/m.exec(readFileSync(child.log, 'utf8'))?.[1], {
    everyMs: 100,
    ...(clock ? { clock } : {}),
    check: () => {
      if (!ps.alive(child)) throw new Error(`winha dashboard exited (${child.proc.exitCode}): ${ps.tail(child)}`);
    },
  });
}
