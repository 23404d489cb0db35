/** What `winha sync` (and an agent's spec.sync) is told, as the flags give it, and its checks. Light: no git, no watcher. */
import { UsageError } from './io.js';

export interface SyncSettings {
  from?: string;
  ref?: string;
  path?: string;
  interval?: string;
  prune?: boolean;
  /** commander's --no-correct */
  correct?: boolean;
  name?: string;
  namespace?: string;
  identity?: string;
  leaseDuration?: string;
  tokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  gitTimeout?: string;
}

/** `90`, `90s`, `5m`, `1h` → seconds (5 s to 24 h). */
export function parseInterval(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : NaN;
  if (!Number.isFinite(n) || n < 5 || n > 86_400)
    throw new UsageError(
      `--interval ${text}: give seconds, minutes or hours between 5s and 24h (examples: 30s, 1m, 1h) [sync-interval-invalid]`,
    );
  return n;
}

export function parseSeconds(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max)
    throw new UsageError(`${flag} ${text}: give a whole number between ${min} and ${max} [sync-option-invalid]`);
  return n;
}
