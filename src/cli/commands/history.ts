/**
 * `winha history [GROUP]` (issue 18 item 2, like `patronictl history`): every failover, switchover, switchback,
 * start, fence and ban of a group from its status.history, which the agents keep (the last 50; Events expire).
 * Oldest first; with no group, every group of the namespace merged by time.
 */
import type { StoredObject } from '../../store/types.js';
import { historyRows, type HistoryRow } from '../../view/history-rows.js';
import { isStoreError } from '../../store/errors.js';
import { toYaml } from '../../lib/yaml.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { renderTable } from '../table.js';

function outage(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

/** The table: WHEN / GROUP / KIND / FROM → TO / EPOCH / OUTAGE / REASON. */
export function renderHistory(rows: readonly HistoryRow[]): string {
  return renderTable(
    ['when', 'group', 'kind', 'from → to', 'epoch', 'outage', 'reason'],
    rows.map((r) => [
      r.at,
      r.group,
      r.kind,
      `${r.from ?? '-'} → ${r.to ?? '-'}`,
      r.epoch === undefined ? '-' : String(r.epoch),
      outage(r.outageSeconds),
      r.reason,
    ]),
  );
}

export interface HistoryFlags extends StoreFlags {
  namespace?: string;
  output?: string;
}

export async function runHistory(group: string | undefined, flags: HistoryFlags, io: CliIO): Promise<number> {
  const output = flags.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(output)) throw new UsageError(`unknown output format "${output}" (use json or yaml)`);
  const ns = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    let groups: StoredObject[];
    if (group) {
      try {
        groups = [await store.objects.get('FailoverGroup', ns, group)];
      } catch (err) {
        if (!isStoreError(err, 'NotFound')) throw err;
        io.stderr.write(`winha: failovergroup "${group}" not found in namespace ${ns}\n`);
        return EXIT.FAILED;
      }
    } else {
      groups = (await store.objects.list('FailoverGroup', { namespace: ns })).items;
    }
    const rows = historyRows(groups);
    if (output === 'json') io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else if (output === 'yaml') io.stdout.write(toYaml(rows));
    else if (rows.length === 0) io.stderr.write(`No history${group ? ` for group ${group}` : ''} in namespace ${ns}.\n`);
    else io.stdout.write(renderHistory(rows));
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
