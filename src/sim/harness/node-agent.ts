/**
 * What the harness needs from a node agent, and how it gets one. The agent is
 * injected: src/sim builds worlds and runs scenarios, it does not know the
 * controller. The one factory of real agents is the CLI's (`realAgents` in
 * src/cli/agent-factory.ts), which `winha sim run|fuzz`, the benchmarks and the
 * tests pass in; anything with this shape would do.
 */
import type { Clock } from '../../lib/clock.js';
import type { HostDriver } from '../../drivers/types.js';
import type { Store } from '../../store/types.js';
import type { CloudAccess } from '../../cloud/types.js';

/** Where an agent's log lines go (the real agent's logger has this shape; so does pino's). */
export interface NodeAgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Everything one node's agent is built from: its own store connection, driver and clock. */
export interface NodeAgentSpec {
  node: string;
  store: Store;
  driver: HostDriver;
  clock: Clock;
  logger: NodeAgentLogger;
  /** Groups reconciled at once; absent = the agent's own default. */
  workers?: number;
  /** The cloud as this node reaches it (metadata, EC2), when the world has a cloud network. */
  cloud?: CloudAccess;
}

/** A running agent process, as far as the harness is concerned: it starts, and it stops (a crash or agentStop). */
export interface NodeAgent {
  start(): void;
  stop(): void;
}

/** Builds a fresh agent for a node (a new process: it remembers nothing). */
export type NodeAgentFactory = (spec: NodeAgentSpec) => NodeAgent;
