/** `winha apply`, `winha diff`, `winha delete`: publish manifests to the store. */
import pc from 'picocolors';
import { ApplyRejectedError, apply, diff, liveObjects } from '../../apply/apply.js';
import type { ValidationReport } from '../../validate/validate.js';
import { kindInfo, resolveKind } from '../../api/kinds.js';
import { formatText } from '../../validate/format/index.js';
import { isStoreError } from '../../store/errors.js';
import { EXIT, UsageError, wantsColor, type CliIO } from '../io.js';
import { connect, readManifestInputs, readManifestSet, type StoreFlags } from '../store.js';

export interface ApplyFlags extends StoreFlags {
  filename?: string[];
  recursive?: boolean;
  dryRun?: boolean;
  prune?: boolean;
  selector?: string;
  output?: string;
  color?: boolean;
}

export function objectRef(kind: string, name: string, namespace: string): string {
  const singular = kindInfo(kind)?.singular ?? kind.toLowerCase();
  return `${singular}.winha.io/${name}${namespace === 'default' ? '' : ` (namespace ${namespace})`}`;
}

export async function runApply(flags: ApplyFlags, io: CliIO): Promise<number> {
  if (flags.prune && !flags.selector) throw new UsageError('--prune needs -l key=value: only objects with those labels are pruned');
  if (flags.output && !['text', 'json'].includes(flags.output))
    throw new UsageError(`unknown output format "${flags.output}" (use text or json)`);
  const set = await readManifestInputs(flags.filename, !!flags.recursive, io);
  const store = await connect(flags, io);
  try {
    const refused = (report: ValidationReport): number => {
      // V8: one invalid object and nothing is written.
      io.stderr.write(formatText(report, { color: wantsColor(io, flags.color) }));
      io.stderr.write('winha apply: nothing was written; fix the problems above and apply again\n');
      return EXIT.FAILED;
    };
    const first = set.validate(await liveObjects(store.objects), store.namespace);
    if (!first.valid) return refused(first);
    // Namespaces are only a key in WinHA's stores; on Kubernetes, kubectl creates them (the agents' RBAC cannot).
    for (const ns of first.namespaces)
      io.stderr.write(
        `namespace/${ns} skipped: not a WinHA object (on Kubernetes: kubectl apply -f the same file, or kubectl create namespace ${ns})\n`,
      );
    let outcomes;
    try {
      // Validated again inside apply, against the very snapshot its write is guarded by (issue 14 item 4).
      outcomes = await apply(
        store.objects,
        first.objects.map((o) => o.obj),
        {
          dryRun: !!flags.dryRun,
          ...(flags.prune ? { prune: flags.selector! } : {}),
          validate: (live) => {
            const r = set.validate(live, store.namespace);
            return r.valid ? undefined : r;
          },
        },
      );
    } catch (err) {
      if (err instanceof ApplyRejectedError) return refused(err.detail as ValidationReport);
      throw err;
    }
    if (flags.output === 'json') {
      io.stdout.write(JSON.stringify({ dryRun: !!flags.dryRun, objects: outcomes }, null, 2) + '\n');
    } else {
      const suffix = flags.dryRun ? ' (dry run)' : '';
      for (const o of outcomes) io.stdout.write(`${objectRef(o.kind, o.name, o.namespace)} ${o.action}${suffix}\n`);
    }
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

export async function runDiff(flags: ApplyFlags, io: CliIO): Promise<number> {
  let store;
  try {
    store = await connect(flags, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`winha diff: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  try {
    const context = await liveObjects(store.objects);
    let report;
    try {
      report = await readManifestSet(flags.filename, !!flags.recursive, io, context, store.namespace);
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr.write(`winha diff: ${err.message}\n`);
        return EXIT.USAGE;
      }
      throw err;
    }
    if (!report.valid) {
      // V7: an invalid set is an error (2), not a difference (1).
      io.stderr.write(formatText(report, { color: wantsColor(io, flags.color) }));
      return EXIT.USAGE;
    }
    const diffs = await diff(
      store.objects,
      report.objects.map((o) => o.obj),
    );
    const color = wantsColor(io, flags.color);
    const c = pc.createColors(color);
    let changed = false;
    for (const d of diffs) {
      if (!d.patch) continue;
      changed = true;
      const text = d.patch
        .split('\n')
        .filter((l) => !l.startsWith('====='))
        .map((l) =>
          l.startsWith('+') && !l.startsWith('+++')
            ? c.green(l)
            : l.startsWith('-') && !l.startsWith('---')
              ? c.red(l)
              : l.startsWith('@@')
                ? c.cyan(l)
                : l,
        )
        .join('\n');
      io.stdout.write(`diff -u -N live/${d.kind}/${d.namespace}/${d.name} merged/${d.kind}/${d.namespace}/${d.name}\n${text}`);
      if (!text.endsWith('\n')) io.stdout.write('\n');
    }
    return changed ? EXIT.FAILED : EXIT.OK;
  } catch (err) {
    if (isStoreError(err)) {
      io.stderr.write(`winha diff: ${err.message}\n`);
      return EXIT.USAGE;
    }
    throw err;
  } finally {
    await store.close();
  }
}

export interface DeleteFlags extends StoreFlags {
  filename?: string[];
  recursive?: boolean;
  namespace?: string;
  ignoreNotFound?: boolean;
}

export async function runDelete(args: string[], flags: DeleteFlags, io: CliIO): Promise<number> {
  const targets: { kind: string; namespace: string; name: string }[] = [];
  const store = await connect(flags, io);
  try {
    if (flags.filename?.length) {
      if (args.length) throw new UsageError('give either -f FILE or KIND NAME, not both');
      const report = await readManifestSet(flags.filename, !!flags.recursive, io, [], store.namespace);
      for (const o of report.objects) {
        const meta = o.obj['metadata'] as Record<string, unknown>;
        targets.push({
          kind: String(o.obj['kind']),
          namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default',
          name: String(meta['name']),
        });
      }
    } else {
      const [kindArg, ...names] = args;
      if (!kindArg || names.length === 0) throw new UsageError('usage: winha delete KIND NAME... | -f FILE');
      const info = resolveKind(kindArg);
      if (!info) throw new UsageError(`unknown kind "${kindArg}" (try group, vip, mirror, site, cluster, event)`);
      for (const name of names) targets.push({ kind: info.kind, namespace: flags.namespace ?? 'default', name });
    }
    let failed = false;
    for (const t of targets) {
      try {
        await store.objects.delete(t.kind, t.namespace, t.name);
        io.stdout.write(`${objectRef(t.kind, t.name, t.namespace)} deleted\n`);
      } catch (err) {
        if (isStoreError(err, 'NotFound')) {
          if (flags.ignoreNotFound) continue;
          io.stderr.write(`winha delete: ${objectRef(t.kind, t.name, t.namespace)} not found\n`);
          failed = true;
          continue;
        }
        throw err;
      }
    }
    return failed ? EXIT.FAILED : EXIT.OK;
  } finally {
    await store.close();
  }
}
