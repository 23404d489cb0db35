/** `winha get`, `winha describe`, `winha events`: look at what the store holds. */
import { toYaml } from '../../lib/yaml.js';
import { resolveKind, kindInfo, type KindInfo } from '../../api/kinds.js';
import { SystemClock } from '../../lib/clock.js';
import type { StoredObject, ObjectStore, WatchEvent } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';
import { evaluate } from '../jsonpath.js';
import { age, renderTable } from '../table.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect, type StoreFlags } from '../store.js';
import { objectRef } from './apply.js';
import { groupMirrorCell, groupNodesCell } from '../../view/status-view.js';

const clock = new SystemClock();

export interface GetFlags extends StoreFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output?: string;
  watch?: boolean;
}

function kindOrThrow(arg: string | undefined): KindInfo {
  if (!arg) throw new UsageError('name a kind: groups, sites, vips, mirrors, clusters, events');
  const info = resolveKind(arg);
  if (!info) throw new UsageError(`unknown kind "${arg}" (try groups, sites, vips, mirrors, clusters, events)`);
  return info;
}

/** A field of a stored object as text: an object (or null) as JSON, anything else as String() writes it. */
function text(v: unknown): string {
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v; // 'undefined', as String(undefined); a function or symbol is not in data read from JSON or YAML
}

function cell(o: StoredObject, path: string, type: string, now: number): string {
  const values = evaluate(o, path);
  if (values.length === 0) return type === 'date' ? '<unknown>' : '';
  if (type === 'date') return age(text(values[0]), now);
  return values.map(text).join(',');
}

export function tableFor(
  info: KindInfo,
  items: StoredObject[],
  opts: { wide: boolean; allNamespaces: boolean; now: number; mirrors?: StoredObject[] },
): string {
  const cols = info.printerColumns.filter((c) => opts.wide || !c.priority);
  // Groups -o wide: each node's state and the mirrors (other objects), which a CRD's JSONPath columns cannot show.
  const groupWide = opts.wide && info.kind === 'FailoverGroup';
  const headers = [
    ...(opts.allNamespaces ? ['Namespace'] : []),
    'Name',
    ...cols.map((c) => c.name),
    ...(groupWide ? ['Nodes', 'Mirror'] : []),
  ];
  const rows = items.map((o) => [
    ...(opts.allNamespaces ? [o.metadata.namespace] : []),
    o.metadata.name,
    ...cols.map((c) => cell(o, c.jsonPath, c.type, opts.now)),
    ...(groupWide ? [groupNodesCell(o), groupMirrorCell(o, opts.mirrors ?? [])] : []),
  ]);
  return renderTable(headers, rows);
}

function sortByName(items: StoredObject[]): StoredObject[] {
  return [...items].sort(
    (a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

function printObjects(io: CliIO, items: StoredObject[], output: string, single: boolean): void {
  const doc = single ? items[0] : { apiVersion: 'v1', kind: 'List', items };
  if (output === 'json') io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  else io.stdout.write(toYaml(doc));
}

export async function runGet(args: string[], flags: GetFlags, io: CliIO): Promise<number> {
  const info = kindOrThrow(args[0]);
  const names = args.slice(1);
  const output = flags.output ?? 'table';
  if (!['table', 'wide', 'yaml', 'json'].includes(output))
    throw new UsageError(`unknown output format "${output}" (use wide, yaml or json)`);
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? 'default');
  const interrupt = flags.watch ? interruptSignal() : undefined;
  const store = await connect(flags, io);
  try {
    let items: StoredObject[];
    let resourceVersion: string;
    if (names.length) {
      items = [];
      for (const n of names) {
        try {
          items.push(await store.objects.get(info.kind, namespace ?? 'default', n));
        } catch (err) {
          if (isStoreError(err, 'NotFound')) {
            io.stderr.write(`winha get: ${objectRef(info.kind, n, namespace ?? 'default')} not found\n`);
            return EXIT.FAILED;
          }
          throw err;
        }
      }
      resourceVersion = (await store.objects.list(info.kind, { ...(namespace ? { namespace } : {}) })).resourceVersion;
    } else {
      const list = await store.objects.list(info.kind, {
        ...(namespace ? { namespace } : {}),
        ...(flags.selector ? { labelSelector: flags.selector } : {}),
      });
      items = sortByName(list.items);
      resourceVersion = list.resourceVersion;
    }
    const mirrors =
      output === 'wide' && info.kind === 'FailoverGroup'
        ? (await store.objects.list('Mirror', { ...(namespace ? { namespace } : {}) })).items
        : [];
    const tableOpts = { wide: output === 'wide', allNamespaces: !!flags.allNamespaces, now: clock.now(), mirrors };
    if (output === 'yaml' || output === 'json') printObjects(io, items, output, names.length === 1);
    else if (items.length === 0 && !flags.watch)
      io.stderr.write(`No ${info.plural} found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
    else io.stdout.write(tableFor(info, items, tableOpts));
    if (!interrupt) return EXIT.OK;
    await watchAndPrint(
      store.objects,
      info,
      { namespace, selector: flags.selector, names, resourceVersion, signal: interrupt.signal },
      (o) => {
        if (output === 'yaml' || output === 'json') printObjects(io, [o], output, true);
        else
          io.stdout.write(
            tableFor(info, [o], { ...tableOpts, now: clock.now() })
              .split('\n')
              .slice(1)
              .join('\n'),
          );
      },
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
async function watchAndPrint(
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

function indent(text: string, by = 2): string {
  return text
    .split('\n')
    .map((l) => (l ? ' '.repeat(by) + l : l))
    .join('\n');
}

async function eventsFor(store: ObjectStore, kind: string, namespace: string, name: string): Promise<StoredObject[]> {
  const { items } = await store.list('Event', { namespace });
  return items
    .filter((e) => {
      const inv = e['involvedObject'] as { kind?: string; name?: string } | undefined;
      return inv?.kind === kind && inv.name === name;
    })
    .sort(byLastSeen);
}

function byLastSeen(a: StoredObject, b: StoredObject): number {
  const ta = text(a['lastTimestamp'] ?? a.metadata.creationTimestamp);
  const tb = text(b['lastTimestamp'] ?? b.metadata.creationTimestamp);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

export function eventsTable(events: StoredObject[], now: number, withObject: boolean): string {
  return renderTable(
    ['Last seen', 'Type', 'Reason', ...(withObject ? ['Object'] : []), 'Node', 'Code', 'Count', 'Message'],
    events.map((e) => {
      const inv = (e['involvedObject'] ?? {}) as { kind?: string; name?: string };
      return [
        age(text(e['lastTimestamp'] ?? e.metadata.creationTimestamp), now),
        text(e['type'] ?? ''),
        text(e['reason'] ?? ''),
        ...(withObject ? [`${kindInfo(String(inv.kind))?.singular ?? inv.kind ?? '?'}/${inv.name ?? '?'}`] : []),
        text(e['node'] ?? ''),
        e['code'] === undefined ? '' : text(e['code']),
        text(e['count'] ?? 1),
        text(e['message'] ?? ''),
      ];
    }),
  );
}

export function describeText(o: StoredObject, events: StoredObject[], now: number): string {
  const lines: string[] = [];
  const m = o.metadata;
  lines.push(`Name:         ${m.name}`, `Namespace:    ${m.namespace}`, `Kind:         ${o.kind}`);
  if (m.labels && Object.keys(m.labels).length)
    lines.push(
      `Labels:       ${Object.entries(m.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  lines.push(`Created:      ${m.creationTimestamp} (${age(m.creationTimestamp, now)} ago)`, `Generation:   ${m.generation}`);
  const status = (o.status ?? {}) as Record<string, unknown>;
  if (o.kind === 'FailoverGroup') {
    lines.push(`Active node:  ${text(status['activeNode'] ?? '<none>')}`, `Epoch:        ${text(status['epoch'] ?? '<none>')}`);
    if (status['observedGeneration'] !== undefined) lines.push(`Observed:     generation ${text(status['observedGeneration'])}`);
  }
  if (o.spec !== undefined) lines.push('Spec:', indent(toYaml(o.spec).trimEnd()));
  const { conditions, ...rest } = status as { conditions?: Record<string, unknown>[] };
  if (Object.keys(rest).length) lines.push('Status:', indent(toYaml(rest).trimEnd()));
  else if (o.kind !== 'Event') lines.push('Status:       <none reported yet: is an agent running?>');
  if (conditions?.length) {
    lines.push('Conditions:');
    lines.push(
      indent(
        renderTable(
          ['Type', 'Status', 'Reason', 'Code', 'Since', 'Message'],
          conditions.map((c) => [
            text(c['type'] ?? ''),
            text(c['status'] ?? ''),
            text(c['reason'] ?? ''),
            c['code'] === undefined ? '' : text(c['code']),
            age(c['lastTransitionTime'] as string | undefined, now),
            text(c['message'] ?? ''),
          ]),
        ).trimEnd(),
      ),
    );
  }
  if (o.kind !== 'Event') {
    lines.push('Events:');
    lines.push(events.length ? indent(eventsTable(events.slice(-20), now, false).trimEnd()) : '  <none>');
  }
  return lines.join('\n') + '\n';
}

export async function runDescribe(args: string[], flags: GetFlags, io: CliIO): Promise<number> {
  const info = kindOrThrow(args[0]);
  const names = args.slice(1);
  if (names.length === 0) throw new UsageError(`name the ${info.singular} to describe: winha describe ${info.singular} NAME`);
  const namespace = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    let first = true;
    for (const name of names) {
      let o: StoredObject;
      try {
        o = await store.objects.get(info.kind, namespace, name);
      } catch (err) {
        if (isStoreError(err, 'NotFound')) {
          io.stderr.write(`winha describe: ${objectRef(info.kind, name, namespace)} not found\n`);
          return EXIT.FAILED;
        }
        throw err;
      }
      if (!first) io.stdout.write('\n');
      first = false;
      io.stdout.write(describeText(o, await eventsFor(store.objects, info.kind, namespace, name), clock.now()));
    }
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

export interface EventsFlags extends GetFlags {
  for?: string;
}

export async function runEvents(flags: EventsFlags, io: CliIO): Promise<number> {
  let filter: { kind: string; name: string } | undefined;
  if (flags.for) {
    const [k, n] = flags.for.split('/');
    const info = k ? resolveKind(k) : undefined;
    if (!info || !n) throw new UsageError(`--for takes KIND/NAME, e.g. group/web (got "${flags.for}")`);
    filter = { kind: info.kind, name: n };
  }
  const namespace = flags.allNamespaces ? undefined : (flags.namespace ?? 'default');
  const interrupt = flags.watch ? interruptSignal() : undefined;
  const store = await connect(flags, io);
  try {
    const list = await store.objects.list('Event', { ...(namespace ? { namespace } : {}) });
    const matches = (e: StoredObject) => {
      if (!filter) return true;
      const inv = e['involvedObject'] as { kind?: string; name?: string } | undefined;
      return inv?.kind === filter.kind && inv.name === filter.name;
    };
    const items = list.items.filter(matches).sort(byLastSeen);
    if (flags.output === 'json' || flags.output === 'yaml') printObjects(io, items, flags.output, false);
    else if (items.length === 0 && !flags.watch) io.stderr.write('No events found.\n');
    else io.stdout.write(eventsTable(items, clock.now(), true));
    if (!interrupt) return EXIT.OK;
    const info = kindInfo('Event')!;
    await watchAndPrint(
      store.objects,
      info,
      { namespace, selector: undefined, names: [], resourceVersion: list.resourceVersion, signal: interrupt.signal },
      (e) => {
        if (matches(e)) io.stdout.write(eventsTable([e], clock.now(), true).split('\n').slice(1).join('\n'));
      },
    );
    return EXIT.OK;
  } finally {
    interrupt?.dispose();
    await store.close();
  }
}
