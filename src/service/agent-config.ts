/**
 * `winha service configure`: what the MSI runs after installing the files, so that NODE and STORE given to
 * msiexec land in %ProgramData%\WinHA\agent.yaml. The file is created from the shipped example when absent,
 * only the given keys change (comments kept), and the MSI never installs over or removes it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseDocument } from 'yaml';

export interface ConfigureFlags {
  config: string;
  node?: string;
  store?: string;
  /** The example shipped in the install directory, copied when the config does not exist yet. */
  example?: string;
}

export interface ConfigureResult {
  created: boolean;
  changed: string[];
  /** Both node and store are set: the agent can start. */
  configured: boolean;
}

/** A new agent.yaml: the Windows driver, rotated log files and the Event Log; node and store from the installer. */
function minimal(example: string | undefined): string {
  return `# WinHA agent configuration, written by the installer; every key is described in ${example ?? 'agent.example.yaml'}.
apiVersion: winha.io/v1alpha1
kind: AgentConfig
spec:
  driver:
    type: windows
  log:
    file: {}
    eventLog: true
`;
}

/** Where NODE and STORE go in an AgentConfig. */
const KEYS = { node: ['spec', 'node'], store: ['spec', 'store', 'url'] } as const;

/** Create or update the agent configuration; empty values (an unset MSI property) change nothing. */
export function configureAgent(flags: ConfigureFlags): ConfigureResult {
  let created = false;
  let text: string;
  if (existsSync(flags.config)) {
    text = readFileSync(flags.config, 'utf8');
  } else {
    // Not a copy of the example: its values (node1, an etcd address) must never start a real agent.
    text = minimal(flags.example);
    created = true;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`${flags.config}: not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const changed: string[] = [];
  for (const key of ['node', 'store'] as const) {
    const value = flags[key]?.trim();
    if (value && doc.getIn(KEYS[key]) !== value) {
      doc.setIn(KEYS[key], value);
      changed.push(key);
    }
  }
  if (created || changed.length > 0) {
    mkdirSync(dirname(flags.config), { recursive: true });
    writeFileSync(flags.config, doc.toString(), 'utf8');
  }
  const set = (k: keyof typeof KEYS) => {
    const v = doc.getIn(KEYS[k]);
    return typeof v === 'string' && v.trim() !== '';
  };
  return { created, changed, configured: set('node') && set('store') };
}
