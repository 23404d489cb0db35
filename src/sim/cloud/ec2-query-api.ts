/**
 * The EC2 Query API over an Ec2State, without a transport: form-encoded request in, EC2 XML (or EC2 error XML with
 * the status AWS uses) out, request ids, and injected faults (throttle, hang, fail). The loopback HTTP endpoint
 * (./ec2-endpoint.ts) and the simulated world's `cloud.ec2` operation both serve it: one stand-in for EC2.
 */
import { Ec2Fault, type Ec2State, type Eni, type ElasticIp, type RouteTable } from './ec2-state.js';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** One request as the API saw it (headers are not kept: they carry the signature). */
export interface SeenRequest {
  action: string;
  params: Record<string, string>;
  /** The simulated host that sent it (world requests only). */
  host?: string;
}

/** A request off the wire: method, whether it carried an Authorization header, the form-encoded body. */
export interface Ec2HttpRequest {
  method: string;
  signed: boolean;
  body: string;
  host?: string;
}

/** What EC2 answers: the status, the XML document, and the id it also sends as the x-amzn-requestid header. */
export interface Ec2Answer {
  status: number;
  body: string;
  requestId: string;
}

/** A request past the checks and faults: `perform()` runs the action now (a transport may hold it first). */
export interface Ec2Accepted {
  perform(): Ec2Answer;
}

export type Ec2Received = { answer: Ec2Answer } | { hang: true } | { accepted: Ec2Accepted };

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

export class Ec2QueryApi {
  /** Every request that reached the API, in order. */
  readonly requests: SeenRequest[] = [];
  private seq = 0;
  private throttle = 0;
  private hang = 0;
  private fail: { count: number; fault: Ec2Fault } | undefined;

  constructor(readonly state: Ec2State) {}

  /** Answer the next n requests with 503 RequestLimitExceeded. */
  throttleNext(n: number): void {
    this.throttle = n;
  }
  /** Never answer the next n requests (the action is not performed), until the client gives up. */
  hangNext(n: number): void {
    this.hang = n;
  }
  /** Answer the next n requests with this EC2 error. */
  failNext(n: number, code: string, status: number, message = `simulated ${code}`): void {
    this.fail = { count: n, fault: new Ec2Fault(code, status, message) };
  }
  /** Cancel the faults still pending. */
  heal(): void {
    this.throttle = 0;
    this.hang = 0;
    this.fail = undefined;
  }
  count(action?: string): number {
    return action === undefined ? this.requests.length : this.requests.filter((r) => r.action === action).length;
  }

  /** Record the request and apply checks and faults; the action itself runs when the caller performs it. */
  receive(r: Ec2HttpRequest): Ec2Received {
    const requestId = this.requestId();
    const params = Object.fromEntries(new URLSearchParams(r.body));
    const action = params['Action'] ?? '';
    this.requests.push(r.host === undefined ? { action, params } : { action, params, host: r.host });
    if (r.method !== 'POST')
      return { answer: errorAnswer(new Ec2Fault('InvalidHttpRequest', 400, 'The EC2 Query API takes POST requests here'), requestId) };
    if (!r.signed)
      return {
        answer: errorAnswer(new Ec2Fault('AuthFailure', 401, 'AWS was not able to validate the provided access credentials'), requestId),
      };
    if (this.fail && this.fail.count > 0) {
      this.fail.count--;
      return { answer: errorAnswer(this.fail.fault, requestId) };
    }
    if (this.throttle > 0) {
      this.throttle--;
      return { answer: errorAnswer(new Ec2Fault('RequestLimitExceeded', 503, 'Request limit exceeded.'), requestId) };
    }
    if (this.hang > 0) {
      this.hang--;
      return { hang: true };
    }
    return { accepted: { perform: () => this.answer(action, params, requestId) } };
  }

  /** Receive and perform at once (a transport that holds nothing). */
  handle(r: Ec2HttpRequest): Ec2Answer | { hang: true } {
    const got = this.receive(r);
    if ('answer' in got) return got.answer;
    if ('hang' in got) return got;
    return got.accepted.perform();
  }

  private answer(action: string, params: Record<string, string>, requestId: string): Ec2Answer {
    try {
      if (params['Version'] === undefined) throw new Ec2Fault('MissingParameter', 400, 'The request must contain the parameter Version');
      const handler = this.handlers[action];
      if (!handler) throw new Ec2Fault('InvalidAction', 400, `The action ${action} is not valid for this web service.`);
      this.authorize(action, params);
      const inner = handler(params);
      return document(200, `<${action}Response xmlns="${EC2_XMLNS}">${t('requestId', requestId)}${inner}</${action}Response>`, requestId);
    } catch (e) {
      const fault = e instanceof Ec2Fault ? e : new Ec2Fault('InternalError', 500, 'An internal error has occurred');
      return errorAnswer(fault, requestId);
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

  /** Deterministic request ids in the UUID shape EC2 uses (no randomness: same run, same ids). */
  private requestId(): string {
    const h = (++this.seq).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${h}`;
  }
}

function errorAnswer(f: Ec2Fault, requestId: string): Ec2Answer {
  const body = `<Response><Errors><Error>${t('Code', f.code)}${t('Message', f.message)}</Error></Errors>${t('RequestID', requestId)}</Response>`;
  return document(f.status, body, requestId);
}

function document(status: number, xml: string, requestId: string): Ec2Answer {
  return { status, body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, requestId };
}

/** The headers EC2 sends with every answer (the SDK reads $metadata.requestId from the id header). */
export function ec2Headers(a: Ec2Answer): Record<string, string> {
  return { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': a.requestId };
}
