/** `winha get`: look at what the store holds, in kubectl's output forms. */
import { toYaml } from '../../lib/yaml.js';
import type { KindInfo } from '../../api/kinds.js';
import type { Cluster } from '../../api/types.js';
import { inMaintenance, nodesInMaintenance } from '../../controller/requests.js';
import { SystemClock } from '../../lib/clock.js';
import type { StoredObject, ObjectStore, WatchEvent } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';
import { evaluate, valueText as text } from '../jsonpath.js';
import { age, renderTable } from '../table.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { parseTargets, type Target } from './get-args.js';
import {
  customColumnsTable,
  documentOf,
  jsonpathText,
  objectName,
  parseOutput,
  relaxedPath,
  sortObjects,
  type OutputFormat,
} from '../output-formats.js';
import { objectRef } from './apply.js';
import { groupMirrorCell, groupNodesCell } from '../../view/status-view.js';

const clock = new SystemClock();

export interface GetFlags extends StoreFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output?: string;
  watch?: boolean;
  sortBy?: string;
}

function printerCell(o: StoredObject, path: string, type: string, now: number): string {
  const values = evaluate(o, path);
  if (values.length === 0) return type === 'date' ? '<unknown>' : '';
  if (type === 'date') return age(text(values[0]), now);
  return values.map(text).join(',');
}

/** A Cluster's maintenance as the agents obey it: `cluster` (spec or `winha maintenance on`), the nodes in it, or `<none>`. */
export function clusterMaintenanceCell(o: StoredObject): string {
  const parts = [...(inMaintenance(o) ? ['cluster'] : []), ...[...nodesInMaintenance(o as unknown as Cluster)].sort()];
  return parts.length ? parts.join(',') : '<none>';
}

interface TableOptions {
  wide: boolean;
  allNamespaces: boolean;
  now: number;
  mirrors?: StoredObject[];
  /** Several kinds in one `get`: names are `kind.group/name`, as kubectl prints them. */
  withKind?: boolean;
}

function columnsFor(info: KindInfo, opts: TableOptions): { header: string; cell: (o: StoredObject) => string }[] {
  const cols: { header: string; cell: (o: StoredObject) => string }[] = [];
  for (const c of info.printerColumns) {
    // The CRD's JSONPath sees only spec.maintenance; winha shows annotations and nodes too, always.
    if (info.kind === 'Cluster' && c.name === 'Maintenance') cols.push({ header: c.name, cell: clusterMaintenanceCell });
    else if (opts.wide || !c.priority) cols.push({ header: c.name, cell: (o) => printerCell(o, c.jsonPath, c.type, opts.now) });
  }
  // Groups -o wide: each node's state and the mirrors (other objects), which a CRD's JSONPath columns cannot show.
  if (opts.wide && info.kind === 'FailoverGroup')
    cols.push({ header: 'Nodes', cell: groupNodesCell }, { header: 'Mirror', cell: (g) => groupMirrorCell(g, opts.mirrors ?? []) });
  return cols;
}

export function tableFor(info: KindInfo, items: StoredObject[], opts: TableOptions): string {
  const cols = columnsFor(info, opts);
  const headers = [...(opts.allNamespaces ? ['Namespace'] : []), 'Name', ...cols.map((c) => c.header)];
  const rows = items.map((o) => [
    ...(opts.allNamespaces ? [o.metadata.namespace] : []),
    opts.withKind ? objectName(o) : o.metadata.name,
    ...cols.map((c) => c.cell(o)),
  ]);
  return renderTable(headers, rows);
}

function sortByName(items: StoredObject[]): StoredObject[] {
  return [...items].sort(
    (a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

const withoutHeader = (table: string) => table.split('\n').slice(1).join('\n');

/** The objects of one kind, in the form -o asked for (tables: one per kind, a blank line between them). */
function printShown(
  io: CliIO,
  shown: { info: KindInfo; items: StoredObject[] }[],
  out: OutputFormat,
  single: boolean,
  table: TableOptions,
): void {
  const all = shown.flatMap((s) => s.items);
  if (out.form === 'json') io.stdout.write(JSON.stringify(documentOf(all, single), null, 2) + '\n');
  else if (out.form === 'yaml') io.stdout.write(toYaml(documentOf(all, single)));
  else if (out.form === 'jsonpath') io.stdout.write(jsonpathText(out.template, documentOf(all, single)));
  else if (out.form === 'name') io.stdout.write(all.map((o) => `${objectName(o)}\n`).join(''));
  else if (out.form === 'custom-columns') io.stdout.write(all.length ? customColumnsTable(out.columns, all) : '');
  else
    io.stdout.write(
      shown
        .filter((s) => s.items.length)
        .map((s) => tableFor(s.info, s.items, table))
        .join('\n'),
    );
}

/** One changed object during --watch, in the same form as the first listing (tables without their header). */
function printChange(io: CliIO, info: KindInfo, o: StoredObject, out: OutputFormat, table: TableOptions): void {
  if (out.form === 'table' || out.form === 'wide') io.stdout.write(withoutHeader(tableFor(info, [o], { ...table, now: clock.now() })));
  else if (out.form === 'custom-columns') io.stdout.write(withoutHeader(customColumnsTable(out.columns, [o])));
  else printShown(io, [{ info, items: [o] }], out, true, table);
}

export async function runGet(args: string[], flags: GetFlags, io: CliIO): Promise<number> {
  const targets: Target[] = parseTargets(args, 'get');
  const out = parseOutput(flags.output);
  const sortBy = flags.sortBy !== undefined ? relaxedPath(flags.sortBy) : undefined;
  const named = targets.some((t) => t.names.length);
  if (named && flags.selector) throw new UsageError('name objects or select them with -l, not both (as kubectl) [get-names-and-selector]');
  if (flags.watch && targets.length > 1)
    throw new UsageError('--watch follows one kind at a time: winha get KIND --watch [watch-one-kind]');
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? 'default');
  const nsOpt = namespace ? { namespace } : {};
  const interrupt = flags.watch ? interruptSignal() : undefined;
  const store = await connect(flags, io);
  try {
    let failed = false;
    let resourceVersion = '';
    const shown: { info: KindInfo; items: StoredObject[] }[] = [];
    for (const { info, names } of targets) {
      let items: StoredObject[] = [];
      const list = await store.objects.list(info.kind, { ...nsOpt, ...(flags.selector ? { labelSelector: flags.selector } : {}) });
      resourceVersion = list.resourceVersion;
      if (!names.length) items = sortByName(list.items);
      for (const n of names) {
        // kubectl's partial success: the objects found are shown, each missing one is an error, and the exit code is 1.
        try {
          items.push(await store.objects.get(info.kind, namespace ?? 'default', n));
        } catch (err) {
          if (!isStoreError(err, 'NotFound')) throw err;
          io.stderr.write(`winha get: ${objectRef(info.kind, n, namespace ?? 'default')} not found [not-found]\n`);
          failed = true;
        }
      }
      shown.push({ info, items: sortBy ? sortObjects(items, sortBy) : items });
    }
    const wideGroups = out.form === 'wide' && targets.some((t) => t.info.kind === 'FailoverGroup');
    const mirrors = wideGroups ? (await store.objects.list('Mirror', nsOpt)).items : [];
    const table: TableOptions = {
      wide: out.form === 'wide',
      allNamespaces: !!flags.allNamespaces,
      now: clock.now(),
      mirrors,
      withKind: targets.length > 1,
    };
    const single = targets.length === 1 && targets[0]!.names.length === 1;
    const empty = shown.every((s) => s.items.length === 0);
    // Nothing to print but a message: an empty table, or the one object asked for by name that is missing.
    const nothing = empty && (single || ['table', 'wide', 'name', 'custom-columns'].includes(out.form));
    if (nothing && !failed && !flags.watch) {
      const what = targets.length === 1 ? targets[0]!.info.plural : 'resources';
      io.stderr.write(`No ${what} found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
    } else if (!nothing) printShown(io, shown, out, single, table);
    if (failed) return EXIT.FAILED;
    if (!interrupt) return EXIT.OK;
    const { info, names } = targets[0]!;
    await watchAndPrint(
      store.objects,
      info,
      { namespace, selector: flags.selector, names, resourceVersion, signal: interrupt.signal },
      (o) => printChange(io, info, o, out, table),
    );
    return EXIT.OK;
  } finally {
    interrupt?.dispose();
    await store.close();
  }
}

/**
 * SIGINT/SIGTERM end a watch cleanly (exit 0). Installed before the first list,
 * so an interrupt that arrives while the table prints is not fatal.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Print each change until interrupted or the watch ends. */
export async function watchAndPrint(
  store: ObjectStore,
  info: KindInfo,
  opts: { namespace: string | undefined; selector: string | undefined; names: string[]; resourceVersion: string; signal: AbortSignal },
  print: (o: StoredObject) => void,
): Promise<void> {
  const { signal } = opts;
  let rv = opts.resourceVersion;
  while (!signal.aborted) {
    const w = store.watch(info.kind, {
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.selector ? { labelSelector: opts.selector } : {}),
      resourceVersion: rv,
      signal,
    });
    try {
      for await (const ev of w as AsyncIterable<WatchEvent>) {
        rv = ev.resourceVersion;
        if (ev.type === 'BOOKMARK') continue;
        if (opts.names.length && !opts.names.includes(ev.object.metadata.name)) continue;
        print(ev.object);
      }
      return;
    } catch (err) {
      if (isStoreError(err, 'Gone')) {
        // Too far behind: relist and go on from the new snapshot.
        rv = (await store.list(info.kind, { ...(opts.namespace ? { namespace: opts.namespace } : {}) })).resourceVersion;
        continue;
      }
      if (signal.aborted) return;
      throw err;
    }
  }
}
