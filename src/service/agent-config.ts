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

const MINIMAL = `# WinHA agent configuration (written by the installer; see agent.example.yaml in the install directory).
driver: windows
`;

/** Create or update the agent configuration; empty values (an unset MSI property) change nothing. */
export function configureAgent(flags: ConfigureFlags): ConfigureResult {
  let created = false;
  let text: string;
  if (existsSync(flags.config)) {
    text = readFileSync(flags.config, 'utf8');
  } else {
    text = flags.example && existsSync(flags.example) ? readFileSync(flags.example, 'utf8') : MINIMAL;
    created = true;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`${flags.config}: not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const changed: string[] = [];
  for (const key of ['node', 'store'] as const) {
    const value = flags[key]?.trim();
    if (value && doc.get(key) !== value) {
      doc.set(key, value);
      changed.push(key);
    }
  }
  if (created || changed.length > 0) {
    mkdirSync(dirname(flags.config), { recursive: true });
    writeFileSync(flags.config, doc.toString(), 'utf8');
  }
  const set = (k: string) => {
    const v = doc.get(k);
    return typeof v === 'string' && v.trim() !== '';
  };
  return { created, changed, configured: set('node') && set('store') };
}
