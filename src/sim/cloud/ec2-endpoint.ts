/**
 * A loopback EC2 Query API endpoint (the actions the AWS mover uses), faithful enough for the real SDK: form-encoded
 * POSTs, XML answers in the EC2 namespace, EC2 error XML with the status AWS uses. Faults: throttle, hang, delay, fail.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../lib/clock.js';
import { Ec2Fault, type Ec2State, type Eni, type ElasticIp, type RouteTable } from './ec2-state.js';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** One request as the endpoint saw it (headers are not kept: they carry the signature). */
export interface SeenRequest {
  action: string;
  params: Record<string, string>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const t = (name: string, value: string | boolean | undefined) => (value === undefined ? '' : `<${name}>${esc(String(value))}</${name}>`);
const set = <T>(name: string, items: T[], render: (x: T) => string) =>
  `<${name}>${items.map((x) => `<item>${render(x)}</item>`).join('')}</${name}>`;

/** `Name.1`, `Name.2`, … in index order (how EC2 Query flattens lists). */
export function listParam(params: Record<string, string>, name: string): string[] {
  const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)$`);
  return Object.entries(params)
    .map(([k, v]) => [re.exec(k)?.[1], v] as const)
    .filter((e): e is readonly [string, string] => e[0] !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((e) => e[1]);
}

function required(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') throw new Ec2Fault('MissingParameter', 400, `The request must contain the parameter ${name}`);
  return v;
}

const eniXml = (e: Eni) =>
  t('networkInterfaceId', e.id) +
  t('subnetId', e.subnetId) +
  t('status', 'in-use') +
  t('privateIpAddress', e.primaryIp) +
  t('sourceDestCheck', e.sourceDestCheck) +
  set('privateIpAddressesSet', [e.primaryIp, ...e.secondary], (ip) => t('privateIpAddress', ip) + t('primary', ip === e.primaryIp));

const tableXml = (vpcId: string) => (rt: RouteTable) =>
  t('routeTableId', rt.id) +
  t('vpcId', vpcId) +
  set(
    'routeSet',
    rt.routes,
    (r) =>
      t('destinationCidrBlock', r.cidr) +
      t('gatewayId', r.gatewayId) +
      t('networkInterfaceId', r.eni) +
      t('state', 'active') +
      t('origin', r.origin),
  ) +
  '<associationSet/><tagSet/>';

const eipXml = (a: ElasticIp) =>
  t('publicIp', a.publicIp) +
  t('allocationId', a.allocationId) +
  t('domain', 'vpc') +
  t('associationId', a.associationId) +
  t('networkInterfaceId', a.eni) +
  t('privateIpAddress', a.privateIp);

type Handler = (p: Record<string, string>) => string;

export class Ec2Endpoint {
  /** Every request that reached the endpoint, in order. */
  readonly requests: SeenRequest[] = [];
  private server: Server | undefined;
  private seq = 0;
  private throttle = 0;
  private hang = 0;
  private delay: { count: number; ms: number } = { count: 0, ms: 0 };
  private fail: { count: number; fault: Ec2Fault } | undefined;
  private parkedCount = 0;

  constructor(
    private readonly clock: Clock,
    readonly state: Ec2State,
  ) {}

  /** Answer the next n requests with 503 RequestLimitExceeded. */
  throttleNext(n: number): void {
    this.throttle = n;
  }
  /** Never answer the next n requests (the action is not performed), until the client gives up. */
  hangNext(n: number): void {
    this.hang = n;
  }
  /** Perform and answer the next n requests only after ms of the injected clock. */
  delayNext(n: number, ms: number): void {
    this.delay = { count: n, ms };
  }
  /** Answer the next n requests with this EC2 error. */
  failNext(n: number, code: string, status: number, message = `simulated ${code}`): void {
    this.fail = { count: n, fault: new Ec2Fault(code, status, message) };
  }
  /** Requests held on purpose (hanging or delayed): time may move while they wait. */
  get parked(): number {
    return this.parkedCount;
  }
  count(action?: string): number {
    return action === undefined ? this.requests.length : this.requests.filter((r) => r.action === action).length;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.onRequest(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.dispatch(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, body: string): void {
    const requestId = this.requestId();
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params['Action'] ?? '';
    this.requests.push({ action, params });
    if (req.method !== 'POST')
      return this.sendError(res, new Ec2Fault('InvalidHttpRequest', 400, 'The EC2 Query API takes POST requests here'), requestId);
    if (!req.headers.authorization)
      return this.sendError(
        res,
        new Ec2Fault('AuthFailure', 401, 'AWS was not able to validate the provided access credentials'),
        requestId,
      );
    if (this.fail && this.fail.count > 0) {
      this.fail.count--;
      return this.sendError(res, this.fail.fault, requestId);
    }
    if (this.throttle > 0) {
      this.throttle--;
      return this.sendError(res, new Ec2Fault('RequestLimitExceeded', 503, 'Request limit exceeded.'), requestId);
    }
    if (this.hang > 0) {
      this.hang--;
      this.parkedCount++;
      res.on('close', () => this.parkedCount--);
      return;
    }
    if (this.delay.count > 0) {
      this.delay.count--;
      this.parkedCount++;
      this.clock.setTimer(this.delay.ms, () => {
        this.parkedCount--;
        this.answer(res, action, params, requestId);
      });
      return;
    }
    this.answer(res, action, params, requestId);
  }

  private answer(res: ServerResponse, action: string, params: Record<string, string>, requestId: string): void {
    try {
      if (params['Version'] === undefined) throw new Ec2Fault('MissingParameter', 400, 'The request must contain the parameter Version');
      const handler = this.handlers[action];
      if (!handler) throw new Ec2Fault('InvalidAction', 400, `The action ${action} is not valid for this web service.`);
      this.authorize(action, params);
      const inner = handler(params);
      this.send(res, 200, `<${action}Response xmlns="${EC2_XMLNS}">${t('requestId', requestId)}${inner}</${action}Response>`, requestId);
    } catch (e) {
      const fault = e instanceof Ec2Fault ? e : new Ec2Fault('InternalError', 500, 'An internal error has occurred');
      this.sendError(res, fault, requestId);
    }
  }

  // ── IAM stand-in: denied actions and DryRun, in this one place (state is never touched by either) ──

  private denied = new Set<string>();

  /** Answer these actions (replacing any earlier list) with 403 UnauthorizedOperation, as AWS does for a role without them. */
  deny(actions: readonly string[]): void {
    this.denied = new Set(actions);
  }

  /** Throws the fault AWS would answer instead of performing the action: denial first, then DryRun's 412. */
  private authorize(action: string, params: Record<string, string>): void {
    if (this.denied.has(action)) throw new Ec2Fault('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    if (params['DryRun'] === 'true') throw new Ec2Fault('DryRunOperation', 412, 'Request would have succeeded, but DryRun flag is set.');
  }

  private readonly handlers: Record<string, Handler> = {
    AssignPrivateIpAddresses: (p) => {
      const eni = required(p, 'NetworkInterfaceId');
      const addresses = listParam(p, 'PrivateIpAddress');
      this.state.assign(eni, addresses, p['AllowReassignment'] === 'true');
      return (
        t('return', true) +
        t('networkInterfaceId', eni) +
        set('assignedPrivateIpAddressesSet', addresses, (a) => t('privateIpAddress', a)) +
        '<assignedIpv4PrefixSet/>'
      );
    },
    UnassignPrivateIpAddresses: (p) => {
      this.state.unassign(required(p, 'NetworkInterfaceId'), listParam(p, 'PrivateIpAddress'));
      return t('return', true);
    },
    DescribeNetworkInterfaces: (p) => set('networkInterfaceSet', this.state.describeEnis(listParam(p, 'NetworkInterfaceId')), eniXml),
    ReplaceRoute: (p) => {
      this.state.replaceRoute(required(p, 'RouteTableId'), required(p, 'DestinationCidrBlock'), required(p, 'NetworkInterfaceId'));
      return t('return', true);
    },
    CreateRoute: (p) => {
      this.state.createRoute(required(p, 'RouteTableId'), required(p, 'DestinationCidrBlock'), required(p, 'NetworkInterfaceId'));
      return t('return', true);
    },
    DescribeRouteTables: (p) =>
      set('routeTableSet', this.state.describeRouteTables(listParam(p, 'RouteTableId')), tableXml(this.state.vpcId)),
    AssociateAddress: (p) => {
      const id = this.state.associateAddress(
        required(p, 'AllocationId'),
        required(p, 'NetworkInterfaceId'),
        p['PrivateIpAddress'],
        p['AllowReassociation'] === 'true',
      );
      return t('return', true) + t('associationId', id);
    },
    DescribeAddresses: (p) => set('addressesSet', this.state.describeAddresses(listParam(p, 'AllocationId')), eipXml),
  };

  private sendError(res: ServerResponse, f: Ec2Fault, requestId: string): void {
    const body = `<Response><Errors><Error>${t('Code', f.code)}${t('Message', f.message)}</Error></Errors>${t('RequestID', requestId)}</Response>`;
    this.send(res, f.status, body, requestId);
  }

  private send(res: ServerResponse, status: number, xml: string, requestId: string): void {
    if (res.destroyed || res.writableEnded) return;
    // EC2 also sends the id as a header: it is where the SDK reads $metadata.requestId
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
  }

  /** Deterministic request ids in the UUID shape EC2 uses (no randomness: same run, same ids). */
  private requestId(): string {
    const h = (++this.seq).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${h}`;
  }
}
