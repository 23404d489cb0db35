/**
 * Audit log of every command the Windows driver runs: who asked (epoch), what
 * ran, how it ended. Secrets (passwords, tokens) never reach the log.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRET_KEY = /pass(word)?|secret|token|credential|apikey/i;
export const REDACTED = '[REDACTED]';

/** Deep copy with every value under a secret-looking key replaced. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v);
    return out;
  }
  return value;
}

export interface CommandAuditRecord {
  node: string;
  operation: string;
  epoch: number;
  program: string;
  /** For PowerShell, the script's name (the script text is a constant of this module). */
  script?: string;
  args: readonly string[];
  params?: unknown;
  exitCode?: number;
  durationMs: number;
  outcome: 'ok' | 'failed' | 'timeout';
  error?: string;
  attempt: number;
}

export interface AuditLog {
  command(record: CommandAuditRecord): void;
}

export class PinoAuditLog implements AuditLog {
  private readonly logger: Logger;
  constructor(destination?: DestinationStream, logger?: Logger) {
    // Belt and braces: the record is redacted before logging, and pino redacts known paths too.
    this.logger =
      logger ??
      pino(
        { name: 'winha-driver', redact: { paths: ['params.password', 'params.*.password', 'params.secret'], censor: REDACTED } },
        destination,
      );
  }
  command(record: CommandAuditRecord): void {
    const safe = { ...record, params: redactSecrets(record.params) };
    if (record.outcome === 'ok') this.logger.info(safe, 'command');
    else this.logger.warn(safe, 'command');
  }
}
