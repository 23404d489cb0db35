/**
 * Parsers for emcmd.exe output (docs/spec/seed003-datakeeper.md §7.2). EMCMD's
 * exit codes are undocumented, so everything is read from stdout. The
 * published samples have inconsistent spacing, key casing and separators;
 * keys are matched case-insensitively with `^\s*(.+?)\s*[=:]\s*(.*)$`.
 * Garbage fails with a DriverError 'ParseError' that quotes the bad line.
 */
import type { MirrorMode, MirrorStateCode, ResyncProgress } from '../types.js';
import { keyValue, lines, parseError, stateCode } from './emcmd-parse-helpers.js';

export { parseStatus } from './emcmd-parse-helpers.js';
export { parseServiceInfo, parseSourceMirroredVolumes, parseTargetMirroredVolumes } from './emcmd-listings.js';

// ───────────── GETMIRRORVOLINFO ─────────────

export interface MirrorVolInfoLine {
  volume: string;
  /** 1 source, 2 target; 0 (none, as events print it) only with state 0. */
  role: 0 | 1 | 2;
  sourceSystem: string;
  targetSystem: string;
  state: MirrorStateCode;
  /** Set when source and target were glued and could split more than one way: both fields hold the whole token. */
  warning?: string;
  /** The possible splits of a glued token, when more than one gives a usable address. */
  candidates?: { sourceSystem: string; targetSystem: string }[];
}

/**
 * `F: 1 SYS1.MYDOM.LOCAL 172.17.103.222 1` — one line per target, five space-separated columns
 * (seed003-datakeeper.md §7.2). The manual's own sample lost a space (`CARDINAL10.1.1.133`), see glued().
 * Printing nothing is left to the caller: what a volume that is not mirrored prints is undocumented (§12).
 */
export function parseMirrorVolInfo(text: string): MirrorVolInfoLine[] {
  const out: MirrorVolInfoLine[] = [];
  for (const line of lines(text)) {
    if (/^c:\\?>/i.test(line) || /^emcmd\b/i.test(line)) continue; // echoed prompt in transcripts
    const parts = line.split(/\s+/);
    if (parts.length !== 5 && parts.length !== 4)
      throw parseError('GETMIRRORVOLINFO', 'expected "<letter>: <role> <source> <target> <state>"', line);
    const [vol, role, , , state] = parts.length === 5 ? parts : [parts[0]!, parts[1]!, '', '', parts[3]!];
    const v = /^([A-Za-z]):$/.exec(vol!);
    if (!v) throw parseError('GETMIRRORVOLINFO', `volume ${vol} is not "<letter>:"`, line);
    const s = stateCode('GETMIRRORVOLINFO', state!, line);
    // Role 0 is "none" (the guide's "Mirror role 0"); it goes only with state 0, "No mirror" (§4.1).
    if (role !== '1' && role !== '2' && !(role === '0' && s === 0))
      throw parseError('GETMIRRORVOLINFO', `role ${role} is neither 1 (source) nor 2 (target)`, line);
    const row = { volume: v[1]!.toUpperCase(), role: Number(role) as 0 | 1 | 2, state: s };
    if (parts.length === 5) out.push({ ...row, sourceSystem: parts[2]!, targetSystem: parts[3]! });
    else out.push({ ...row, ...glued(parts[2]!, line) });
  }
  return out;
}

/**
 * `CARDINAL10.1.1.133`: only the first octet's digit count is unknown (a name may end in digits), so every split
 * whose address is a usable unicast IPv4 address (first octet 1–223, no leading zeros) is a candidate. One
 * candidate is the split; several are not guessed between: the whole token comes back with a warning.
 */
function glued(token: string, line: string): Pick<MirrorVolInfoLine, 'sourceSystem' | 'targetSystem' | 'warning' | 'candidates'> {
  const m = /^(.*?[^\d.])(\d+)((?:\.\d{1,3}){3})$/.exec(token);
  const octet = (o: string) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255;
  const candidates: { sourceSystem: string; targetSystem: string }[] = [];
  for (let n = 3; m && n >= 1; n--) {
    const digits = m[2]!;
    if (digits.length < n) continue;
    const first = digits.slice(digits.length - n);
    const rest = m[3]!.slice(1).split('.');
    if (![first, ...rest].every(octet) || Number(first) < 1 || Number(first) > 223) continue;
    candidates.push({ sourceSystem: m[1]! + digits.slice(0, digits.length - n), targetSystem: [first, ...rest].join('.') });
  }
  if (candidates.length === 0) throw parseError('GETMIRRORVOLINFO', 'expected "<letter>: <role> <source> <target> <state>"', line);
  if (candidates.length === 1) return candidates[0]!;
  const ways = candidates.map((c) => `${c.sourceSystem} + ${c.targetSystem}`).join(', ');
  return { sourceSystem: token, targetSystem: token, candidates, warning: `source and target glued in ${token} are ambiguous (${ways})` };
}

// ───────────── GETMIRRORTYPE ─────────────

export interface MirrorTypeLine {
  targetSystem: string;
  /** −1 invalid, 0 none, 1 synchronous, 2 asynchronous. */
  type: -1 | 0 | 1 | 2;
}

export function parseMirrorType(text: string): MirrorTypeLine[] {
  const out: MirrorTypeLine[] = [];
  for (const line of lines(text)) {
    if (/^c:\\?>/i.test(line)) continue;
    const m = /^Target system\s+(\S+?),\s*Type\s+(-?\d+)$/i.exec(line);
    if (!m) throw parseError('GETMIRRORTYPE', 'expected "Target system <ip>, Type <n>"', line);
    const t = Number.parseInt(m[2]!, 10);
    if (t < -1 || t > 2) throw parseError('GETMIRRORTYPE', `type ${t} is not in −1…2`, line);
    out.push({ targetSystem: m[1]!, type: t as MirrorTypeLine['type'] });
  }
  return out;
}

export function mirrorModeOf(type: MirrorTypeLine['type']): MirrorMode | undefined {
  return type === 1 ? 'Synchronous' : type === 2 ? 'Asynchronous' : undefined;
}

// ───────────── GETRESYNCSTATUS ─────────────

export interface ResyncStatusTarget {
  index: number;
  targetSystem: string;
  progress: ResyncProgress;
  resyncStartTime?: string;
  lastResyncTime?: string;
}

export function parseResyncStatus(text: string): { volume: string; targets: ResyncStatusTarget[] } {
  const all = lines(text);
  const head = all.findIndex((l) => /^Resync Status for Volume/i.test(l));
  if (head < 0) throw parseError('GETRESYNCSTATUS', 'no "Resync Status for Volume X:" header', all[0]);
  const vol = /^Resync Status for Volume\s+([A-Za-z]):?/i.exec(all[head]!);
  if (!vol) throw parseError('GETRESYNCSTATUS', 'no volume letter in header', all[head]);
  const targets: ResyncStatusTarget[] = [];
  let cur: { index: number; targetSystem: string; fields: Map<string, string> } | undefined;
  const finish = () => {
    if (!cur) return;
    const num = (k: string): number => {
      const raw = cur!.fields.get(k);
      if (raw === undefined || !/^\d+$/.test(raw))
        throw parseError('GETRESYNCSTATUS', `target ${cur!.index}: ${k} missing or not a number (${raw ?? 'absent'})`);
      return Number.parseInt(raw, 10);
    };
    const phase = num('resyncphase');
    if (phase > 3) throw parseError('GETRESYNCSTATUS', `ResyncPhase ${phase} is not in 0…3`);
    const total = num('numberofblocks');
    const dirty = num('dirtyblocks');
    const t: ResyncStatusTarget = {
      index: cur.index,
      targetSystem: cur.targetSystem,
      progress: {
        phase: phase as ResyncProgress['phase'],
        bitmapPass: num('bitmappass'),
        numberOfBlocks: total,
        dirtyBlocks: dirty,
        currentBlock: num('currentblock'),
        newWrites: num('newwrites'),
        fraction: total > 0 ? Math.max(0, Math.min(1, 1 - dirty / total)) : 1,
      },
    };
    const start = cur.fields.get('resyncstarttime');
    const last = cur.fields.get('lastresynctime');
    if (start) t.resyncStartTime = start;
    if (last) t.lastResyncTime = last;
    targets.push(t);
  };
  for (const line of all.slice(head + 1)) {
    const tgt = /^Target\s+(\d+)\s*\(Target System\s+(\S+?)\)$/i.exec(line);
    if (tgt) {
      finish();
      cur = { index: Number.parseInt(tgt[1]!, 10), targetSystem: tgt[2]!, fields: new Map() };
      continue;
    }
    if (!cur) throw parseError('GETRESYNCSTATUS', 'expected "Target <n> (Target System <ip>)"', line);
    // The manual prints "CurrentBlock 29556" without a colon: accept "Key value" for numeric values too.
    const kv =
      keyValue(line) ??
      (/^(\w+)\s+(\d+)$/.exec(line) ? ([line.split(/\s+/)[0]!.toLowerCase(), line.split(/\s+/)[1]!] as [string, string]) : undefined);
    if (!kv) throw parseError('GETRESYNCSTATUS', 'expected "<Key> : <value>"', line);
    cur.fields.set(kv[0].replace(/\s+/g, ''), kv[1]);
  }
  finish();
  if (targets.length === 0) throw parseError('GETRESYNCSTATUS', 'no target sections');
  return { volume: vol[1]!.toUpperCase(), targets };
}

// ───────────── GETJOBINFO / GETJOBINFOFORVOL ─────────────

export interface JobEndpoint {
  system: string;
  drive: string;
  ip: string;
}
export interface JobPair {
  a: JobEndpoint;
  b: JobEndpoint;
  /** A asynchronous, S synchronous, D shared disk. */
  type: 'A' | 'S' | 'D';
}
export interface JobInfo {
  id: string;
  name: string;
  description?: string;
  pairs: JobPair[];
}

const PAIR = /^([^;\s]+);([A-Za-z]);([^;\s]+);([^;\s]+);([A-Za-z]);([^;\s]+);([ASDasd])$/;

/** One or more jobs: `ID = `, `Name = `, `Description = `, `MirrorEndPoints =` (value may wrap to the next lines). */
export function parseJobInfo(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  let cur: JobInfo | undefined;
  let inEndpoints = false;
  for (const line of lines(text)) {
    if (/^emcmd\b/i.test(line) || /^c:\\?>/i.test(line)) continue;
    if (PAIR.test(line) && cur && inEndpoints) {
      cur.pairs.push(pairOf(line));
      continue;
    }
    const kv = keyValue(line);
    if (!kv) throw parseError('GETJOBINFO', 'expected "<Key> = <value>" or an endpoint pair', line);
    const [k, v] = kv;
    inEndpoints = false;
    if (k === 'id') {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
        throw parseError('GETJOBINFO', `job ID ${v} is not a GUID`, line);
      cur = { id: v.toLowerCase(), name: '', pairs: [] };
      jobs.push(cur);
    } else if (!cur) {
      throw parseError('GETJOBINFO', 'a job must start with "ID = <guid>"', line);
    } else if (k === 'name') cur.name = v;
    else if (k === 'description') cur.description = v;
    else if (k === 'mirrorendpoints') {
      // Key spelling varies (MirrorEndPoints / MirrorEndpoints): lowercased above.
      if (v) cur.pairs.push(pairOf(v, line));
      else inEndpoints = true;
    }
    // Other keys are ignored: later DataKeeper versions add fields.
  }
  if (jobs.length === 0) throw parseError('GETJOBINFO', 'no job found (expected "ID = <guid>")', text.trim().split(/\r?\n/)[0]);
  return jobs;
}

function pairOf(text: string, line = text): JobPair {
  const m = PAIR.exec(text.trim());
  if (!m) throw parseError('GETJOBINFO', 'endpoint pair is not "<sys>;<drive>;<ip>;<sys>;<drive>;<ip>;<A|S|D>"', line);
  return {
    a: { system: m[1]!, drive: m[2]!.toUpperCase(), ip: m[3]! },
    b: { system: m[4]!, drive: m[5]!.toUpperCase(), ip: m[6]! },
    type: m[7]!.toUpperCase() as JobPair['type'],
  };
}

// ───────────── GETVOLUMEINFO ─────────────

export interface VolumeInfo {
  volumeRoot: string;
  lastModified?: string;
  /** As printed: SOURCE / TARGET / … (only SOURCE is documented). */
  mirrorRole?: string;
  label?: string;
  fileSystem?: string;
  totalSpace?: number;
  numTargets?: number;
  /** The SETCONFIGURATION mask, from `Attributes : 20h`. */
  attributes?: number;
  remotes: { index: number; system: string; drive: string; mirrorState?: string; mirrorType?: string; statistics?: string }[];
}

export function parseVolumeInfo(text: string): VolumeInfo {
  const info: Partial<VolumeInfo> & { remotes: VolumeInfo['remotes'] } = { remotes: [] };
  let level = 0;
  let remote: VolumeInfo['remotes'][number] | undefined;
  for (const line of lines(text)) {
    const lv = /^-+\s*LEVEL\s+(\d)\s+INFO\s*-+$/i.exec(line);
    if (lv) {
      level = Number.parseInt(lv[1]!, 10);
      remote = undefined;
      continue;
    }
    if (level === 0) throw parseError('GETVOLUMEINFO', 'expected "-----LEVEL n INFO-----" first', line);
    const r = /^>>\s*Remote\s*\[(\d+)\]\s*=\s*([^,\s]+),\s*([A-Za-z]):?$/i.exec(line);
    if (r) {
      const index = Number.parseInt(r[1]!, 10);
      remote = info.remotes.find((x) => x.index === index);
      if (!remote) {
        remote = { index, system: r[2]!, drive: r[3]!.toUpperCase() };
        info.remotes.push(remote);
      }
      continue;
    }
    if (level === 3 && remote && !keyValue(line)) {
      remote.statistics = line;
      continue;
    }
    const kv = keyValue(line);
    if (!kv) throw parseError('GETVOLUMEINFO', 'expected "<Key> = <value>"', line);
    const [k, v] = kv;
    if (remote && level >= 2) {
      if (k === 'mirror state') remote.mirrorState = v;
      else if (k === 'mirror type') remote.mirrorType = v;
      continue;
    }
    switch (k) {
      case 'volume root':
        info.volumeRoot = v;
        break;
      case 'last modified':
        info.lastModified = v;
        break;
      case 'mirror role':
        info.mirrorRole = v;
        break;
      case 'label':
        info.label = v;
        break;
      case 'filesystem':
        info.fileSystem = v;
        break;
      case 'total space':
        info.totalSpace = intOf('GETVOLUMEINFO', v, line);
        break;
      case 'num targets':
        info.numTargets = intOf('GETVOLUMEINFO', v, line);
        break;
      case 'attributes': {
        const h = /^([0-9a-f]+)h$/i.exec(v);
        if (!h) throw parseError('GETVOLUMEINFO', `attributes ${v} is not "<hex>h"`, line);
        info.attributes = Number.parseInt(h[1]!, 16);
        break;
      }
      default:
        break;
    }
  }
  if (!info.volumeRoot) throw parseError('GETVOLUMEINFO', 'no "Volume Root"', text.trim().split(/\r?\n/)[0]);
  return info as VolumeInfo;
}

function intOf(command: string, v: string, line: string): number {
  if (!/^\d+$/.test(v)) throw parseError(command, `${v} is not a number`, line);
  return Number.parseInt(v, 10);
}

// ───────────── ISBREAKUSERREQUESTED ─────────────

export function parseBreakUserRequested(text: string): { index: number; targetSystem: string; userRequested: boolean }[] {
  return lines(text).map((line) => {
    const m = /^Target\s+(\d+),\s*remote system\s+(\S+?):\s*(TRUE|FALSE)$/i.exec(line);
    if (!m) throw parseError('ISBREAKUSERREQUESTED', 'expected "Target <n>, remote system <ip>: TRUE|FALSE"', line);
    return { index: Number.parseInt(m[1]!, 10), targetSystem: m[2]!, userRequested: m[3]!.toUpperCase() === 'TRUE' };
  });
}
