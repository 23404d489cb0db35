/** `winha describe`: one object in detail — spec, status, conditions and its recent events. */
import { toYaml } from '../../lib/yaml.js';
import { SystemClock } from '../../lib/clock.js';
import { mirrorStateOf } from '../../api/mirror-states.js';
import type { StoredObject, ObjectStore } from '../../store/types.js';
import { isStoreError } from '../../store/errors.js';
import { valueText as text } from '../jsonpath.js';
import { age, renderTable } from '../table.js';
import { EXIT, type CliIO } from '../io.js';
import { connect } from '../store.js';
import { objectRef } from './apply.js';
import { parseTargets } from './get-args.js';
import { byLastSeen, eventsTable } from './events.js';
import { clusterMaintenanceCell, type GetFlags } from './get.js';

const clock = new SystemClock();

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

/** A DataKeeper state code as an operator reads it: `Mirroring (1)`; a code DataKeeper does not define stays a number. */
function stateName(code: unknown): unknown {
  if (typeof code !== 'number') return code;
  const name = mirrorStateOf(code);
  return name ? `${name} (${code})` : `Unknown (${code})`;
}

/** A Mirror's status with its per-target and per-node state codes named. */
function namedMirrorStatus(status: Record<string, unknown>): Record<string, unknown> {
  const named = (list: unknown) =>
    Array.isArray(list)
      ? list.map((e: unknown) => (typeof e === 'object' && e !== null && 'state' in e ? { ...e, state: stateName(e.state) } : e))
      : list;
  return {
    ...status,
    ...(status['targets'] !== undefined ? { targets: named(status['targets']) } : {}),
    ...(status['nodes'] !== undefined ? { nodes: named(status['nodes']) } : {}),
  };
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
  let status = (o.status ?? {}) as Record<string, unknown>;
  if (o.kind === 'FailoverGroup') {
    lines.push(`Active node:  ${text(status['activeNode'] ?? '<none>')}`, `Epoch:        ${text(status['epoch'] ?? '<none>')}`);
    if (status['observedGeneration'] !== undefined) lines.push(`Observed:     generation ${text(status['observedGeneration'])}`);
  }
  if (o.kind === 'Cluster') lines.push(`Maintenance:  ${clusterMaintenanceCell(o)}`);
  if (o.kind === 'Mirror') status = namedMirrorStatus(status);
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

/** Every object named (KIND NAME… or KIND/NAME…, kinds mixed); a missing one is an error on stderr, the others still shown. */
export async function runDescribe(args: string[], flags: GetFlags, io: CliIO): Promise<number> {
  const targets = parseTargets(args, 'describe');
  const namespace = flags.namespace ?? 'default';
  const store = await connect(flags, io);
  try {
    let first = true;
    let failed = false;
    for (const { info, names } of targets) {
      const objects: StoredObject[] = [];
      if (names.length === 0)
        objects.push(
          ...(await store.objects.list(info.kind, { namespace })).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
        );
      for (const name of names) {
        try {
          objects.push(await store.objects.get(info.kind, namespace, name));
        } catch (err) {
          if (!isStoreError(err, 'NotFound')) throw err;
          io.stderr.write(`winha describe: ${objectRef(info.kind, name, namespace)} not found [not-found]\n`);
          failed = true;
        }
      }
      for (const o of objects) {
        if (!first) io.stdout.write('\n');
        first = false;
        io.stdout.write(describeText(o, await eventsFor(store.objects, info.kind, namespace, o.metadata.name), clock.now()));
      }
    }
    if (first && !failed) io.stderr.write(`No resources found in namespace ${namespace}.\n`);
    return failed ? EXIT.FAILED : EXIT.OK;
  } finally {
    await store.close();
  }
}
