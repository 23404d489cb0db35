// Placeholder types until the source module lands (helper branch sync-source replaces this file).
export interface Revision {
  revision: string;
  commit?: string;
  subject?: string;
  root: string;
  dir: string;
}
export interface Source {
  readonly kind: 'directory' | 'git';
  readonly watchPath?: string;
  fetch(): Promise<Revision>;
  close(): Promise<void>;
}
export class SourceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export interface SourceOptions {
  from: string;
  ref?: string;
  path?: string;
  tokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  timeoutMs?: number;
  workDir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}
export function openSource(opts: SourceOptions): Source {
  throw new SourceError('not-implemented', `source ${opts.from}: not yet`);
}
export function redactUrl(url: string): string {
  return url;
}
