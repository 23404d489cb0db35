/**
 * AgentConfig: the node agent's configuration file (`winha agent --config FILE`; the Windows service runs
 * `winha agent --config %ProgramData%\WinHA\agent.yaml`). It lives here, beside the kinds, because `winha validate`
 * (src/validate, which must not depend on the CLI) checks it with this very schema; it is NOT a kind of the store:
 * no metadata, no CRD, and `winha apply` refuses it. Secrets are never inline: only references (files).
 */
import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION } from '../group.js';
import { Str, Int, Bool, Obj, StringEnum, DNS_LABEL } from '../schema-helpers.js';

export const AGENT_CONFIG_KIND = 'AgentConfig';

/** One path: absolute, or relative to the directory of the config file. */
const PathField = (description: string) =>
  Str(`${description} Relative paths are read from the config file's directory.`, { minLength: 1 });

export const AgentConfigEtcd = Obj(
  {
    caFile: Type.Optional(
      PathField('CA certificate that signed the etcd servers (PEM); turns TLS on. Flag --etcd-cacert, env WINHA_ETCD_CACERT.'),
    ),
    certFile: Type.Optional(PathField('Client certificate (PEM). Flag --etcd-cert, env WINHA_ETCD_CERT.')),
    keyFile: Type.Optional(PathField('Client key (PEM). Flag --etcd-key, env WINHA_ETCD_KEY.')),
    username: Type.Optional(Str('etcd user. Flag --etcd-user, env WINHA_ETCD_USERNAME.', { minLength: 1 })),
    passwordFile: Type.Optional(
      PathField('File holding the etcd password (one line). Flag --etcd-password-file, env WINHA_ETCD_PASSWORD_FILE.'),
    ),
    requestTimeoutMs: Type.Optional(
      Int('Deadline of one etcd call in ms. Flag --etcd-request-timeout, env WINHA_ETCD_REQUEST_TIMEOUT_MS.', {
        minimum: 100,
        maximum: 600_000,
      }),
    ),
  },
  'How to reach an etcd:// store: TLS files and user; the password only through passwordFile.',
);

export const AgentConfigLog = Obj(
  {
    level: Type.Optional(
      StringEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, { description: 'Lowest level written.', default: 'info' }),
    ),
    file: Type.Optional(
      Obj(
        {
          directory: Type.Optional(
            PathField('Directory of the log files (agent.N.log); default %ProgramData%\\WinHA\\logs on Windows, required elsewhere.'),
          ),
          maxSizeMB: Type.Optional(Int('A file is rotated when it reaches this many MB.', { minimum: 1, maximum: 1024, default: 10 })),
          maxFiles: Type.Optional(
            Int('Rotated files kept besides the current one; older ones are deleted.', { minimum: 1, maximum: 1000, default: 10 }),
          ),
        },
        'Write JSON logs to rotated files instead of standard output.',
      ),
    ),
    eventLog: Type.Optional(
      Bool('Also write important events (failover, fence, ban, split brain) to the Windows Application log, source WinHA.', {
        default: false,
      }),
    ),
  },
  'Where and how much the agent logs (default: JSON lines on standard output).',
);

/** `winha sync` inside the agent: every node's agent may carry it; the sync lease elects one syncer. */
export const AgentConfigSync = Obj(
  {
    from: Str('The repository: a git URL (https://, ssh://, git@host:path, file://; never with credentials) or a directory.', {
      minLength: 1,
    }),
    ref: Type.Optional(Str('Branch, tag or commit (git URLs; default: the remote default branch).', { minLength: 1 })),
    path: Type.Optional(Str('Directory inside the repository holding the manifests.', { minLength: 1, default: '.' })),
    interval: Type.Optional(Str('Time between passes: 30s, 5m, 1h.', { pattern: '^[0-9]+(s|m|h)?$', default: '1m' })),
    prune: Type.Optional(Bool('Delete objects this sync applied that the repository no longer has.', { default: false })),
    correctDrift: Type.Optional(Bool('Write back objects changed in the store outside git (else only report them).', { default: true })),
    name: Type.Optional(Str('Name of the Sync object and of its lease.', { maxLength: 63, pattern: DNS_LABEL, default: 'default' })),
    tokenFile: Type.Optional(PathField('HTTPS: file holding a token or user:token.')),
    sshKeyFile: Type.Optional(PathField('SSH: private key file.')),
    knownHostsFile: Type.Optional(PathField('SSH: known_hosts file (host keys are always checked).')),
    gitTimeoutSeconds: Type.Optional(Int('Deadline of one git command.', { minimum: 1, maximum: 3600, default: 60 })),
  },
  'Keep the store equal to a git repository from this agent (winha sync): validated whole, applied, pruned, drift corrected.',
  { required: ['from'] },
);

export const AgentConfigSpec = Obj(
  {
    node: Type.Optional(Str("This node's name, as in the Cluster. Flag --node.", { minLength: 1, maxLength: 63, pattern: DNS_LABEL })),
    store: Type.Optional(
      Obj(
        {
          url: Type.Optional(
            Str('State store URL: file://DIR, memory://, etcd://H:P[,H:P...][/PREFIX], kubernetes://. Flag --store, env WINHA_STORE.', {
              minLength: 1,
            }),
          ),
          etcd: Type.Optional(AgentConfigEtcd),
          kubernetes: Type.Optional(
            Obj(
              { kubeconfig: Type.Optional(PathField('kubeconfig file for kubernetes:// (env KUBECONFIG).')) },
              'How to reach a kubernetes:// store.',
            ),
          ),
        },
        'The store the agents coordinate through, and the credentials (by reference) to reach it.',
      ),
    ),
    driver: Type.Optional(
      Obj(
        {
          type: Type.Optional(
            Str('Host driver: sim, sim://HOST:PORT/NODE or windows. Flag --driver.', { pattern: '^(sim|windows|sim://[^/]+/[^/]*)$' }),
          ),
          powershellPath: Type.Optional(
            Str('windows driver: absolute path of Windows PowerShell 5.1. Flag --powershell-path.', { minLength: 1 }),
          ),
          emcmdPath: Type.Optional(Str('windows driver: absolute path of DataKeeper emcmd.exe. Flag --emcmd-path.', { minLength: 1 })),
        },
        'The host driver and its settings.',
      ),
    ),
    listen: Type.Optional(Str('Serve /healthz, /readyz, /metrics on [HOST:]PORT. Flag --listen.', { minLength: 1 })),
    workers: Type.Optional(Int('Groups reconciled at once. Flag --workers.', { minimum: 1, maximum: 256, default: 8 })),
    secretsDir: Type.Optional(PathField('Secrets of FTP deep checks: DIR/NAME/username and DIR/NAME/password. Flag --secrets-dir.')),
    stopTimeoutSeconds: Type.Optional(
      Int("On a stop, how long the action in flight may take to finish; keep it below the service wrapper's stoptimeout.", {
        minimum: 1,
        maximum: 300,
        default: 15,
      }),
    ),
    log: Type.Optional(AgentConfigLog),
    sync: Type.Optional(AgentConfigSync),
  },
  'Settings of the node agent; each has a flag that overrides it.',
);

export const AgentConfigSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: `Always ${API_VERSION}.` }),
    kind: Type.Literal(AGENT_CONFIG_KIND, { description: `Always ${AGENT_CONFIG_KIND}.` }),
    spec: AgentConfigSpec,
  },
  { description: "A node agent's configuration file.", additionalProperties: false, required: ['apiVersion', 'kind', 'spec'] },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
export type AgentConfigSpec = Static<typeof AgentConfigSpec>;
