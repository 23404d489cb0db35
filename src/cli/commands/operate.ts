/**
 * Operator commands over the store (design §1): switchover, clear, maintenance.
 * The work is in src/apply/operate.ts (shared with the simulation); this file
 * parses flags, connects and prints.
 */
import { SystemClock } from '../../lib/clock.js';
import { uuid } from '../../lib/random.js';
import { clearGroup, requestSwitchover, setMaintenance, type OperateResult } from '../../apply/operate.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { requireClusterNode } from '../cluster-nodes.js';

interface NsFlags extends StoreFlags {
  namespace?: string;
}

function print(r: OperateResult, io: CliIO): number {
  if (r.ok) {
    io.stdout.write(`${r.message}\n`);
    return EXIT.OK;
  }
  io.stderr.write(`winha: ${r.message}\n`);
  return EXIT.FAILED;
}

export async function runSwitchover(group: string, flags: NsFlags & { to?: string; force?: boolean }, io: CliIO): Promise<number> {
  if (!flags.to) throw new UsageError('name the node: winha switchover GROUP --to NODE [--force]');
  const store = await connect(flags, io);
  try {
    return print(
      await requestSwitchover(store.objects, {
        namespace: flags.namespace ?? 'default',
        group,
        to: flags.to,
        force: !!flags.force,
        id: uuid(),
        requestedAt: new Date(new SystemClock().now()).toISOString(),
      }),
      io,
    );
  } finally {
    await store.close();
  }
}

export async function runClear(group: string, flags: NsFlags & { node?: string }, io: CliIO): Promise<number> {
  const store = await connect(flags, io);
  try {
    if (flags.node) await requireClusterNode(store.objects, flags.namespace ?? 'default', flags.node);
    return print(
      await clearGroup(store.objects, { namespace: flags.namespace ?? 'default', group, ...(flags.node ? { node: flags.node } : {}) }),
      io,
    );
  } finally {
    await store.close();
  }
}

export async function runMaintenance(mode: string, flags: NsFlags & { group?: string; node?: string }, io: CliIO): Promise<number> {
  if (mode !== 'on' && mode !== 'off') throw new UsageError('winha maintenance on|off [--group G | --node N]');
  if (flags.group && flags.node) throw new UsageError('choose --group or --node, not both');
  const store = await connect(flags, io);
  try {
    if (flags.node) await requireClusterNode(store.objects, flags.namespace ?? 'default', flags.node);
    return print(
      await setMaintenance(store.objects, {
        namespace: flags.namespace ?? 'default',
        enabled: mode === 'on',
        ...(flags.group ? { group: flags.group } : {}),
        ...(flags.node ? { node: flags.node } : {}),
      }),
      io,
    );
  } finally {
    await store.close();
  }
}
