/** An HTTP server on 127.0.0.1 and a free port, for the stand-ins of cloud services (EC2, instance metadata). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class LoopbackHttp {
  private server: Server | undefined;

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void) {}

  /** Listen; the base URL (http://127.0.0.1:PORT). */
  async start(): Promise<string> {
    const server = createServer(this.handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stop, dropping open connections (a hanging request must not keep a test alive). */
  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
