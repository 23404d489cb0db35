/**
 * The commands for a real node (issue 15): `driver test`, `driver record` and
 * `doctor`. Registered from main.ts; each loads its module only when it runs.
 */
import { Option, type Command } from 'commander';
import type { CliIO } from './io.js';

const driverTestCmd = () => import('./commands/driver-test.js');
const driverRecordCmd = () => import('./commands/driver-record.js');
const doctorCmd = () => import('./commands/doctor.js');
type FlagsOf<F extends (...args: never[]) => unknown> = Parameters<F>[0];
type Cmd<M extends () => Promise<unknown>> = Awaited<ReturnType<M>>;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerNodeCommands(
  program: Command,
  io: CliIO,
  setCode: (code: number) => void,
  withStore: (c: Command) => Command,
): void {
  const driver = program
    .command('driver')
    .description("Check a host driver on this node: exercise every call, or record a node's outputs.");
  driver
    .command('test')
    .description(
      'Exercise every HostDriver call against a scratch site and a spare address, then clean up (ocf-tester for the driver). Exit 0 all ok, 1 a call failed, 2 refused.',
    )
    .addOption(
      new Option('--driver <kind>', 'required: windows (this machine) or sim (a one-node simulated world)').choices(['windows', 'sim']),
    )
    .option('--node <name>', 'node name shown in the report (default: this host name; sim: sim-node)')
    .option('--site <name>', 'scratch IIS site (default winha-driver-test); an existing site with another path is refused')
    .option('--address <ip>', 'spare address the test adds and removes (required for windows); one already on the host is refused')
    .option('--prefix-length <n>', 'prefix length of --address (required for windows)')
    .option('--interface <alias>', 'interface alias for --address (required for windows; sim: Ethernet)')
    .option('--port <n>', 'port of the scratch http binding (default 80)')
    .option('--volume <letter>', 'a disposable, unmirrored volume: also lock/unlock it (and with --target-address, a scratch mirror)')
    .option('--source-address <ip>', "this node's replication address, for the scratch mirror")
    .option('--target-address <ip>', 'replication address of a disposable target volume, for the scratch mirror')
    .option('--timeout <ms>', 'deadline of each call (default 60000)')
    .option('--sim-fail <operation>', 'sim only: this driver operation fails once (repeatable), to see a failure reported', collect, [])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: FlagsOf<Cmd<typeof driverTestCmd>['runDriverTestCommand']>) =>
      setCode(await (await driverTestCmd()).runDriverTestCommand(flags, io)),
    );
  driver
    .command('record')
    .description(
      "Capture this Windows node's read-only driver outputs (sites, addresses, services, DataKeeper queries) as fixture files to send.",
    )
    .requiredOption('--out <dir>', 'new or empty directory for the recording')
    .option('--volume <letter>', 'also record DataKeeper queries for this volume (repeatable)', collect, [])
    .option('--timeout <ms>', 'deadline of each command (default 60000)')
    .action(async (flags: FlagsOf<Cmd<typeof driverRecordCmd>['runDriverRecordCommand']>) =>
      setCode(await (await driverRecordCmd()).runDriverRecordCommand(flags, io)),
    );

  withStore(
    program
      .command('doctor')
      .description(
        "Check this Windows node's prerequisites (PowerShell, IIS, DataKeeper, interfaces, peers, firewall, store, cloud virtual IPs). Exit 0 no failure, 1 a check failed.",
      )
      .option('--node <name>', "this node's name, as in the Cluster (default: this host name)")
      .option('-f, --filename <path>', 'read the cluster from these manifests instead of the store (repeatable)', collect, [])
      .option('-R, --recursive', 'descend into directories')
      .option('--agent-port <port>', 'port of winha agent --listen, to check the firewall for it')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(async (flags: FlagsOf<Cmd<typeof doctorCmd>['runDoctorCommand']>) =>
    setCode(await (await doctorCmd()).runDoctorCommand(flags, io)),
  );
}
