/**
 * The one place that builds real node agents. `winha agent` runs one; the
 * simulated cluster under test (src/sim/harness/agent-target.ts) takes this
 * factory as its NodeAgentFactory, so src/sim never imports the controller.
 */
import { Agent, type AgentOptions } from '../controller/agent.js';

/** A fresh Agent (the node agent of src/controller, unchanged) for these options. */
export function realAgents(options: AgentOptions): Agent {
  return new Agent(options);
}
