/**
 * A TCP proxy on loopback that a test controls, to cut one client off from a
 * server (etcd) without touching the server or the other clients.
 *
 *   const p = await TcpProxy.start(2379);      // clients use 127.0.0.1:p.port
 *   p.cut('blackhole');   // packets vanish: open connections go silent, new ones hang (a partition)
 *   p.cut('reset');       // connections are reset and refused (a dead host's kernel answering)
 *   p.restore();          // traffic flows again (silenced connections are dropped first)
 */
import net from 'node:net';

export type CutMode = 'blackhole' | 'reset';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private mode: CutMode | undefined;
  /** Bytes forwarded in both directions (a test can check traffic really flowed). */
  forwardedBytes = 0;

  private constructor(
    private readonly server: net.Server,
    readonly targetPort: number,
    readonly targetHost: string,
  ) {
    server.on('connection', (c) => this.accept(c));
  }

  static async start(targetPort: number, targetHost = '127.0.0.1', listenPort = 0): Promise<TcpProxy> {
    const server = net.createServer({ pauseOnConnect: true });
    const proxy = new TcpProxy(server, targetPort, targetHost);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** host:port for a client (e.g. an etcd:// URL). */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.mode !== undefined;
  }

  cut(mode: CutMode = 'blackhole'): void {
    this.mode = mode;
    for (const p of this.pairs) {
      if (mode === 'reset') this.drop(p);
      else {
        p.client.pause();
        p.upstream?.pause();
        p.client.unpipe();
        p.upstream?.unpipe();
      }
    }
  }

  restore(): void {
    if (this.mode === undefined) return;
    this.mode = undefined;
    for (const p of [...this.pairs]) this.drop(p); // a silenced connection is dead to both ends by now
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.drop(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
    if (this.mode === 'blackhole') return; // hold it: the client waits for an answer that never comes
    const upstream = net.connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => this.drop(pair));
    upstream.on('close', () => this.drop(pair));
    const count = (b: Buffer) => {
      this.forwardedBytes += b.length;
    };
    client.on('data', count);
    upstream.on('data', count);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  private drop(p: Pair): void {
    if (!this.pairs.delete(p)) return;
    p.client.resetAndDestroy();
    p.upstream?.resetAndDestroy();
  }
}
