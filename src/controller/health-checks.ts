/**
 * Health-check scheduling on the active node (design §4): quickCheck every 10 s and deepCheck every 60 s by
 * default, never overlapping (run inside the group's reconcile). The first failing site ends the round: its
 * failure is returned for decide() to act on (local recovery or failover).
 */
import { DEFAULT_CHECKS } from '../api/defaults.js';
import type { Cluster, IISSite } from '../api/types.js';
import type { CallOptions, HostDriver } from '../drivers/types.js';
import { deepCheck, quickCheck } from '../reconcilers/iis-kit.js';
import type { SecretSource } from '../reconcilers/secrets.js';
import type { Note } from '../reconcilers/types.js';
import type { LocalView } from './decision-types.js';
import type { GroupMemory } from './group-memory.js';
import type { AgentMetrics } from './metrics.js';
import type { StatusWriter } from './status/writer.js';

export interface CheckDeps {
  driver: HostDriver;
  node: string;
  metrics: AgentMetrics;
  writer: StatusWriter;
  note: Note;
  /** Where an FTP deep check's credentialsSecretRef is read. */
  secrets?: SecretSource | undefined;
}

/**
 * Where in each interval a group's checks fall, in [0, 1): a hash of its key (as Prometheus spreads its scrapes by
 * target), so the groups of a node check spread over the interval instead of all at once, the same way every run.
 */
export function checkPhase(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 0x1_0000_0000;
}

/** The group's quick-check interval (ms) and deep-check interval (s): the shortest any of its sites asks for. */
export function checkIntervals(sites: IISSite[], cluster: Cluster | undefined): { quickMs: number; deepSec: number } {
  const c = cluster?.spec?.checks;
  const quickSec = c?.quickCheckIntervalSeconds ?? DEFAULT_CHECKS.quickCheckIntervalSeconds;
  const deepDefault = c?.deepCheckIntervalSeconds ?? DEFAULT_CHECKS.deepCheckIntervalSeconds;
  return {
    quickMs: Math.min(...sites.map((s) => (s.spec.checks?.quickCheckIntervalSeconds ?? quickSec) * 1000), 3_600_000),
    deepSec: Math.min(...sites.map((s) => s.spec.checks?.deepCheckIntervalSeconds ?? deepDefault), 86_400),
  };
}

/** Run the checks that are due (all quick ones at once when `now`); the failure found, if any. `phase`: checkPhase. */
export async function runDueChecks(
  d: CheckDeps,
  sites: IISSite[],
  cluster: Cluster | undefined,
  schedule: GroupMemory['checks'],
  mono: number,
  o: CallOptions,
  now: boolean,
  phase = 0,
): Promise<LocalView['failure']> {
  const { quickMs, deepSec } = checkIntervals(sites, cluster);
  // The first round comes at the group's phase of the interval; the next ones a whole interval apart.
  if (schedule.nextQuick === undefined) schedule.nextQuick = mono + Math.max(1, Math.round(phase * quickMs));
  if (schedule.nextDeep === undefined) schedule.nextDeep = mono + Math.max(1, Math.round(phase * deepSec * 1000));
  const deepDue = !now && deepSec > 0 && mono >= schedule.nextDeep;
  const quickDue = now || mono >= schedule.nextQuick;
  if (!deepDue && !quickDue) return undefined;
  let failure: LocalView['failure'];
  for (const s of sites) {
    const r = deepDue ? await deepCheck(d.driver, s, o, d.secrets) : await quickCheck(d.driver, s, o);
    d.metrics.checks.inc({ check: deepDue ? 'deep' : 'quick', result: r.ok ? (r.warning ? 'warning' : 'pass') : 'fail' });
    if (r.warning && r.warning.code === 9773) await d.note(s, 'Warning', 'DeepCheckIncomplete', r.warning.message, 9773);
    if (!r.ok) {
      const check = deepDue ? 'deep' : 'quick';
      failure = {
        code: r.codes[0] ?? 0,
        check,
        site: s.metadata.name,
        siteName: s.spec.siteName,
        localRecovery: s.spec.localRecovery ?? true,
        message: r.message,
      };
      await d.note(s, 'Warning', deepDue ? 'DeepCheckFailed' : 'QuickCheckFailed', `${r.message} on ${d.node}`, r.codes[0]);
      break;
    }
    await d.writer.siteCheck(s, deepDue ? 'lastDeepCheck' : 'lastQuickCheck', r.warning ? 'Warning' : 'Pass', r.warning?.code);
  }
  schedule.nextQuick = mono + quickMs;
  if (deepDue) schedule.nextDeep = mono + deepSec * 1000;
  return failure;
}
