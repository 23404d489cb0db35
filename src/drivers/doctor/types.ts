/**
 * `winha doctor`: what a node is checked against (expectations, from the
 * manifests), what was found on it (facts, from an injected gatherer), and the
 * verdict per check. Plain data, so the check logic is a pure function with
 * fixture tests and a real node is needed only to gather facts.
 */

/** What `doctor.facts` (ps/lib/doctor.ps1) reports about the Windows side of the node. */
export interface WindowsFacts {
  /** $PSVersionTable.PSVersion, e.g. "5.1.17763.1". */
  psVersion: string;
  /** Windows features by name (Get-WindowsFeature): Installed or not; absent when the cmdlet is unavailable. */
  features: Record<string, boolean>;
  /** Modules found by Get-Module -ListAvailable. */
  modules: { IISAdministration: boolean; WebAdministration: boolean };
  /** Services by name; absent name = not installed. */
  services: Record<string, { state: string; startType: string }>;
  datakeeper: {
    /** The ExtMirrBase environment variable (machine scope); '' when unset. */
    extMirrBase: string;
    /** Where emcmd.exe was looked for, and whether it is there. */
    emcmdPath: string;
    emcmdPresent: boolean;
  };
  interfaces: { alias: string; status: string }[];
  firewall: {
    /** Profiles (Domain, Private, Public) and whether the firewall is on in each. */
    profiles: { name: string; enabled: boolean }[];
    /** Enabled inbound Allow rules with a port filter: LocalPort entries as Windows prints them ("445", "10000-10025", "Any"). */
    inboundAllow: { name: string; protocol: string; localPorts: string[] }[];
  };
}

/** The Windows side could not be asked: why (shown on every Windows check). */
export interface WindowsUnavailable {
  unavailable: string;
}

export interface Reachability {
  node: string;
  role: 'management' | 'replication';
  address: string;
  port: number;
  reachable: boolean;
  /** Connect error or "timeout after N ms". */
  error?: string;
}

export interface StoreFacts {
  /** The store URL as configured, credentials never included. */
  url: string;
  reachable: boolean;
  error?: string;
  /** Server wall time (ms) read at localTimeMs, when the store can tell it. */
  serverTimeMs?: number;
  localTimeMs: number;
}

export interface DoctorFacts {
  /** The Windows PowerShell the checks need, and whether the file exists. */
  powershellPath: string;
  windows: WindowsFacts | WindowsUnavailable;
  reachability: Reachability[];
  store: StoreFacts;
  /** Only when this node has VirtualIPs with a cloud provider. */
  cloud?: CloudDoctorFacts;
}

export interface PortRule {
  protocol: 'TCP' | 'UDP';
  port: number;
}

export interface DoctorExpectations {
  node: string;
  /** The node is named by a Cluster in the store (else most checks have nothing to compare against). */
  nodeDeclared: boolean;
  /** Interface aliases this node must have: Cluster node interfaces and VirtualIP interfaces. */
  interfaces: string[];
  needsFtp: boolean;
  needsSmtp: boolean;
  /** Drive letters of Mirrors with an endpoint on this node (DataKeeper needed when any). */
  mirrorVolumes: string[];
  /** Other nodes' addresses this node must reach. */
  peers: { node: string; role: 'management' | 'replication'; address: string; port: number }[];
  /** winha agent --listen port, when known. */
  agentPort?: number;
  /** Ports DataKeeper needs open inbound (docs/spec/seed003-datakeeper.md §6.1). */
  dataKeeperPorts: PortRule[];
  /** Warn above this wall-clock offset against the store. */
  maxClockOffsetMs: number;
  /** VirtualIPs of this node's groups whose spec.provider is a cloud one (absent or empty: no cloud checks). */
  cloudVips?: CloudVipExpectation[];
}

export type CloudProviderType = 'azureLoadBalancer' | 'awsSecondaryIp' | 'awsRouteTable' | 'awsElasticIp';

export interface CloudVipExpectation {
  /** namespace/name of the VirtualIP. */
  name: string;
  address: string;
  /** The interface alias that carries it on this node. */
  interface: string;
  provider: CloudProviderType;
  probePort?: number;
  routeTableIds?: string[];
  allocationId?: string;
  region?: string;
}

/** A coded failure as gathered (CloudError's code, or the gatherer's own). */
export interface CloudFailure {
  code: string;
  message: string;
}

export interface AwsDoctorFacts {
  /** IMDSv2 answered with a session token and the instance's id and region, or why not. */
  metadata: { ok: true; instanceId: string; region: string } | { ok: false; error: CloudFailure };
  /** Per interface alias of an AWS VirtualIP: its MAC (from the driver) and what IMDS says of it. */
  interfaces: {
    alias: string;
    mac?: string;
    identity?: { eni: string; primaryIp: string; region: string; instanceId: string; vpcCidr?: string };
    error?: CloudFailure;
  }[];
  /** The answer to each EC2 action sent with DryRun: DryRunOperation = allowed, UnauthorizedOperation = denied. */
  permissions: {
    action: string;
    region: string;
    resource: string;
    verdict: 'allowed' | 'denied' | 'error';
    error?: CloudFailure;
  }[];
  /** awsRouteTable only: the ENI's source/destination check (must be off to receive routed traffic). */
  sourceDestCheck: { eni: string; enabled?: boolean; error?: CloudFailure }[];
}

export interface AzureDoctorFacts {
  /** Could this node listen on each probe port (a brief listen, closed at once)? */
  probePorts: { port: number; free: boolean; error?: string }[];
}

export interface CloudDoctorFacts {
  aws?: AwsDoctorFacts;
  azure?: AzureDoctorFacts;
}

/** info: something to know that the node cannot check itself (never fails the run). */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info';

export interface CheckResult {
  /** Stable: scripts may grep it. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do (absent on pass). */
  fix?: string;
}
