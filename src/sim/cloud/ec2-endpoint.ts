/**
 * A loopback EC2 Query API endpoint (the actions the AWS mover uses), faithful enough for the real SDK: the HTTP
 * transport of ./ec2-query-api.ts (which the simulated world serves too). Faults: throttle, hang, fail (the API's)
 * and delay (held here on the injected clock).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackHttp } from '../../lib/loopback-http.js';
import type { Clock } from '../../lib/clock.js';
import type { Ec2State } from './ec2-state.js';
import { Ec2QueryApi, ec2Headers, type Ec2Answer, type SeenRequest } from './ec2-query-api.js';

export { EC2_XMLNS, listParam, type SeenRequest } from './ec2-query-api.js';

export class Ec2Endpoint {
  readonly api: Ec2QueryApi;
  private readonly http = new LoopbackHttp((req, res) => this.onRequest(req, res));
  private delay: { count: number; ms: number } = { count: 0, ms: 0 };
  private parkedCount = 0;

  constructor(
    private readonly clock: Clock,
    readonly state: Ec2State,
  ) {
    this.api = new Ec2QueryApi(state);
  }

  /** Every request that reached the endpoint, in order. */
  get requests(): readonly SeenRequest[] {
    return this.api.requests;
  }
  /** Answer the next n requests with 503 RequestLimitExceeded. */
  throttleNext(n: number): void {
    this.api.throttleNext(n);
  }
  /** Never answer the next n requests (the action is not performed), until the client gives up. */
  hangNext(n: number): void {
    this.api.hangNext(n);
  }
  /** Answer these actions with 403 UnauthorizedOperation (a role without them); DryRun requests get 412. */
  deny(actions: readonly string[]): void {
    this.api.deny(actions);
  }
  /** Perform and answer the next n requests only after ms of the injected clock. */
  delayNext(n: number, ms: number): void {
    this.delay = { count: n, ms };
  }
  /** Answer the next n requests with this EC2 error. */
  failNext(n: number, code: string, status: number, message = `simulated ${code}`): void {
    this.api.failNext(n, code, status, message);
  }
  /** Requests held on purpose (hanging or delayed): time may move while they wait. */
  get parked(): number {
    return this.parkedCount;
  }
  count(action?: string): number {
    return this.api.count(action);
  }

  start(): Promise<string> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.dispatch(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, body: string): void {
    const got = this.api.receive({ method: req.method ?? '', signed: !!req.headers.authorization, body });
    if ('answer' in got) return send(res, got.answer);
    if ('hang' in got) {
      this.parkedCount++;
      res.on('close', () => this.parkedCount--);
      return;
    }
    if (this.delay.count > 0) {
      this.delay.count--;
      this.parkedCount++;
      this.clock.setTimer(this.delay.ms, () => {
        this.parkedCount--;
        send(res, got.accepted.perform());
      });
      return;
    }
    send(res, got.accepted.perform());
  }
}

function send(res: ServerResponse, a: Ec2Answer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(a.status, ec2Headers(a));
  res.end(a.body);
}
