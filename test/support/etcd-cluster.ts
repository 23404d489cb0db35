/**
 * A real etcd cluster for tests: 1, 3 or 5 members (Debian's etcd-server) on
 * loopback ports in a temporary directory. Members can be stopped (SIGTERM,
 * or SIGKILL as a crash) and started again on the same ports and data.
 *
 *   const c = await EtcdCluster.start({ members: 3 });
 *   c.url('/winha')                 // etcd://127.0.0.1:p0,127.0.0.1:p1,127.0.0.1:p2/winha
 *   await c.stopMember(0, 'SIGKILL'); await c.startMember(0);
 *   await c.stop();                 // every process ended, the directory removed
 *
 * Processes are also killed when the test process exits or is interrupted, so
 * a failed or aborted test leaves no etcd behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SystemClock } from '../../src/lib/clock.js';
import { freePorts } from './free-port.js';

const clock = new SystemClock();

/** Why etcd tests cannot run here, or undefined when the `etcd` binary works. */
export function etcdUnavailableReason(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return "etcd is not installed (make test installs Debian's etcd-server with apt-get; it could not here)";
  }
  return undefined;
}

export interface EtcdClusterOptions {
  members?: number;
  /** Raft heartbeat and election timeout in ms (fast defaults for loopback: 50 / 500). */
  heartbeatMs?: number;
  electionMs?: number;
  /** Extra etcd flags for every member. */
  extraArgs?: string[];
}

export interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  logFile: string;
  process: ChildProcess | undefined;
}

const running = new Set<ChildProcess>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => {
    for (const p of running) p.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export class EtcdCluster {
  private constructor(
    readonly dir: string,
    readonly members: EtcdMember[],
    private readonly args: (m: EtcdMember) => string[],
  ) {}

  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const n = options.members ?? 1;
    for (let attempt = 1; ; attempt++) {
      const c = await EtcdCluster.create(n, options);
      try {
        await Promise.all(c.members.map((_, i) => c.startMember(i, 'new')));
        await c.waitReady();
        return c;
      } catch (e) {
        await c.stop();
        // Another process may have taken a port between our probe and etcd's bind: try new ports.
        if (attempt >= 3) throw e;
      }
    }
  }

  private static async create(n: number, options: EtcdClusterOptions): Promise<EtcdCluster> {
    hookExit();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'winha-etcd-'));
    const ports = await freePorts(2 * n);
    const members: EtcdMember[] = Array.from({ length: n }, (_, i) => ({
      name: `m${i}`,
      clientPort: ports[2 * i]!,
      peerPort: ports[2 * i + 1]!,
      dataDir: path.join(dir, `m${i}.data`),
      logFile: path.join(dir, `m${i}.log`),
      process: undefined,
    }));
    const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const token = `winha-test-${path.basename(dir)}`;
    const args = (m: EtcdMember) => [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      token,
      '--heartbeat-interval',
      String(options.heartbeatMs ?? 50),
      '--election-timeout',
      String(options.electionMs ?? 500),
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
      ...(options.extraArgs ?? []),
    ];
    return new EtcdCluster(dir, members, args);
  }

  /** host:port of every member's client endpoint. */
  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** An etcd:// store URL for the whole cluster (or the given endpoints, e.g. proxies). */
  url(prefix = '/winha', endpoints: string[] = this.endpoints): string {
    return `etcd://${endpoints.join(',')}${prefix}`;
  }

  /** Start member i (again): same name, ports and data. */
  async startMember(i: number, state: 'new' | 'existing' = 'existing'): Promise<void> {
    const m = this.members[i]!;
    if (m.process) return;
    const log = openSync(m.logFile, 'a');
    const p = spawn('etcd', [...this.args(m), '--initial-cluster-state', state], { stdio: ['ignore', log, log] });
    closeSync(log);
    m.process = p;
    running.add(p);
    p.once('exit', () => {
      running.delete(p);
      if (m.process === p) m.process = undefined;
    });
    await this.waitListening(m);
  }

  /** Stop member i: SIGTERM is a clean stop, SIGKILL a crash. Resolves when the process is gone. */
  async stopMember(i: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const p = this.members[i]!.process;
    if (!p) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await gone;
  }

  /** Resolves when every running member reports health (the cluster has a leader and serves). */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = clock.monotonic() + timeoutMs;
    for (const m of this.members) {
      if (!m.process) continue;
      while (!(await health(m.clientPort))) {
        if (clock.monotonic() > deadline) throw new Error(`etcd member ${m.name} not healthy after ${timeoutMs} ms:\n${this.log(m)}`);
        await clock.sleep(100);
      }
    }
  }

  /** The tail of a member's log (for failure messages). */
  log(m: EtcdMember, lines = 20): string {
    try {
      return readFileSync(m.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** End every member and remove the directory. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.stopMember(i, 'SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitListening(m: EtcdMember, timeoutMs = 15_000): Promise<void> {
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      if (!m.process) throw new Error(`etcd member ${m.name} exited at start:\n${this.log(m)}`);
      if ((await health(m.clientPort)) !== undefined) return;
      if (clock.monotonic() > deadline) throw new Error(`etcd member ${m.name} not listening after ${timeoutMs} ms:\n${this.log(m)}`);
      await clock.sleep(50);
    }
  }
}

/** GET /health: true (healthy), false (answers, no quorum yet), undefined (not listening). */
function health(port: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(/"health":\s*"true"/.test(body)));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(undefined));
  });
}
