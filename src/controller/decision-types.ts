/**
 * The pure decision core's input and output (design §3 "Decisions are pure").
 *
 * A DecisionInput is everything one node's agent knows about one
 * FailoverGroup at one instant: the spec, what the store says (leases, group
 * and mirror status, requests) and what its own host looks like. decide()
 * turns it into this node's role, the ordered actions for this node, a reason
 * an operator understands, and the group conditions. Inputs and outputs are
 * plain JSON so golden tests (test/scheduler/) can pin them.
 */
import type { AddressState } from '../drivers/types.js';
import type { AsyncRisk } from './async-failover.js';

export type Role =
  /** Holds the group lease and serves (or is bringing the group into service). */
  | 'active'
  /** Keeps standby duties: site stopped, VIP absent, mirror target. */
  | 'standby'
  /** Best candidate, about to take the lease. */
  | 'candidate'
  /** Holder that is taking the group out of service to hand it on (failover, switchover, switchback, OutOfService). */
  | 'releasing'
  /** Lost the lease (could not renew within renewDeadline): takes everything out of service at once. */
  | 'fencing'
  /** Maintenance: no action, no check. */
  | 'paused';

export interface GroupSpecView {
  name: string;
  nodes: { name: string; priority: number }[];
  switchback: 'Intelligent' | 'Automatic';
  autoFailover: boolean;
  desiredState: 'InService' | 'OutOfService';
  maintenance: boolean;
  restartLimit: number;
  restartWindowSeconds: number;
  failureExpirySeconds: number;
  /** Retries of a transient bring-up failure on this node, and the first delay (then doubled); defaults 3 and 1 s. */
  transientRetryLimit?: number;
  transientRetryDelaySeconds?: number;
  /** Automatic switchback waits until the preferred node has been up this long (default 60 s). */
  switchbackDelaySeconds?: number;
}

export interface NodeView {
  /** Its node lease is renewed (remainingMs > 0 by our own observation). */
  alive: boolean;
  /** Node maintenance (Cluster spec or `winha maintenance on --node`). */
  maintenance: boolean;
  /** How long it has been alive without a break, by our own observation (absent: not measured). */
  aliveForMs?: number;
}

/** What the group status remembers about one node (written by that node's agent; cleared by `winha clear`). */
export interface NodeHistory {
  /** Epoch ms; the node may not run the group before. */
  bannedUntil?: number;
  /** The kit code and the words of the failure that banned it (for the conditions that report the ban). */
  banCode?: number;
  banReason?: string;
  /** Epoch ms of local recoveries (counted within restartWindowSeconds). */
  restarts?: number[];
  /** Its last deactivation failed (9556/9557): nobody else may activate while it is alive. */
  deactivationFailed?: boolean;
}

export interface GroupLeaseView {
  /** '' when never held or released. */
  holder: string;
  epoch: number;
  /** We have observed it unchanged for leaseDuration (or it is released). */
  expired: boolean;
  /** When it expired by our observation (epoch ms), for the reason sentence. */
  expiredAt?: number;
}

export interface MirrorView {
  name: string;
  /** Drive letter without colon. */
  volume: string;
  /** Node recorded as source in Mirror status (undefined: never mirrored yet). */
  source?: string;
  /** Group epoch under which that source became source. */
  sourceEpoch?: number;
  /** Target states as a source last recorded them; only trusted when recordedBy === source. */
  targets: Record<string, number>;
  /** The node that recorded `targets`. */
  recordedBy?: string;
  /** Nodes whose own latest report says role=source (two or more: split brain). */
  claimedSources: string[];
  /** Live nodes that gave up the source role of a split brain (PREPARETOBECOMETARGET: their own report says role None) and wait for the survivor's continue. */
  preparedTargets?: string[];
  /** This node's own view of the volume, when observed. */
  local?: { role: 'source' | 'target' | 'none'; state: number };
  /** This node is source: live endpoints that report no mirror role and get none from it yet (a CREATEMIRROR each, multi-target). */
  unmirrored?: string[];
  /**
   * A node seen serving the group after its lease had expired while it was the recorded source: it served with
   * no agent able to record the mirror (stopped, or cut from the store), so `targets` may be stale. Cleared when
   * that source records the mirror again.
   */
  unsupervisedBy?: string;
  /** Set when the mirror is asynchronous (DataKeeper's report on this node, else the spec); absent: synchronous. */
  mode?: 'Asynchronous';
  /** Asynchronous mirrors: whether a target is promoted automatically over a lost source (absent: Allow). */
  asyncFailover?: 'Allow' | 'Refuse';
  /** Asynchronous mirrors: writes queued on the source for each target, as `recordedBy` last recorded them. */
  queuedWrites?: Record<string, number>;
}

export interface SiteLocal {
  /** IISSite object name. */
  name: string;
  siteName: string;
  exists: boolean;
  started: boolean;
  serverAutoStart: boolean;
}

export interface VipLocal {
  name: string;
  address: string;
  /** On this host in any state (removal takes it away whatever its state). */
  present: boolean;
  /**
   * Its state when present. Only a Preferred (or Deprecated) address answers: one still Tentative (duplicate
   * address detection not over) is waited for (awaitAddress) and one Duplicate is added again, which reports the
   * conflict (9408), instead of starting a site on an address that is not there yet.
   */
  state?: AddressState;
  /**
   * A cloud-routed address (VirtualIP spec.provider): `local` whether it is also configured on the host (false for an
   * Elastic IP); `here` whether the cloud sends its traffic to this node (undefined: not known, e.g. not observed).
   */
  cloud?: { local: boolean; here?: boolean };
  /** Behind an Azure load balancer: this node's probe listener on `port`, and whether it is open. */
  probe?: { port: number; open: boolean };
}

export interface LocalView {
  /** Whether the host could be observed at all (driver reachable). */
  observed: boolean;
  sites: SiteLocal[];
  vips: VipLocal[];
  /** A failed health check not yet acted on (kit code 9704/9705/9707/9757/...). */
  failure?: { code: number; check: 'quick' | 'deep'; site: string; siteName: string; localRecovery: boolean; message: string };
  /** Local recovery just failed (9606/9607/9609). */
  recoveryFailed?: { code: number; message: string };
  /** Bringing the group in service here failed (9408 after 9414/9409/9420/9422/9706, or a mirror/VIP step). */
  activationFailed?: ActivationFailure;
  /** Taking it out of service here failed (9556/9557). */
  deactivationFailed?: { code: number; message: string };
}

export interface ActivationFailure {
  code: number;
  message: string;
  /** The driver classed the error transient (and the in-step retries ran out): not a reason to ban the last node. */
  transient?: boolean;
  /** Consecutive bring-ups that ended in a transient failure, and when the last one did (epoch ms). */
  attempts?: number;
  at?: number;
}

/**
 * What the safety probe proved: `serving` (an address still answers; wins over any failed probe), `silent` (every
 * address was probed and none answers), `unknown` (a probe failed or timed out and none answered: blocks promotion).
 */
export type SafetyCheckOutcome = 'serving' | 'silent' | 'unknown';

export interface SafetyCheckResult {
  /** The lease epoch whose holder was probed. */
  epoch: number;
  /** Epoch ms of the probe. */
  at: number;
  outcome: SafetyCheckOutcome;
  /** Names the address (and, for unknown, the error of each address that could not be probed). */
  detail: string;
}

export interface SwitchoverRequest {
  id: string;
  to: string;
  force: boolean;
}

export interface DecisionInput {
  /** Epoch ms (wall clock: only for bans, windows and the reason text). */
  now: number;
  self: string;
  clusterMaintenance: boolean;
  safetyCheckEnabled: boolean;
  /** How old a safety-check result may be before it is repeated (ms; the retry period). */
  safetyCheckMaxAgeMs: number;
  group: GroupSpecView;
  nodes: Record<string, NodeView>;
  history: Record<string, NodeHistory>;
  lease: GroupLeaseView;
  /** This agent holds the lease but could not renew it within renewDeadline. */
  leaseLostBySelf?: boolean;
  /** status.activeNode as last written. */
  activeNode?: string;
  mirrors: MirrorView[];
  local: LocalView;
  safetyCheck?: SafetyCheckResult;
  switchover?: SwitchoverRequest;
}

export type Action =
  | { type: 'acquireLease'; expectedEpoch: number; reason: string }
  | { type: 'releaseLease'; epoch: number; reason: string }
  | { type: 'safetyCheck'; previous: string; epoch: number }
  /** Record on these Mirrors that their source served unsupervised (MirrorView.unsupervisedBy). */
  | { type: 'markUnsupervised'; mirrors: string[]; node: string }
  // activation, in this order (design §4): mirror source → VIP → site
  /** To each of `targets`; `add`: this node is source already and adds them (multi-target). */
  | { type: 'createMirror'; mirror: string; volume: string; epoch: number; targets: string[]; add?: true }
  /** `asyncRisk`: an asynchronous target whose source is lost (the step warns that queued writes may be lost). */
  | { type: 'promoteMirror'; mirror: string; volume: string; force: boolean; epoch: number; asyncRisk?: AsyncRisk }
  | { type: 'addVip'; vip: string; address: string; epoch: number }
  /** The address is on the host but still Tentative (duplicate address detection): come back for it, start nothing on it yet. */
  | { type: 'awaitAddress'; vip: string; address: string; epoch: number }
  | { type: 'startSite'; site: string; siteName: string; epoch: number }
  /** Answer the Azure load balancer's probe: only once the sites serve (the load balancer then sends traffic here). */
  | { type: 'openProbe'; vip: string; port: number; epoch: number }
  /** Stop answering the probe: first of all when leaving (the load balancer stops sending new flows here). */
  | { type: 'closeProbe'; vip: string; port: number; epoch: number; why: 'deactivate' | 'standbyDrift' }
  // deactivation: VIP → site (clients stop reaching this node first; issue 15)
  | { type: 'removeVip'; vip: string; address: string; epoch: number; why: 'deactivate' | 'standbyDrift' }
  | { type: 'stopSite'; site: string; siteName: string; epoch: number; why: 'deactivate' | 'standbyDrift' }
  // standby duty
  | { type: 'disableAutoStart'; site: string; siteName: string; epoch: number }
  // failure policy
  | { type: 'recoverSite'; site: string; siteName: string; code: number; epoch: number }
  | { type: 'banSelf'; until: number; code: number; reason: string }
  /** The last eligible node waits for the next retry of a transient bring-up failure (epoch ms). */
  | { type: 'awaitRetry'; at: number; code: number }
  // split-brain resolution chosen by `winha switchover --force`
  | { type: 'prepareToBecomeTarget'; mirror: string; volume: string; epoch: number }
  | { type: 'continueMirror'; mirror: string; volume: string; epoch: number }
  // requests
  | { type: 'completeSwitchover'; id: string; outcome: 'Done' | 'Refused'; message: string };

export type ActionType = Action['type'];

export interface DecisionCondition {
  type: 'Ready' | 'Degraded' | 'MirrorInSync' | 'PromotionBlocked' | 'Failed' | 'Maintenance';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  code?: number;
}

export interface Decision {
  role: Role;
  /** Ordered: the executor runs them in order and stops at the first failure. */
  actions: Action[];
  /** One sentence an operator understands (Patroni style). */
  reason: string;
  /** Who should serve the group as far as this node can tell ('' : nobody). */
  target: string;
  /** Group-level conditions as this node sees them; the lease holder (or best candidate) writes them. */
  conditions: DecisionCondition[];
  /** Whether this node writes the group's status for this decision (the holder, or with no holder the best-ranked live member). */
  reportsStatus: boolean;
  /** The holder's bring-up stopped at the mirror gate: it holds the group and serves nothing. */
  blocked?: true;
  /** Events the decision itself implies (refusals, blocked promotions), besides those from executing actions. */
  events: { type: 'Normal' | 'Warning'; reason: string; message: string; code?: number }[];
}
