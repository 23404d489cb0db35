/** The agent's structured log (pino in the CLI, silent in tests). */
export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
