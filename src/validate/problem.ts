/**
 * Problems the validator reports, and the catalogue of rule ids. The ids are
 * a stable contract: CI configurations, SARIF consumers and people grep for them.
 */

export type Severity = 'error' | 'warning';

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Kind of the object concerned ("" when the problem is not about one object). */
  kind: string;
  /** metadata.name of the object concerned ("" when unknown). */
  name: string;
  rule: string;
  severity: Severity;
  message: string;
}

export interface RuleInfo {
  id: string;
  severity: Severity;
  summary: string;
}

/** Every rule the validator can report. */
export const RULES: readonly RuleInfo[] = [
  // reading and parsing
  { id: 'invalid-utf8', severity: 'error', summary: 'The file is not valid UTF-8.' },
  { id: 'yaml-syntax', severity: 'error', summary: 'The YAML or JSON text does not parse (includes tab indentation).' },
  { id: 'duplicate-key', severity: 'error', summary: 'A mapping has the same key twice.' },
  { id: 'nesting-too-deep', severity: 'error', summary: 'Mappings and lists nest deeper than 100 levels; refused before parsing.' },
  { id: 'alias-limit', severity: 'error', summary: 'Too many YAML aliases (an alias bomb); refused without expanding.' },
  { id: 'document-too-large', severity: 'error', summary: 'A file or document is larger than the configured limit.' },
  { id: 'not-an-object', severity: 'error', summary: 'A document is not a mapping (a list, a string, a number).' },
  { id: 'unknown-kind', severity: 'error', summary: 'apiVersion is of group winha.io but the version or kind is unknown.' },
  { id: 'schema', severity: 'error', summary: 'A field is missing, unknown, of the wrong type or out of its allowed values.' },
  {
    id: 'inline-secret',
    severity: 'error',
    summary: 'An AgentConfig holds a secret itself (a password, token or PEM block) instead of naming the file that holds it.',
  },
  { id: 'not-applyable', severity: 'error', summary: "An AgentConfig (a node agent's configuration file) is given to apply or diff." },
  // cross-object rules (design §2)
  { id: 'duplicate-object', severity: 'error', summary: 'Two documents declare the same kind, namespace and name.' },
  { id: 'dangling-reference', severity: 'error', summary: 'A group, cluster or other object is named but not declared.' },
  { id: 'ambiguous-cluster', severity: 'error', summary: 'A group names no cluster while its namespace declares several.' },
  { id: 'node-not-in-cluster', severity: 'error', summary: 'A node named by a group, mirror or VIP is not a node of the cluster.' },
  { id: 'duplicate-node', severity: 'error', summary: 'A node is listed twice in a cluster or group.' },
  { id: 'duplicate-priority', severity: 'error', summary: 'Two nodes of one group have the same priority.' },
  { id: 'priority-out-of-range', severity: 'error', summary: 'A priority is outside 1–999.' },
  {
    id: 'binding-conflict',
    severity: 'error',
    summary: "Two bindings share protocol, IP, port and host header (the IIS kit's 9422, caught before it happens).",
  },
  {
    id: 'endpoint-conflict',
    severity: 'error',
    summary:
      'http and https share one IP:port (HTTP.sys configures TLS per endpoint), or an ftp/smtp binding shares an IP:port an http/https binding claims; "*" overlaps every address.',
  },
  { id: 'binding-address-not-virtual', severity: 'error', summary: 'A binding IP is not a VirtualIP of the site\'s group (or is "*").' },
  {
    id: 'binding-protocol-mismatch',
    severity: 'error',
    summary: "A binding protocol does not belong to the site's service (http/https for Web, ftp/ftps for FTP, smtp for SMTP).",
  },
  { id: 'certificate-required', severity: 'error', summary: 'An https or ftps binding has no certificateThumbprint.' },
  { id: 'duplicate-virtual-ip', severity: 'error', summary: 'Two VirtualIPs declare the same address.' },
  {
    id: 'provider-field-missing',
    severity: 'error',
    summary:
      "A VirtualIP's provider lacks the field it needs (azureLoadBalancer: probePort, awsRouteTable: routeTableIds, awsElasticIp: allocationId).",
  },
  {
    id: 'provider-field-misplaced',
    severity: 'error',
    summary: "A VirtualIP's provider sets a field of another provider (e.g. probePort on awsSecondaryIp, region on azureLoadBalancer).",
  },
  {
    id: 'probe-port-conflict',
    severity: 'error',
    summary: "An Azure probe port is a site binding's port, or another group's probe port, on a node that may run both.",
  },
  { id: 'duplicate-route-table', severity: 'error', summary: 'An awsRouteTable VirtualIP lists one route table twice.' },
  { id: 'elastic-ip-not-public', severity: 'error', summary: 'An awsElasticIp VirtualIP has a private, reserved or IPv6 address.' },
  { id: 'vip-shared-across-groups', severity: 'error', summary: 'A site of one group binds a VirtualIP that belongs to another group.' },
  { id: 'content-not-on-mirror', severity: 'error', summary: "A site's physicalPath is not on a Mirror of its group (or is a UNC path)." },
  { id: 'duplicate-mirror-volume', severity: 'error', summary: 'Two Mirrors of one cluster declare the same volume letter.' },
  { id: 'mirror-system-volume', severity: 'error', summary: 'A Mirror declares the system volume C:, which DataKeeper cannot mirror.' },
  { id: 'mirror-endpoint-mismatch', severity: 'error', summary: "A Mirror's endpoint nodes differ from its group's nodes." },
  { id: 'invalid-site-name', severity: 'error', summary: 'siteName has characters other than letters, digits and "-" (IIS kit rule).' },
  {
    id: 'timing-unsafe',
    severity: 'error',
    summary: 'renewDeadline ≥ leaseDuration or retryPeriod ≥ renewDeadline: self-fencing could come too late.',
  },
  { id: 'single-node-group', severity: 'warning', summary: 'A group can run on one node only: it is not protected.' },
  { id: 'group-without-resources', severity: 'warning', summary: 'A group has no VirtualIP, Mirror or IISSite.' },
  {
    id: 'automatic-switchback-with-mirror',
    severity: 'warning',
    summary: 'A group with a Mirror has switchback: Automatic, which LifeKeeper does not support with replicated data.',
  },
  {
    id: 'async-failover-on-sync-mirror',
    severity: 'warning',
    summary: 'A Synchronous Mirror sets asyncFailover: Refuse, which applies to asynchronous mirrors only.',
  },
  {
    id: 'route-address-in-vpc',
    severity: 'warning',
    summary: "An awsRouteTable address is in the /16 of a node's address, so maybe inside the VPC's CIDR, where AWS refuses a /32 route.",
  },
  {
    id: 'secondary-ip-outside-subnet',
    severity: 'warning',
    summary: "An awsSecondaryIp address is outside the subnet of some node's address: that node's interface cannot take it.",
  },
  {
    id: 'local-vip-with-cloud-provider',
    severity: 'warning',
    summary: 'A group has a local VirtualIP beside one with a cloud provider: a local address is not reachable where ARP is ignored.',
  },
  { id: 'credentials-missing', severity: 'error', summary: 'An FTP deep check with login: credentials names no credentialsSecretRef.' },
  {
    id: 'node-in-several-clusters',
    severity: 'error',
    summary: 'Two Clusters (any namespaces) list a node with one management address: one host would be driven by two clusters.',
  },
  {
    id: 'shared-host-conflict',
    severity: 'error',
    summary: 'Groups of two Clusters sharing a host claim one virtual IP, volume letter, IIS site name or Azure probe port there.',
  },
];

export const RULE_BY_ID: ReadonlyMap<string, RuleInfo> = new Map(RULES.map((r) => [r.id, r]));
