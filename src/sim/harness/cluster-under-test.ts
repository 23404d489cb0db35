/**
 * The plug for `winha sim run` and `winha sim fuzz`: which ScenarioTarget the
 * CLI runs scenarios against. The real one — one agent per node (the agent
 * of issue 5, unchanged) on SimHostDrivers over a LocalWorldApi, the memory
 * store, all on one VirtualClock — lands with the agent; until then the CLI
 * checks scenario files and says that it cannot run them.
 */
import type { ScenarioTargetFactory } from '../scenario/target.js';

let factory: ScenarioTargetFactory | undefined;

/** Install the cluster under test (the agent module does this; tests may too). */
export function setClusterUnderTest(f: ScenarioTargetFactory | undefined): void {
  factory = f;
}

export function clusterUnderTest(): ScenarioTargetFactory | undefined {
  return factory;
}
