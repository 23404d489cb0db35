/**
 * The long-lived PowerShell host (ps/winha-host.ps1) as the driver sees it: one
 * request in, one answer out, by operation name. Parameters travel as JSON data,
 * never as script text. Implemented by PowerShellHost (a real child process) and,
 * in tests, by a stand-in program or a scripted host.
 *
 * Wire protocol (one JSON document per line, UTF-8, every non-ASCII character escaped):
 *   host → client at start:  {"id":0,"ok":true,"value":{"hello":"winha-host","protocol":1,...}}
 *   client → host:           {"id":7,"op":"site.list","params":{}}
 *   host → client:           {"id":7,"ok":true,"value":...}
 *                         or {"id":7,"ok":false,"error":{"type":"...","message":"...","id":"..."}}
 */

/** A failure the host caught and reported for one request (a PowerShell exception). */
export interface HostFailure {
  /** .NET exception type, e.g. System.UnauthorizedAccessException. */
  type: string;
  message: string;
  /** PowerShell's FullyQualifiedErrorId. */
  id: string;
}

export interface HostCallOptions {
  /** Abort: the caller gave up (its operation deadline). */
  signal: AbortSignal;
  /** Per-request deadline: past it the host process is killed and restarted. */
  timeoutMs: number;
}

/** The answer to one request: a value, or the failure the host reported. */
export type HostAnswer = { ok: true; value: unknown } | { ok: false; error: HostFailure };

export interface PsHost {
  /**
   * Send one request. Resolves with the host's answer (which may be a reported failure);
   * rejects with a DriverError when the host could not answer (deadline, crash, not running, queue full).
   */
  call(op: string, params: Record<string, unknown>, o: HostCallOptions): Promise<HostAnswer>;
  /** Stop the host process (agent shutdown). */
  close(): Promise<void>;
}
