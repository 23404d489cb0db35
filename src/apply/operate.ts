/**
 * Operator commands as library functions over an ObjectStore (design §1):
 * `winha switchover`, `winha clear`, `winha maintenance`. The CLI
 * (src/cli/commands/operate.ts) prints their results; the simulation's
 * cluster under test (src/sim/harness/agent-target.ts) calls the same functions, so a
 * scenario's operator step is exactly what the command does.
 *
 * Requests are annotations the agents act on (src/controller/requests.ts);
 * `clear` edits the group status directly (bans and failure history live there).
 * Nothing here reads real time or randomness: the caller passes the request
 * id and time (the CLI a UUID and the wall clock, the simulation a counter and
 * virtual time).
 */
import { ConflictError, isStoreError } from '../store/errors.js';
import type { ObjectStore, StoredObject } from '../store/types.js';
import { ANNOTATIONS } from '../api/annotations.js';
import { updateStatusWith } from '../store/status-update.js';

export interface OperateResult {
  ok: boolean;
  /** What the CLI prints: on stdout when ok, on stderr (after "winha: ") when not. */
  message: string;
}

async function getGroup(store: ObjectStore, kind: string, ns: string, name: string): Promise<StoredObject | OperateResult> {
  try {
    return await store.get(kind, ns, name);
  } catch (err) {
    if (isStoreError(err, 'NotFound'))
      return { ok: false, message: `${kind === 'FailoverGroup' ? 'group' : kind.toLowerCase()} ${name} not found in namespace ${ns}` };
    throw err;
  }
}

function isResult(x: StoredObject | OperateResult): x is OperateResult {
  return 'ok' in x && 'message' in x && !('metadata' in x);
}

/** Compare-and-swap attempts before an operator command gives up (another writer won each time). */
export const MAX_ANNOTATION_ATTEMPTS = 5;

/**
 * Set (or remove, with undefined) one annotation, re-reading on a compare-and-swap conflict.
 * Throws ConflictError when every attempt lost: the caller must not report success.
 */
export async function setAnnotation(
  store: ObjectStore,
  kind: string,
  ns: string,
  name: string,
  key: string,
  value: string | undefined | ((current: string | undefined) => string | undefined),
): Promise<void> {
  for (let i = 0; i < MAX_ANNOTATION_ATTEMPTS; i++) {
    const cur = await store.get(kind, ns, name);
    const ann = { ...(cur.metadata.annotations ?? {}) };
    const next = typeof value === 'function' ? value(ann[key]) : value;
    if (next === undefined) delete ann[key];
    else ann[key] = next;
    try {
      await store.update({ ...cur, metadata: { ...cur.metadata, annotations: ann } });
      return;
    } catch (err) {
      if (!isStoreError(err, 'Conflict')) throw err;
    }
  }
  throw new ConflictError(
    `${kind} ${ns}/${name} changed under each of ${MAX_ANNOTATION_ATTEMPTS} attempts (another writer); nothing was written, run the command again`,
  );
}

/** The failure to report when annotating lost every compare-and-swap; other errors go on up. */
async function annotated(write: () => Promise<void>, what: string): Promise<OperateResult | undefined> {
  try {
    await write();
    return undefined;
  } catch (err) {
    if (!isStoreError(err, 'Conflict')) throw err;
    return { ok: false, message: `${what} not written: ${err.message}` };
  }
}

export interface SwitchoverOptions {
  namespace: string;
  group: string;
  to: string;
  force: boolean;
  /** Request id (the CLI: a UUID). */
  id: string;
  /** RFC 3339 time of the request. */
  requestedAt: string;
}

/** `winha switchover GROUP --to NODE [--force]`: checks the node and the mirror gate, then writes the request. */
export async function requestSwitchover(store: ObjectStore, o: SwitchoverOptions): Promise<OperateResult> {
  const g = await getGroup(store, 'FailoverGroup', o.namespace, o.group);
  if (isResult(g)) return g;
  const nodes = ((g.spec as { nodes?: { name: string }[] }).nodes ?? []).map((n) => n.name);
  if (!nodes.includes(o.to)) return { ok: false, message: `${o.to} is not a node of group ${o.group} (nodes: ${nodes.join(', ')})` };
  if (!o.force) {
    // The mirror gate, checked here too so the operator gets the reason at once (M7).
    const mirrors = (await store.list('Mirror', { namespace: o.namespace })).items.filter(
      (m) => (m.spec as { group?: string }).group === o.group,
    );
    for (const m of mirrors) {
      const st = (m.status ?? {}) as { source?: string; recordedBy?: string; targets?: { name: string; state: number }[] };
      if (!st.source || st.source === o.to) continue;
      const state = st.recordedBy === st.source ? st.targets?.find((t) => t.name === o.to)?.state : undefined;
      if (state !== 1) {
        return {
          ok: false,
          message: `switchover refused: ${o.to}'s mirror ${(m.spec as { volume: string }).volume} is ${state === undefined ? 'in an unknown state' : `in state ${state}`}, not Mirroring (1); --force promotes it anyway and data written since may be lost`,
        };
      }
    }
  }
  const request = { id: o.id, to: o.to, force: o.force, requestedAt: o.requestedAt };
  const failed = await annotated(
    () => setAnnotation(store, 'FailoverGroup', o.namespace, o.group, ANNOTATIONS.switchover, JSON.stringify(request)),
    `switchover of ${o.group} to ${o.to}`,
  );
  if (failed) return failed;
  return {
    ok: true,
    message: `switchover of ${o.group} to ${o.to}${o.force ? ' (forced: data may be lost)' : ''} requested; the agents act on it and remove the request when done (winha describe group ${o.group})`,
  };
}

/** `winha clear GROUP [--node N]`: forget bans and failure counts. */
export async function clearGroup(store: ObjectStore, o: { namespace: string; group: string; node?: string }): Promise<OperateResult> {
  const g = await getGroup(store, 'FailoverGroup', o.namespace, o.group);
  if (isResult(g)) return g;
  await updateStatusWith<{ nodes?: Record<string, unknown>[] }>(store, 'FailoverGroup', o.namespace, o.group, (st) => ({
    ...st,
    nodes: (st.nodes ?? []).map((n) => {
      if (o.node && n['name'] !== o.node) return n;
      const { bannedUntil: _b, banCode: _c, banReason: _w, failures: _f, restarts: _r, ...rest } = n;
      return rest;
    }),
  }));
  return { ok: true, message: `cleared bans and failure counts of ${o.group}${o.node ? ` on ${o.node}` : ' on every node'}` };
}

/** `winha maintenance on|off [--group G | --node N]`. */
export async function setMaintenance(
  store: ObjectStore,
  o: { namespace: string; enabled: boolean; group?: string; node?: string },
): Promise<OperateResult> {
  const mode = o.enabled ? 'on' : 'off';
  const group = o.group;
  if (group) {
    const g = await getGroup(store, 'FailoverGroup', o.namespace, group);
    if (isResult(g)) return g;
    const failed = await annotated(
      () => setAnnotation(store, 'FailoverGroup', o.namespace, group, ANNOTATIONS.maintenance, o.enabled ? 'true' : undefined),
      `maintenance ${mode} for group ${o.group}`,
    );
    if (failed) return failed;
    return { ok: true, message: `maintenance ${mode} for group ${o.group}` };
  }
  const clusters = (await store.list('Cluster', { namespace: o.namespace })).items;
  if (clusters.length === 0) return { ok: false, message: `no Cluster in namespace ${o.namespace}` };
  const what = `maintenance ${mode} for ${o.node ? `node ${o.node}` : 'the cluster'}`;
  for (const c of clusters) {
    const failed = await annotated(() => setClusterMaintenance(store, c, o), what);
    if (failed) return failed;
  }
  return { ok: true, message: what };
}

/** One cluster's maintenance annotation; a node list is recomputed from each re-read (no lost update). */
async function setClusterMaintenance(
  store: ObjectStore,
  c: StoredObject,
  o: { namespace: string; enabled: boolean; node?: string },
): Promise<void> {
  const node = o.node;
  if (node === undefined) {
    await setAnnotation(store, 'Cluster', o.namespace, c.metadata.name, ANNOTATIONS.maintenance, o.enabled ? 'true' : undefined);
    return;
  }
  await setAnnotation(store, 'Cluster', o.namespace, c.metadata.name, ANNOTATIONS.maintenanceNodes, (current) => {
    const nodes = new Set(
      (current ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    if (o.enabled) nodes.add(node);
    else nodes.delete(node);
    return nodes.size ? [...nodes].sort().join(',') : undefined;
  });
}
