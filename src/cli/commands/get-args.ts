/** The object arguments of `winha get` and `winha describe`, read as kubectl reads them. */
import { KINDS, resolveKind, type KindInfo } from '../../api/kinds.js';
import { UsageError } from '../io.js';

/** One kind to show, with the names asked for (none: every object of the kind). */
export interface Target {
  info: KindInfo;
  names: string[];
}

const KIND_HINT = 'groups, sites, vips, mirrors, clusters, events, or all';

export function kindOrThrow(arg: string | undefined): KindInfo {
  if (!arg) throw new UsageError(`name a kind: ${KIND_HINT} [kind-missing]`);
  const info = resolveKind(arg);
  if (!info) throw new UsageError(`unknown kind "${arg}" (try ${KIND_HINT}) [unknown-kind]`);
  return info;
}

/** kubectl's `all`: every kind an operator declares, not events. */
function kindsOf(word: string): KindInfo[] {
  const out: KindInfo[] = [];
  for (const k of word.split(',')) {
    if (k.toLowerCase() === 'all') out.push(...KINDS.filter((i) => i.kind !== 'Event'));
    else out.push(kindOrThrow(k));
  }
  return out;
}

function addTo(targets: Target[], info: KindInfo, names: string[]): void {
  const t = targets.find((x) => x.info.kind === info.kind);
  if (t) t.names.push(...names.filter((n) => !t.names.includes(n)));
  else targets.push({ info, names: [...new Set(names)] });
}

/**
 * `KIND[,KIND…] [NAME…]` or `KIND/NAME…` (kinds may be mixed; the two forms may not), as kubectl takes them.
 * Kinds keep the order they were first named in.
 */
export function parseTargets(args: string[], command: string): Target[] {
  const first = args[0];
  if (!first) throw new UsageError(`name a kind: winha ${command} KIND [NAME...] or winha ${command} KIND/NAME... [kind-missing]`);
  const targets: Target[] = [];
  if (first.includes('/')) {
    for (const arg of args) {
      const m = /^([^/]+)\/([^/]+)$/.exec(arg);
      if (!m)
        throw new UsageError(
          `"${arg}" is not KIND/NAME: once one argument is, every argument must be (e.g. winha ${command} group/web vip/web-vip) [get-args-mixed]`,
        );
      addTo(targets, kindOrThrow(m[1]), [m[2]!]);
    }
    return targets;
  }
  const names = args.slice(1);
  const slashed = names.find((n) => n.includes('/'));
  if (slashed)
    throw new UsageError(
      `"${slashed}": no kind is needed before KIND/NAME arguments (winha ${command} ${slashed}, not winha ${command} ${first} ${slashed}) [get-args-mixed]`,
    );
  for (const info of kindsOf(first)) addTo(targets, info, names);
  return targets;
}
