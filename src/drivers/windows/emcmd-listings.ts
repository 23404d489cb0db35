/**
 * Parsers for EMCMD's system-wide listings (docs/spec/seed003-datakeeper.md §7.2): the volumes this system is
 * source or target of, and GETSERVICEINFO. Garbage fails with a ParseError that quotes the bad line.
 */
import type { MirrorStateCode } from '../types.js';
import { keyValue, lines, parseError, parseStatus, stateCode } from './emcmd-parse-helpers.js';

// ───────────── GETSOURCEMIRROREDVOLUMES / GETTARGETMIRROREDVOLUMES ─────────────

export function parseSourceMirroredVolumes(text: string): {
  status: number;
  volumes: { volume: string; label?: string; targets: { targetSystem: string; state: MirrorStateCode }[] }[];
} {
  const all = lines(text);
  const status = parseStatus(text);
  if (status === undefined) throw parseError('GETSOURCEMIRROREDVOLUMES', 'no "Status = n" line', all[0]);
  const volumes: { volume: string; label?: string; targets: { targetSystem: string; state: MirrorStateCode }[] }[] = [];
  let pendingTarget: string | undefined;
  for (const line of all) {
    if (/^Target\s+\d+$/i.test(line)) continue;
    const kv = keyValue(line);
    if (!kv) throw parseError('GETSOURCEMIRROREDVOLUMES', 'expected "<Key> = <value>"', line);
    const [k, v] = kv;
    const vol = volumes.at(-1);
    if (k === 'source volume') {
      const m = /^([A-Za-z]):?$/.exec(v);
      if (!m) throw parseError('GETSOURCEMIRROREDVOLUMES', `volume ${v} is not a letter`, line);
      volumes.push({ volume: m[1]!.toUpperCase(), targets: [] });
    } else if (k === 'source label' && vol) vol.label = v;
    else if (k === 'target system') pendingTarget = v;
    else if (k === 'mirror state' && vol && pendingTarget) {
      vol.targets.push({ targetSystem: pendingTarget, state: stateCode('GETSOURCEMIRROREDVOLUMES', String(Number.parseInt(v, 10)), line) });
      pendingTarget = undefined;
    }
  }
  return { status, volumes };
}

export function parseTargetMirroredVolumes(text: string): { volume: string; state: MirrorStateCode; source: string; target: string }[] {
  const all = lines(text);
  const count = all.map((l) => /^Returned\s+(\d+)\s+Target Volumes?$/i.exec(l)).find((m) => m);
  if (!count) throw parseError('GETTARGETMIRROREDVOLUMES', 'no "Returned <n> Target Volumes" line', all[0]);
  const out: { volume: string; state: MirrorStateCode; source: string; target: string }[] = [];
  let cur: Partial<{ volume: string; state: MirrorStateCode; source: string; target: string }> | undefined;
  const flush = () => {
    if (cur?.volume && cur.state !== undefined && cur.source && cur.target)
      out.push(cur as { volume: string; state: MirrorStateCode; source: string; target: string });
  };
  for (const line of all) {
    if (/^\*\*|^Returned/i.test(line)) continue;
    if (/^Target Volume \d+ information:?$/i.test(line)) {
      flush();
      cur = {};
      continue;
    }
    const kv = keyValue(line);
    if (!kv || !cur)
      throw parseError('GETTARGETMIRROREDVOLUMES', 'expected "<Key> = <value>" inside a "Target Volume n information:" section', line);
    const [k, v] = kv;
    if (k === 'volume root') cur.volume = v.replace(/:$/, '').toUpperCase();
    else if (k === 'volume state') cur.state = stateCode('GETTARGETMIRROREDVOLUMES', v, line);
    else if (k === 'source') cur.source = v;
    else if (k === 'target') cur.target = v;
  }
  flush();
  if (out.length !== Number.parseInt(count[1]!, 10)) {
    throw parseError('GETTARGETMIRROREDVOLUMES', `announced ${count[1]} volumes, found ${out.length}`);
  }
  return out;
}

// ───────────── GETSERVICEINFO ─────────────

export function parseServiceInfo(text: string): {
  description?: string;
  serviceVersion?: string;
  driverVersion?: string;
  serviceStartTime?: string;
} {
  const out: { description?: string; serviceVersion?: string; driverVersion?: string; serviceStartTime?: string } = {};
  let seen = 0;
  for (const line of lines(text)) {
    // "Service Description:= SIOS DataKeeper Service" — both separators appear in the manual.
    const m = /^\s*(.+?)\s*[:=]+\s*=?\s*(.*)$/.exec(line);
    if (!m) throw parseError('GETSERVICEINFO', 'expected "<Key> = <value>"', line);
    const k = m[1]!.toLowerCase();
    const v = m[2]!.trim();
    seen++;
    if (k === 'service description') out.description = v;
    else if (k === 'service version') out.serviceVersion = v;
    else if (k === 'driver version') out.driverVersion = v;
    else if (k === 'service start time') out.serviceStartTime = v;
  }
  if (seen === 0 || out.serviceVersion === undefined)
    throw parseError('GETSERVICEINFO', 'no "Service Version"', text.trim().split(/\r?\n/)[0]);
  return out;
}
