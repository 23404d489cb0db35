/**
 * The agent's pino logger: JSON lines on standard output (the default), or rotated files through pino-roll
 * (log.file: DIR/agent.N.log, a new file past maxSizeMB, maxFiles old ones kept), which a Windows service needs
 * since nobody reads its standard output.
 */
import { once } from 'node:events';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, transport as pinoTransport, type DestinationStream, type Logger } from 'pino';
import type { EventEmitter } from 'node:events';
import { UsageError } from '../io.js';
import type { LogSettings } from './load.js';

/** pino's ThreadStream (its type does not resolve here): a destination that is an emitter and can be ended. */
type TransportStream = DestinationStream & EventEmitter & { end(): void };

export interface AgentLog {
  logger: Logger;
  /** Everything logged so far is written (the file transport runs in a worker thread). */
  close(): Promise<void>;
}

export async function agentLogger(s: LogSettings, node: string): Promise<AgentLog> {
  if (!s.file) {
    const logger = pino({ base: { node }, level: s.level });
    return { logger, close: async () => logger.flush() };
  }
  const dir = s.file.directory;
  try {
    // Checked here, in this thread: the transport's worker would fail later and less clearly.
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      `log directory ${dir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? String(err)}) [agent-log-directory]`,
    );
  }
  const transport = pinoTransport({
    target: 'pino-roll',
    options: {
      file: path.join(dir, 'agent'),
      extension: '.log',
      size: `${s.file.maxSizeMB}m`,
      limit: { count: s.file.maxFiles },
      mkdir: true,
    },
  }) as TransportStream;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: unknown) => {
      transport.off('ready', onReady);
      reject(new UsageError(`log directory ${dir}: the log file cannot be opened: ${String(err)} [agent-log-directory]`));
    };
    const onReady = () => {
      transport.off('error', onError);
      resolve();
    };
    transport.once('ready', onReady);
    transport.once('error', onError);
  });
  // A later failure (disk full) must not end the agent: it goes on, and says so where a supervisor still looks.
  transport.on('error', (err: unknown) => process.stderr.write(`winha agent: log file: ${String(err)}\n`));
  const logger = pino({ base: { node }, level: s.level }, transport);
  return {
    logger,
    close: async () => {
      const closed = once(transport, 'close');
      transport.end();
      await closed;
    },
  };
}
