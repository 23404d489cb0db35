/**
 * A loopback stand-in for the EC2 instance metadata service: IMDSv2 session tokens (PUT /latest/api/token with a
 * TTL header, expiring on the injected clock), GETs of /latest/<path> that need one, directory listings, and faults:
 * IMDSv1 only (PUT refused), hanging requests, tokens revoked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackHttp } from '../../src/lib/loopback-http.js';
import type { Clock } from '../../src/lib/clock.js';

export interface ImdsInterface {
  /** IMDS's form: lower case, colons. */
  mac: string;
  eni: string;
  /** Primary first. */
  ips: string[];
  vpcCidr?: string;
}

export interface ImdsSeed {
  region?: string;
  instanceId?: string;
  interfaces: ImdsInterface[];
}

/** What IMDS serves for an instance with these interfaces (paths relative to /latest/). */
export function imdsTree(s: ImdsSeed): Record<string, string> {
  const tree: Record<string, string> = {
    'meta-data/placement/region': s.region ?? 'us-east-1',
    'meta-data/instance-id': s.instanceId ?? 'i-0123456789abcdef0',
    'meta-data/mac': s.interfaces[0]?.mac ?? '',
    'meta-data/network/interfaces/macs/': s.interfaces.map((i) => `${i.mac}/`).join('\n'),
  };
  for (const i of s.interfaces) {
    const base = `meta-data/network/interfaces/macs/${i.mac}`;
    tree[`${base}/interface-id`] = i.eni;
    tree[`${base}/local-ipv4s`] = i.ips.join('\n');
    if (i.vpcCidr) tree[`${base}/vpc-ipv4-cidr-block`] = i.vpcCidr;
  }
  return tree;
}

export interface SeenImdsRequest {
  method: string;
  path: string;
  /** A token header was sent (its value is not kept). */
  withToken: boolean;
  ttl?: string;
}

export class ImdsStandIn {
  readonly requests: SeenImdsRequest[] = [];
  /** Refuse PUT /latest/api/token (405) and answer GETs without a token: an IMDSv1-only service. */
  v1Only = false;
  /** Answer every GET with 401, whatever the token. */
  refuseGets = false;
  private readonly http = new LoopbackHttp((req, res) => this.onRequest(req, res));
  private readonly tokens = new Map<string, number>();
  private seq = 0;
  private hang = 0;
  parked = 0;

  constructor(
    private readonly clock: Clock,
    readonly tree: Record<string, string>,
  ) {}

  /** Never answer the next n requests. */
  hangNext(n: number): void {
    this.hang = n;
  }
  /** Forget every token issued (as after an IMDS restart): the next GET with one gets 401. */
  revokeTokens(): void {
    this.tokens.clear();
  }
  count(method: string, path?: string): number {
    return this.requests.filter((r) => r.method === method && (path === undefined || r.path === path)).length;
  }

  start(): Promise<string> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').replace(/^\/latest\//, '');
    const token = header(req, 'x-aws-ec2-metadata-token');
    const ttl = header(req, 'x-aws-ec2-metadata-token-ttl-seconds');
    this.requests.push({ method: req.method ?? '', path, withToken: token !== undefined, ...(ttl !== undefined ? { ttl } : {}) });
    if (this.hang > 0) {
      this.hang--;
      this.parked++;
      res.on('close', () => this.parked--);
      return;
    }
    if (req.method === 'PUT' && path === 'api/token') {
      if (this.v1Only) return send(res, 405, '');
      const seconds = Number(ttl);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 21_600) return send(res, 400, '');
      const value = `token-${++this.seq}`;
      this.tokens.set(value, this.clock.monotonic() + seconds * 1000);
      return send(res, 200, value);
    }
    if (req.method !== 'GET') return send(res, 405, '');
    if (this.refuseGets) return send(res, 401, '');
    if (!this.v1Only) {
      const expires = token === undefined ? undefined : this.tokens.get(token);
      if (expires === undefined || this.clock.monotonic() >= expires) return send(res, 401, '');
    }
    const body = this.tree[path];
    return body === undefined ? send(res, 404, notFound) : send(res, 200, body);
  }
}

const notFound = '<?xml version="1.0" encoding="iso-8859-1"?>\n<title>404 - Not Found</title>';

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}
