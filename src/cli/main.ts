/**
 * The `winha` command line: parse flags, call the library, print. Exit codes:
 * 0 success (diff: no difference), 1 problems or differences found or the
 * operation failed, 2 usage or I/O error.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, UsageError, processIO, winhaVersion, type CliIO } from './io.js';
import { isStoreError } from '../store/errors.js';
import { compileSelector } from '../store/selector.js';

// Commands are loaded when they run, so `winha validate` in CI does not load the store.
const validateCmd = () => import('./commands/validate.js');
const applyCmd = () => import('./commands/apply.js');
const getCmd = () => import('./commands/get.js');
const describeCmd = () => import('./commands/describe.js');
const eventsCmd = () => import('./commands/events.js');
const statusCmd = () => import('./commands/status.js');
const operateCmd = () => import('./commands/operate.js');
const historyCmd = () => import('./commands/history.js');
const agentCmd = () => import('./commands/agent.js');
const simCmd = () => import('./commands/sim.js');
const demoCmd = () => import('./commands/demo.js');
const dashboardCmd = () => import('./commands/dashboard.js');
const syncCmd = () => import('./commands/sync.js');
/** Argument N (the flags) of a command's run function: commander hands the flags over untyped. */
type FlagsOf<F extends (...args: never[]) => unknown, N extends number = 0> = Parameters<F>[N];
type Cmd<M extends () => Promise<unknown>> = Awaited<ReturnType<M>>;

/** A -l value, parsed when the flags are: a bad selector is a usage error before anything runs. */
function selectorFlag(value: string): string {
  try {
    compileSelector(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}
const selectorOption = (what: string) => new Option('-l, --selector <selector>', what).argParser(selectorFlag);

/** Collect repeated -f values. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
import { FORMATS } from '../validate/format/index.js';
import { registerNodeCommands } from './node-commands.js';
import { registerServiceCommands } from './service-commands.js';
import { registerMetaCommands } from './meta-commands.js';

export function buildProgram(io: CliIO, setCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('winha')
    .description('Declarative high availability for Windows Server clusters serving IIS sites.')
    .version(winhaVersion(), '--version')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes:
  0  success (diff: no difference)
  1  problems found (validate), differences found (diff), or the operation failed
  2  usage or I/O error`,
    );

  program
    .command('validate')
    .description('Check WinHA manifests: schemas and cross-object rules, each problem at file:line:column.')
    .argument('[paths...]', 'files, directories, or - for standard input')
    .option('-R, --recursive', 'descend into directories')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...FORMATS]).default('text'))
    .option('--strict', 'warnings fail the run too')
    .option('--no-color', 'never colour the text output')
    .action(async (paths: string[], flags: FlagsOf<Cmd<typeof validateCmd>['runValidate'], 1>) =>
      setCode(await (await validateCmd()).runValidate(paths, flags, io)),
    );

  const storeOption = () =>
    new Option(
      '--store <url>',
      'state store: file://DIR (default file://./.winha), memory://, etcd://HOST:PORT[,HOST:PORT...][/PREFIX]; or $WINHA_STORE',
    );
  /** The store flags: --store and etcd's TLS files and user (the password only from $WINHA_ETCD_PASSWORD or a file). */
  const withStore = (c: Command): Command =>
    c
      .hook('preAction', async (_program, action) => {
        // -n not given: a kubernetes:// store's namespace, as kubectl takes the context's
        if (!action.options.some((o) => o.long === '--namespace') || action.getOptionValueSource('namespace') === 'cli') return;
        const { storeDefaultNamespace } = await import('./store.js');
        const ns = await storeDefaultNamespace(action.opts(), io);
        if (ns !== undefined) action.setOptionValueWithSource('namespace', ns, 'config');
      })
      .addOption(storeOption())
      .addOption(
        new Option('--etcd-cacert <file>', 'etcd: CA certificate that signed the servers (PEM); turns TLS on; or $WINHA_ETCD_CACERT'),
      )
      .addOption(new Option('--etcd-cert <file>', 'etcd: client certificate (PEM); or $WINHA_ETCD_CERT'))
      .addOption(new Option('--etcd-key <file>', 'etcd: client key (PEM); or $WINHA_ETCD_KEY'))
      .addOption(new Option('--etcd-user <name>', 'etcd: user name; or $WINHA_ETCD_USERNAME'))
      .addOption(new Option('--etcd-password-file <file>', 'etcd: file holding the password; or $WINHA_ETCD_PASSWORD(_FILE)'))
      .addOption(
        new Option(
          '--etcd-request-timeout <ms>',
          'etcd: deadline of one store call in ms (default 5000; agents: at most renewDeadline / 3); or $WINHA_ETCD_REQUEST_TIMEOUT_MS',
        ),
      );

  /** A command that must find its store: a file:// directory that does not exist is refused, not created. */
  const withExistingStore = (c: Command): Command =>
    withStore(c).hook('preAction', async (_program, action) => {
      const { requireExistingStore } = await import('./store.js');
      requireExistingStore(action.opts(), io);
    });

  withStore(
    program
      .command('apply')
      .description('Create or update objects from manifests (three-way merge); nothing is written if any manifest is invalid.')
      .requiredOption('-f, --filename <path>', 'file, directory or - (repeatable)', collect, [])
      .option('-R, --recursive', 'descend into directories')
      .option('--dry-run', 'show what would change, write nothing')
      .option('--prune', 'delete objects applied earlier, matching -l, that are no longer in the manifests')
      .addOption(selectorOption('label selector for --prune (key=value,...)'))
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
      .option('--no-color', 'never colour the output'),
  ).action(async (flags: FlagsOf<Cmd<typeof applyCmd>['runApply']>) => setCode(await (await applyCmd()).runApply(flags, io)));

  withStore(
    program
      .command('sync')
      .description(
        'Keep the store equal to a git repository (or a directory): validate the whole revision, apply it, prune, correct drift; one syncer per --name is elected through the store.',
      )
      .requiredOption('--from <path-or-url>', 'a local directory (checkout) or a git URL (https://, ssh://, git@host:path, file://)')
      .option('--ref <ref>', 'git URLs: branch, tag or commit (default: the remote default branch)')
      .option('--path <dir>', 'directory inside the repository holding the manifests', '.')
      .option('--interval <duration>', 'time between passes: 30s, 5m, 1h', '1m')
      .option('--prune', 'delete objects this sync applied that the repository no longer has')
      .option('--no-correct', 'report drift (objects changed in the store outside git) without writing them back')
      .option('--once', 'one pass, then exit: 0 synced, 1 refused or failed')
      .option('--name <name>', 'name of the Sync object and of its lease', 'default')
      .option('-n, --namespace <ns>', "namespace of the Sync object (default: the store's)")
      .option('--identity <id>', 'who this syncer is in the lease (default: host name and process id)')
      .option('--lease-duration <s>', 'seconds the sync lease lasts without renewal (default 15)')
      .option('--token-file <file>', 'HTTPS: a file holding a token or user:token (sent as a header, never in a URL)')
      .option('--ssh-key-file <file>', 'SSH: private key (else the ssh-agent)')
      .option('--known-hosts-file <file>', 'SSH: known_hosts (host keys are always checked)')
      .option('--git-timeout <s>', 'deadline of one git command in seconds (default 60)'),
  ).action(async (flags: FlagsOf<Cmd<typeof syncCmd>['runSync']>) => setCode(await (await syncCmd()).runSync(flags, io)));

  withExistingStore(
    program
      .command('diff')
      .description('Show what apply would change, per object. Exit 0: no difference, 1: differences, 2: error.')
      .requiredOption('-f, --filename <path>', 'file, directory or - (repeatable)', collect, [])
      .option('-R, --recursive', 'descend into directories')
      .option('--no-color', 'never colour the output'),
  ).action(async (flags: FlagsOf<Cmd<typeof applyCmd>['runDiff']>) => setCode(await (await applyCmd()).runDiff(flags, io)));

  withExistingStore(
    program
      .command('get')
      .description(
        'List objects: winha get groups | sites | vips | mirrors | clusters | events | all [NAME...], or KIND/NAME... (kinds mixed)',
      )
      .argument('<kind>', 'kind(s), comma-separated: group(s)/fg, site(s), vip(s), mirror(s), cluster(s), event(s), all; or KIND/NAME')
      .argument('[names...]', 'object names, or more KIND/NAME')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('-A, --all-namespaces', 'every namespace')
      .addOption(selectorOption('label selector (key=value,...)'))
      .option(
        '-o, --output <format>',
        'wide, yaml, json, name, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=HEADER:PATH,..., custom-columns-file=FILE',
      )
      .option('--sort-by <jsonpath>', 'sort by this field, e.g. .metadata.name or .status.epoch (missing: last)')
      .option('-w, --watch', 'keep printing changes'),
  ).action(async (kind: string, names: string[], flags: FlagsOf<Cmd<typeof getCmd>['runGet'], 1>) =>
    setCode(await (await getCmd()).runGet([kind, ...names], flags, io)),
  );

  withExistingStore(
    program
      .command('status')
      .description(
        'Clusters, nodes and groups on one screen: liveness, node states, mirrors, last failover. Exit 0 healthy, 1 not, 2 cannot look.',
      )
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('-A, --all-namespaces', 'every namespace')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
      .option('-w, --watch', 'show the view again whenever the store changes'),
  ).action(async (flags: FlagsOf<Cmd<typeof statusCmd>['runStatus']>) => setCode(await (await statusCmd()).runStatus(flags, io)));

  withExistingStore(
    program
      .command('describe')
      .description('Show one object in detail: spec, status, conditions and recent events.')
      .argument('<kind>', 'kind(s), comma-separated, or KIND/NAME')
      .argument('[names...]', 'object names (none: every object of the kind), or more KIND/NAME')
      .option('-n, --namespace <ns>', 'namespace', 'default'),
  ).action(async (kind: string, names: string[], flags: FlagsOf<Cmd<typeof describeCmd>['runDescribe'], 1>) =>
    setCode(await (await describeCmd()).runDescribe([kind, ...names], flags, io)),
  );

  withStore(
    program
      .command('delete')
      .description('Delete objects named in manifests (-f) or by KIND NAME...')
      .argument('[args...]', 'KIND NAME...')
      .option('-f, --filename <path>', 'file, directory or - (repeatable)', collect, [])
      .option('-R, --recursive', 'descend into directories')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('--ignore-not-found', 'a missing object is not an error'),
  ).action(async (args: string[], flags: FlagsOf<Cmd<typeof applyCmd>['runDelete'], 1>) =>
    setCode(await (await applyCmd()).runDelete(args, flags, io)),
  );

  withExistingStore(
    program
      .command('events')
      .description('List events written by the agents.')
      .option('--for <kind/name>', 'only events about this object, e.g. group/web')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option('-A, --all-namespaces', 'every namespace')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
      .option('-w, --watch', 'keep printing new events'),
  ).action(async (flags: FlagsOf<Cmd<typeof eventsCmd>['runEvents']>) => setCode(await (await eventsCmd()).runEvents(flags, io)));

  withExistingStore(
    program
      .command('history')
      .description('Failovers, switchovers, switchbacks, fences and bans of a group (or all groups), oldest first, from status.history.')
      .argument('[group]', 'failover group (default: every group of the namespace, merged by time)')
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml'])),
  ).action(async (group: string | undefined, flags: FlagsOf<Cmd<typeof historyCmd>['runHistory'], 1>) =>
    setCode(await (await historyCmd()).runHistory(group, flags, io)),
  );

  withStore(
    program
      .command('agent')
      .description('Run the node agent: elect, activate, check and recover the groups of this node.')
      .option('--config <file>', 'agent configuration file (kind: AgentConfig); flags override it, it overrides the environment')
      .option('--node <name>', "this node's name, as in the Cluster (or spec.node of --config)")
      .option('--cluster <name>', 'the Cluster (NAME or NAMESPACE/NAME) that declares --node; needed only when several do')
      .option(
        '--driver <kind>',
        'host driver (required, or spec.driver.type of --config): windows, sim (a host in this process) or sim://HOST:PORT/NODE (a host of a `winha sim world` server)',
      )
      .option(
        '--listen <addr>',
        'serve /healthz, /readyz, /metrics and the dashboard (read-only) on [HOST:]PORT (PORT alone: 127.0.0.1; 0.0.0.0:PORT for every interface)',
      )
      .option('--workers <n>', 'groups reconciled at once (default 8)')
      .option(
        '--secrets-dir <dir>',
        'secrets of FTP deep checks: DIR/NAME/username and DIR/NAME/password (default %ProgramData%\\winha\\secrets; /etc/winha/secrets off Windows)',
      )
      .option(
        '--powershell-path <path>',
        'windows driver: Windows PowerShell 5.1 (default %SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe)',
      )
      .option('--emcmd-path <path>', 'windows driver: DataKeeper emcmd.exe (default %ExtMirrBase%\\emcmd.exe)'),
  ).action(async (flags: FlagsOf<Cmd<typeof agentCmd>['runAgent']>) => setCode(await (await agentCmd()).runAgent(flags, io)));

  withExistingStore(
    program
      .command('switchover')
      .description('Ask the agents to move a group to a node; --force is the only way past the mirror gate (data may be lost).')
      .argument('<group>', 'failover group')
      .requiredOption('--to <node>', 'destination node')
      .option('--force', 'promote even if the destination mirror is not Mirroring (split brain: choose the survivor)')
      .option('-n, --namespace <ns>', 'namespace', 'default'),
  ).action(async (group: string, flags: FlagsOf<Cmd<typeof operateCmd>['runSwitchover'], 1>) =>
    setCode(await (await operateCmd()).runSwitchover(group, flags, io)),
  );

  withExistingStore(
    program
      .command('clear')
      .description('Lift bans and failure counts of a group (on one node or all).')
      .argument('<group>', 'failover group')
      .option('--node <node>', 'only this node')
      .option('-n, --namespace <ns>', 'namespace', 'default'),
  ).action(async (group: string, flags: FlagsOf<Cmd<typeof operateCmd>['runClear'], 1>) =>
    setCode(await (await operateCmd()).runClear(group, flags, io)),
  );

  withExistingStore(
    program
      .command('maintenance')
      .description('Pause (on) or resume (off) actions and checks for the cluster, a group or a node.')
      .argument('<mode>', 'on or off')
      .option('--group <group>', 'only this group')
      .option('--node <node>', 'only this node')
      .option('-n, --namespace <ns>', 'namespace', 'default'),
  ).action(async (mode: string, flags: FlagsOf<Cmd<typeof operateCmd>['runMaintenance'], 1>) =>
    setCode(await (await operateCmd()).runMaintenance(mode, flags, io)),
  );

  withExistingStore(
    program
      .command('dashboard')
      .description(
        'Serve the web view of the store, live: node × group grid, mirrors, failover timeline, Warning events, group pages. Read-only unless --allow-actions.',
      )
      .option('--listen <addr>', '[HOST:]PORT to serve on (default 127.0.0.1:9480; PORT alone: loopback)')
      .option('--allow-actions', 'accept switchover, maintenance and clear (POST, bearer token, same origin only)')
      .option('--token-file <file>', 'the bearer token for actions (default: a new one, printed once at start)')
      .option('--allow-remote-actions', 'allow actions on a non-loopback --listen (the token crosses the network in clear)'),
  ).action(async (flags: FlagsOf<Cmd<typeof dashboardCmd>['runDashboard']>) =>
    setCode(await (await dashboardCmd()).runDashboard(flags, io)),
  );

  program
    .command('demo')
    .description(
      'The whole story in real time, nothing to install: a world server, one agent process per node, the embedded store; converge, crash the active node, fail over, bring it back, switch back (what make run runs).',
    )
    .option('--keep', 'leave the cluster running at the end and print the commands to explore it')
    .option('--fast', "DataKeeper's unreachable-source switchover 2 s instead of the demo's 5 s (real DataKeeper: 30–40 s); for tests")
    .option('-f, --filename <path>', 'manifests of a two-node cluster (default manifests/examples/two-node-web.yaml)')
    .action(async (flags: FlagsOf<Cmd<typeof demoCmd>['runDemo']>) => setCode(await (await demoCmd()).runDemo(flags, io)));

  registerNodeCommands(program, io, setCode, withStore);
  registerServiceCommands(program, io, setCode);

  const sim = program
    .command('sim')
    .description('Simulated clusters: serve a world, inject faults, inspect, run and fuzz scenarios (design §5).');
  sim
    .command('world')
    .description('Serve a simulated world (hosts, L2 segment, mirrors) in real time on loopback, for agents in other processes.')
    .requiredOption('--listen <addr>', 'loopback address, e.g. 127.0.0.1:7000 (port 0: any free port)')
    .option('--seed <n>', "seed of the world's randomness")
    .requiredOption('-f, --filename <path>', 'manifests: Cluster nodes become hosts, Mirrors become volumes (repeatable)', collect, [])
    .option('-R, --recursive', 'descend into directories')
    .option(
      '--switchover-unreachable <duration>',
      "DataKeeper's switchover when the source does not answer (default 35s, as real DataKeeper's 30–40 s)",
    )
    .action(async (flags: FlagsOf<Cmd<typeof simCmd>['runSimWorld']>) => setCode(await (await simCmd()).runSimWorld(flags, io)));
  sim
    .command('fault')
    .description(
      'Inject a fault into a running world: nodeCrash, nodeRestore, agentStop, agentStart, storePartition, storeHeal, replicationPartition, replicationHeal, serviceStop, siteStop, siteDelete, siteHang, siteStuck, bindingSteal, ipConflict, ipConflictClear, commandFail, commandHeal, clockSkew, cloudApiFault, cloudApiHeal, cloudAssignDelay, cloudDrift, write.',
    )
    .argument('<type>', 'fault type')
    .requiredOption('--world <addr>', 'the world server, e.g. 127.0.0.1:7000')
    .option('--node <name>', 'the node the fault hits')
    .option('--peer <name>', 'other end (replicationPartition/Heal)')
    .option('--service <name>', 'W3SVC, WAS, FTPSVC, SMTPSVC (serviceStop)')
    .option('--site <name>', 'IIS site (siteStop, siteDelete, siteHang, siteStuck, bindingSteal)')
    .option('--checks <n>', 'stop checks that still see the site Started (siteStuck; default 10)')
    .option('--address <ip>', 'address (ipConflict, ipConflictClear, cloudDrift)')
    .option('--mac <mac>', 'MAC of the foreign claimant (ipConflict)')
    .option('--times <n>', 'how many operations fail (commandFail) or EC2 requests misbehave (cloudApiFault)')
    .option('--mode <mode>', 'throttle, hang or fail (cloudApiFault)')
    .option('--code <code>', 'the EC2 error code (cloudApiFault fail; default InternalError)')
    .option('--status <n>', 'the HTTP status of the EC2 error (cloudApiFault fail)')
    .option('--ms <ms>', 'delay before a secondary-IP assignment is visible (cloudAssignDelay)')
    .option('--operation <op>', 'only this driver operation fails (commandFail) or is healed (commandHeal)')
    .option('--offset-ms <ms>', 'wall-clock offset (clockSkew; 0 heals)')
    .option('--volume <letter>', 'drive letter (write)')
    .option('--count <n>', 'number of writes (write)')
    .option('--block <n>', 'block number (write)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (type: string, flags: FlagsOf<Cmd<typeof simCmd>['runSimFault'], 1>) =>
      setCode(await (await simCmd()).runSimFault(type, flags, io)),
    );
  sim
    .command('inspect')
    .description('Show a running world: hosts, who holds which address, started sites, mirror roles and states, conflicts.')
    .requiredOption('--world <addr>', 'the world server, e.g. 127.0.0.1:7000')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: FlagsOf<Cmd<typeof simCmd>['runSimInspect']>) => setCode(await (await simCmd()).runSimInspect(flags, io)));
  sim
    .command('check')
    .description('Check scenario files; each problem at file:line:column with its rule id. Exit 0 valid, 2 invalid.')
    .argument('<files...>', 'scenario files')
    .action(async (files: string[]) => setCode(await (await simCmd()).runSimCheck(files, io)));
  sim
    .command('run')
    .description('Run scenario files on simulated hosts and virtual time, checking invariants. Exit 0 pass, 1 fail, 2 bad scenario.')
    .argument('<files...>', 'scenario files')
    .option('--seed <n>', "seed (default: the scenario's, else 1)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (files: string[], flags: FlagsOf<Cmd<typeof simCmd>['runSimRun'], 1>) =>
      setCode(await (await simCmd()).runSimRun(files, flags, io)),
    );
  sim
    .command('fuzz')
    .description('Run random fault schedules over manifests; write a minimal reproducing scenario for each violation.')
    .option('--runs <n>', 'number of schedules', '100')
    .option('--seed <n>', 'first seed (run i uses seed+i)')
    .option('-f, --filename <path>', 'manifests (default manifests/examples; one set per file)', collect, [])
    .option('--out <dir>', 'where to write reproductions', '.')
    .addOption(
      new Option('-o, --output <format>', 'text or json (a summary with the wall time, for benchmarks)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (flags: FlagsOf<Cmd<typeof simCmd>['runSimFuzz']>) => setCode(await (await simCmd()).runSimFuzz(flags, io)));

  registerMetaCommands(program, io, setCode, withStore);
  return program;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`winha: ${err.message}\n`);
      return EXIT.USAGE;
    }
    if (isStoreError(err)) {
      // One clear line: what failed and why (the store's message names the object).
      io.stderr.write(`winha: ${err.message}\n`);
      return EXIT.FAILED;
    }
    throw err;
  }
  return code;
}
