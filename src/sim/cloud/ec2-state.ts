/**
 * The slice of an EC2 VPC that the AWS mover touches: network interfaces with secondary private IPs, route tables,
 * Elastic IPs. Secondary IP moves are asynchronous, as in AWS: an assignment becomes visible assignDelayMs after it
 * was accepted, on the injected clock.
 */
import type { Clock } from '../../lib/clock.js';

/** An EC2 API error: its code and HTTP status are what the SDK sees. */
export class Ec2Fault extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'Ec2Fault';
  }
}

export interface EniSeed {
  id: string;
  primaryIp: string;
  secondaryIps?: string[];
  sourceDestCheck?: boolean;
  subnetId?: string;
}

export interface RouteTableSeed {
  id: string;
  routes?: { cidr: string; eni: string }[];
}

export interface AddressSeed {
  allocationId: string;
  publicIp: string;
  eni?: string;
  privateIp?: string;
}

export interface Ec2Seed {
  vpcId?: string;
  vpcCidr?: string;
  enis?: EniSeed[];
  routeTables?: RouteTableSeed[];
  addresses?: AddressSeed[];
}

export interface Eni {
  id: string;
  primaryIp: string;
  secondary: string[];
  sourceDestCheck: boolean;
  subnetId: string;
}

export interface Route {
  cidr: string;
  eni?: string;
  gatewayId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTable {
  id: string;
  routes: Route[];
}

export interface ElasticIp {
  allocationId: string;
  publicIp: string;
  associationId?: string;
  eni?: string;
  privateIp?: string;
}

interface PendingAssign {
  address: string;
  eni: string;
  visibleAt: number;
}

const notFound = (code: string, what: string, id: string) => new Ec2Fault(code, 400, `The ${what} ID '${id}' does not exist`);

export class Ec2State {
  readonly vpcId: string;
  /** How long an accepted secondary-IP assignment stays invisible (AWS remaps asynchronously). */
  assignDelayMs = 0;
  private readonly enis = new Map<string, Eni>();
  private readonly tables = new Map<string, RouteTable>();
  private readonly eips = new Map<string, ElasticIp>();
  private pending: PendingAssign[] = [];
  private assocSeq = 0;

  constructor(
    private readonly clock: Clock,
    seed: Ec2Seed = {},
  ) {
    this.vpcId = seed.vpcId ?? 'vpc-0sim';
    const vpcCidr = seed.vpcCidr ?? '10.0.0.0/16';
    for (const e of seed.enis ?? []) {
      const eni = { id: e.id, primaryIp: e.primaryIp, secondary: [...(e.secondaryIps ?? [])], sourceDestCheck: e.sourceDestCheck ?? true };
      this.enis.set(e.id, { ...eni, subnetId: e.subnetId ?? 'subnet-0sim' });
    }
    for (const t of seed.routeTables ?? []) {
      const local: Route = { cidr: vpcCidr, gatewayId: 'local', origin: 'CreateRouteTable' };
      this.tables.set(t.id, { id: t.id, routes: [local, ...(t.routes ?? []).map((r) => ({ ...r, origin: 'CreateRoute' as const }))] });
    }
    for (const a of seed.addresses ?? []) {
      const eip: ElasticIp = { allocationId: a.allocationId, publicIp: a.publicIp };
      if (a.eni)
        Object.assign(eip, { eni: a.eni, privateIp: a.privateIp ?? this.mustEni(a.eni).primaryIp, associationId: this.nextAssoc() });
      this.eips.set(a.allocationId, eip);
    }
  }

  /** AssignPrivateIpAddresses: accepted now, visible after assignDelayMs. */
  assign(eniId: string, addresses: string[], allowReassignment: boolean): void {
    const eni = this.mustEni(eniId);
    if (addresses.length === 0)
      throw new Ec2Fault(
        'MissingParameter',
        400,
        'The request must contain the parameter PrivateIpAddress or SecondaryPrivateIpAddressCount',
      );
    this.settle();
    for (const a of addresses) {
      const owner = this.holderOf(a) ?? this.pending.find((p) => p.address === a)?.eni;
      if (owner === undefined || owner === eni.id) continue;
      if (this.enis.get(owner)?.primaryIp === a)
        throw new Ec2Fault('InvalidParameterValue', 400, `Address ${a} is the primary private IP of ${owner} and cannot be reassigned`);
      if (!allowReassignment) throw new Ec2Fault('InvalidIPAddress.InUse', 400, `Address ${a} is in use`);
    }
    const visibleAt = this.clock.monotonic() + this.assignDelayMs;
    for (const a of addresses) {
      if (eni.primaryIp === a || eni.secondary.includes(a)) continue;
      this.pending = this.pending.filter((p) => p.address !== a);
      this.pending.push({ address: a, eni: eni.id, visibleAt });
    }
    this.settle();
  }

  unassign(eniId: string, addresses: string[]): void {
    const eni = this.mustEni(eniId);
    this.settle();
    for (const a of addresses) {
      if (!eni.secondary.includes(a))
        throw new Ec2Fault('InvalidParameterValue', 400, `Some of the specified addresses are not assigned to interface ${eniId}`);
    }
    eni.secondary = eni.secondary.filter((a) => !addresses.includes(a));
    this.pending = this.pending.filter((p) => !(p.eni === eniId && addresses.includes(p.address)));
    for (const eip of this.eips.values())
      if (eip.eni === eniId && eip.privateIp && addresses.includes(eip.privateIp)) this.disassociate(eip);
  }

  describeEnis(ids: string[]): Eni[] {
    this.settle();
    const all = ids.length > 0 ? ids.map((id) => this.mustEni(id)) : [...this.enis.values()];
    return all.map((e) => ({ ...e, secondary: [...e.secondary] }));
  }

  replaceRoute(tableId: string, cidr: string, eniId: string): void {
    const t = this.mustTable(tableId);
    this.mustEni(eniId);
    const r = t.routes.find((x) => x.cidr === cidr);
    if (!r || r.gatewayId === 'local')
      throw new Ec2Fault('InvalidRoute.NotFound', 400, `no route with destination-cidr-block ${cidr} in route table ${tableId}`);
    r.eni = eniId;
  }

  createRoute(tableId: string, cidr: string, eniId: string): void {
    const t = this.mustTable(tableId);
    this.mustEni(eniId);
    if (t.routes.some((x) => x.cidr === cidr))
      throw new Ec2Fault('RouteAlreadyExists', 400, `The route identified by ${cidr} already exists.`);
    t.routes.push({ cidr, eni: eniId, origin: 'CreateRoute' });
  }

  describeRouteTables(ids: string[]): RouteTable[] {
    const all = ids.length > 0 ? ids.map((id) => this.mustTable(id)) : [...this.tables.values()];
    return all.map((t) => ({ id: t.id, routes: t.routes.map((r) => ({ ...r })) }));
  }

  /** AssociateAddress; returns the new association id. */
  associateAddress(allocationId: string, eniId: string, privateIp: string | undefined, allowReassociation: boolean): string {
    const eip = this.eips.get(allocationId);
    if (!eip) throw notFound('InvalidAllocationID.NotFound', 'allocation', allocationId);
    const eni = this.mustEni(eniId);
    this.settle();
    const ip = privateIp ?? eni.primaryIp;
    if (ip !== eni.primaryIp && !eni.secondary.includes(ip))
      throw new Ec2Fault('InvalidParameterValue', 400, `The private IP address ${ip} is not assigned to ${eniId}`);
    if (eip.eni !== undefined && (eip.eni !== eniId || eip.privateIp !== ip) && !allowReassociation) {
      throw new Ec2Fault(
        'Resource.AlreadyAssociated',
        400,
        `resource ${allocationId} is already associated with associate-id ${eip.associationId ?? ''}`,
      );
    }
    Object.assign(eip, { eni: eniId, privateIp: ip, associationId: this.nextAssoc() });
    return eip.associationId!;
  }

  describeAddresses(allocationIds: string[]): ElasticIp[] {
    this.settle();
    const all = allocationIds.length > 0 ? allocationIds.map((id) => this.eips.get(id) ?? this.throwNoEip(id)) : [...this.eips.values()];
    return all.map((e) => ({ ...e }));
  }

  /** The ENI on which the address is visible now (for tests and the simulator). */
  holderOf(address: string): string | undefined {
    this.settle();
    for (const e of this.enis.values()) if (e.primaryIp === address || e.secondary.includes(address)) return e.id;
    return undefined;
  }

  setSourceDestCheck(eniId: string, on: boolean): void {
    this.mustEni(eniId).sourceDestCheck = on;
  }

  /** Make due assignments visible: the address leaves its old ENI, and an Elastic IP on it follows (AWS does so). */
  private settle(): void {
    const now = this.clock.monotonic();
    const due = this.pending.filter((p) => p.visibleAt <= now);
    if (due.length === 0) return;
    this.pending = this.pending.filter((p) => p.visibleAt > now);
    for (const p of due) {
      for (const e of this.enis.values()) e.secondary = e.secondary.filter((a) => a !== p.address);
      this.mustEni(p.eni).secondary.push(p.address);
      for (const eip of this.eips.values()) if (eip.privateIp === p.address && eip.eni !== undefined) eip.eni = p.eni;
    }
  }

  private disassociate(eip: ElasticIp): void {
    delete eip.eni;
    delete eip.privateIp;
    delete eip.associationId;
  }

  private nextAssoc(): string {
    return `eipassoc-${(++this.assocSeq).toString(16).padStart(17, '0')}`;
  }

  private mustEni(id: string): Eni {
    const e = this.enis.get(id);
    if (!e) throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', id);
    return e;
  }

  private mustTable(id: string): RouteTable {
    const t = this.tables.get(id);
    if (!t) throw notFound('InvalidRouteTableID.NotFound', 'routeTable', id);
    return t;
  }

  private throwNoEip(id: string): never {
    throw notFound('InvalidAllocationID.NotFound', 'allocation', id);
  }
}
