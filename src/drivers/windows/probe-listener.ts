/**
 * The TCP listeners an Azure internal load balancer's health probe connects to (VirtualIP provider
 * azureLoadBalancer). They live in the agent's own process, so they vanish with it, as WSFC's probe
 * port does with its resource host. A TCP probe needs only the handshake (it closes the connection
 * itself), so accepted connections are merely held; closing a listener resets them so the load balancer
 * sees the node leave at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { DriverError } from '../errors.js';
import { checkPort } from '../input-validation.js';

export interface ProbeListenerOptions {
  /** Address to listen on; Azure probes come from 168.63.129.16 to the node's own IPv4 address. */
  host?: string;
  /** Connections held per port; more are dropped after the handshake (which is all a TCP probe needs). */
  maxConnections?: number;
}

interface Listening {
  server: Server;
  sockets: Set<Socket>;
}

export const DEFAULT_PROBE_HOST = '0.0.0.0';

export class ProbeListener {
  private readonly host: string;
  private readonly maxConnections: number;
  private readonly servers = new Map<number, Listening>();
  // One change at a time: an open racing a close of the same port must not leave a stray listener.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: ProbeListenerOptions = {}) {
    this.host = opts.host ?? DEFAULT_PROBE_HOST;
    this.maxConnections = opts.maxConnections ?? 256;
  }

  /** Listen on `port` (idempotent); rejects with a DriverError when the port cannot be had. */
  async open(port: number, signal?: AbortSignal): Promise<number[]> {
    checkPort(port);
    return this.serialize(async () => {
      if (!this.servers.has(port)) await this.listen(port, signal);
      return this.list();
    });
  }

  /** Stop listening on `port` and reset every connection it holds (idempotent). */
  async close(port: number): Promise<number[]> {
    checkPort(port);
    return this.serialize(async () => {
      await this.shut(port);
      return this.list();
    });
  }

  /** The ports listened on now, ascending. */
  list(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  /** How many connections the listener on `port` holds now (0 when not listening). */
  held(port: number): number {
    return this.servers.get(port)?.sockets.size ?? 0;
  }

  /** Close every listener (the agent is stopping). */
  closeAll(): Promise<void> {
    return this.serialize(async () => {
      await Promise.all(this.list().map((p) => this.shut(p)));
    });
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private listen(port: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, port));
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: false }, (socket) => {
      sockets.add(socket);
      // A peer's reset (the probe giving up) is normal; it must not become an unhandled 'error'.
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    server.maxConnections = this.maxConnections;
    return new Promise<void>((resolve, reject) => {
      // Listening may still be under way (an address lookup); the callback below closes the server then.
      const onAbort = () => reject(abortError(signal!, port));
      server.once('error', (e: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', onAbort);
        reject(listenError(e, port, this.host));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      server.listen({ port, host: this.host, exclusive: true }, () => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) {
          server.close();
          return;
        }
        // Accept failures later (e.g. out of handles) leave the listener up; the probe just sees no answer then.
        server.on('error', () => undefined);
        this.servers.set(port, { server, sockets });
        resolve();
      });
    });
  }

  private async shut(port: number): Promise<void> {
    const l = this.servers.get(port);
    if (!l) return;
    this.servers.delete(port);
    const closed = new Promise<void>((resolve) => l.server.close(() => resolve()));
    for (const s of l.sockets) s.resetAndDestroy();
    await closed;
  }
}

function abortError(signal: AbortSignal, port: number): DriverError {
  const reason: unknown = signal.reason;
  if (reason instanceof DriverError) return reason;
  return new DriverError({ code: 'Timeout', transient: true, message: `opening probe listener on port ${port} was cancelled` });
}

function listenError(e: NodeJS.ErrnoException, port: number, host: string): DriverError {
  if (e.code === 'EADDRINUSE') {
    return new DriverError({
      code: 'AddressInUse',
      message: `probe port ${port} is in use: another program listens on ${host}:${port}; the load balancer would probe that program instead of the agent. Free the port (netstat -ano -p tcp | findstr :${port}) or choose another probePort`,
      detail: { port, host },
    });
  }
  if (e.code === 'EACCES') {
    return new DriverError({
      code: 'AddressInUse',
      message: `probe port ${port} is reserved on this host (EACCES: an excluded port range, see netsh int ipv4 show excludedportrange protocol=tcp); choose another probePort`,
      detail: { port, host },
    });
  }
  return new DriverError({
    code: 'CommandFailed',
    message: `could not listen on probe port ${host}:${port}: ${e.message}`,
    detail: { port, host, ...(e.code ? { errno: e.code } : {}) },
  });
}
