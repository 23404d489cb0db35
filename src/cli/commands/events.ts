/** `winha events`: what the agents reported, oldest first; also the events table of `winha describe`. */
import { resolveKind, kindInfo } from '../../api/kinds.js';
import { SystemClock } from '../../lib/clock.js';
import type { StoredObject } from '../../store/types.js';
import { valueText as text } from '../jsonpath.js';
import { age, renderTable } from '../table.js';
import { EXIT, UsageError, type CliIO } from '../io.js';
import { connect } from '../store.js';
import { toYaml } from '../../lib/yaml.js';
import { documentOf } from '../output-formats.js';
import { interruptSignal, watchAndPrint, type GetFlags } from './get.js';

const clock = new SystemClock();

export function byLastSeen(a: StoredObject, b: StoredObject): number {
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
    if (flags.output === 'json') io.stdout.write(JSON.stringify(documentOf(items, false), null, 2) + '\n');
    else if (flags.output === 'yaml') io.stdout.write(toYaml(documentOf(items, false)));
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
