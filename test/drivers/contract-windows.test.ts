/** The driver contract against the Windows driver, fed by a runner replaying recorded outputs. */
import { VirtualClock } from '../../src/lib/clock.js';
import { WindowsHostDriver } from '../../src/drivers/windows/windows-host-driver.js';
import { settle } from '../helpers/virtual-time.js';
import { driverContract, type ContractNode, type Situation } from './contract.js';
import { ScriptedRunner } from './scripted-runner.js';
import { RECORDINGS } from './windows-recordings.js';

async function situation(s: Situation): Promise<ContractNode> {
  const clock = new VirtualClock();
  const runner = new ScriptedRunner(RECORDINGS[s]);
  const driver = new WindowsHostDriver({ nodeName: 'node1', host: runner, runner, clock });
  return { driver, settle: (p) => settle(clock, p) };
}

driverContract({ name: 'windows', situation });
