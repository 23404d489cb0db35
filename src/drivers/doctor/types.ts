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
}

export type CheckStatus = 'pass' | 'warn' | 'fail';

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
