/**
 * Operator commands over the store (design §1): switchover, clear, maintenance.
 * Requests are annotations the agents act on (src/controller/requests.ts);
 * `clear` edits the group status directly (bans and failure history live there).
 */
import { randomUUID } from 'node:crypto';
import { SystemClock } from '../../lib/clock.js';
import { isStoreError } from '../../store/errors.js';
import type { ObjectStore, StoredObject } from '../../store/types.js';
import { ANNOTATIONS } from '../../controller/requests.js';
import { updateStatusWith } from '../../controller/status-writer.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';

interface NsFlags extends StoreFlags {
  namespace?: string;
}

async function getOrExplain(store: ObjectStore, kind: string, ns: string, name: string, io: CliIO): Promise<StoredObject | undefined> {
  try {
    return await store.get(kind, ns, name);
  } catch (err) {
    if (isStoreError(err, 'NotFound')) {
      io.stderr.write(`winha: ${kind === 'FailoverGroup' ? 'group' : kind.toLowerCase()} ${name} not found in namespace ${ns}\n`);
      return undefined;
    }
    throw err;
  }
}

async function setAnnotation(store: ObjectStore, kind: string, ns: string, name: string, key: string, value: string | undefined): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const cur = await store.get(kind, ns, name);
    const ann = { ...(cur.metadata.annotations ?? {}) };
    if (value === undefined) delete ann[key];
    else ann[key] = value;
    try {
      await store.update({ ...cur, metadata: { ...cur.metadata, annotations: ann } });
      return;
    } catch (err) {
      if (!isStoreError(err, 'Conflict')) throw err;
    }
  }
}

export async function runSwitchover(group: string, flags: NsFlags & { to?: string; force?: boolean }, io: CliIO): Promise<number> {
  if (!flags.to) throw new UsageError('name the node: winha switchover GROUP --to NODE [--force]');
  const ns = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    const g = await getOrExplain(store.objects, 'FailoverGroup', ns, group, io);
    if (!g) return EXIT.FAILED;
    const nodes = ((g.spec as { nodes?: { name: string }[] }).nodes ?? []).map((n) => n.name);
    if (!nodes.includes(flags.to)) {
      io.stderr.write(`winha: ${flags.to} is not a node of group ${group} (nodes: ${nodes.join(', ')})\n`);
      return EXIT.FAILED;
    }
    if (!flags.force) {
      // The mirror gate, checked here too so the operator gets the reason at once (M7).
      const mirrors = (await store.objects.list('Mirror', { namespace: ns })).items.filter((m) => (m.spec as { group?: string }).group === group);
      for (const m of mirrors) {
        const st = (m.status ?? {}) as { source?: string; recordedBy?: string; targets?: { name: string; state: number }[] };
        if (!st.source || st.source === flags.to) continue;
        const state = st.recordedBy === st.source ? st.targets?.find((t) => t.name === flags.to)?.state : undefined;
        if (state !== 1) {
          io.stderr.write(`winha: switchover refused: ${flags.to}'s mirror ${(m.spec as { volume: string }).volume} is ${state === undefined ? 'in an unknown state' : `in state ${state}`}, not Mirroring (1); --force promotes it anyway and data written since may be lost\n`);
          return EXIT.FAILED;
        }
      }
    }
    const request = { id: randomUUID(), to: flags.to, force: !!flags.force, requestedAt: new Date(new SystemClock().now()).toISOString() };
    await setAnnotation(store.objects, 'FailoverGroup', ns, group, ANNOTATIONS.switchover, JSON.stringify(request));
    io.stdout.write(`switchover of ${group} to ${flags.to}${flags.force ? ' (forced: data may be lost)' : ''} requested; the agents act on it and remove the request when done (winha describe group ${group})\n`);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

export async function runClear(group: string, flags: NsFlags & { node?: string }, io: CliIO): Promise<number> {
  const ns = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    if (!(await getOrExplain(store.objects, 'FailoverGroup', ns, group, io))) return EXIT.FAILED;
    await updateStatusWith<{ nodes?: Record<string, unknown>[] }>(store.objects, 'FailoverGroup', ns, group, (st) => ({
      ...st,
      nodes: (st.nodes ?? []).map((n) => {
        if (flags.node && n['name'] !== flags.node) return n;
        const { bannedUntil: _b, failures: _f, restarts: _r, ...rest } = n;
        return rest;
      }),
    }));
    io.stdout.write(`cleared bans and failure counts of ${group}${flags.node ? ` on ${flags.node}` : ' on every node'}\n`);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

export async function runMaintenance(mode: string, flags: NsFlags & { group?: string; node?: string }, io: CliIO): Promise<number> {
  if (mode !== 'on' && mode !== 'off') throw new UsageError('winha maintenance on|off [--group G | --node N]');
  if (flags.group && flags.node) throw new UsageError('choose --group or --node, not both');
  const ns = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    if (flags.group) {
      if (!(await getOrExplain(store.objects, 'FailoverGroup', ns, flags.group, io))) return EXIT.FAILED;
      await setAnnotation(store.objects, 'FailoverGroup', ns, flags.group, ANNOTATIONS.maintenance, mode === 'on' ? 'true' : undefined);
      io.stdout.write(`maintenance ${mode} for group ${flags.group}\n`);
      return EXIT.OK;
    }
    const clusters = (await store.objects.list('Cluster', { namespace: ns })).items;
    if (clusters.length === 0) {
      io.stderr.write(`winha: no Cluster in namespace ${ns}\n`);
      return EXIT.FAILED;
    }
    for (const c of clusters) {
      if (flags.node) {
        const cur = new Set((c.metadata.annotations?.[ANNOTATIONS.maintenanceNodes] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
        if (mode === 'on') cur.add(flags.node);
        else cur.delete(flags.node);
        await setAnnotation(store.objects, 'Cluster', ns, c.metadata.name, ANNOTATIONS.maintenanceNodes, cur.size ? [...cur].sort().join(',') : undefined);
      } else {
        await setAnnotation(store.objects, 'Cluster', ns, c.metadata.name, ANNOTATIONS.maintenance, mode === 'on' ? 'true' : undefined);
      }
    }
    io.stdout.write(`maintenance ${mode} for ${flags.node ? `node ${flags.node}` : 'the cluster'}\n`);
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
