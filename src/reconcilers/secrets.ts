/**
 * Where the agent reads the secrets manifests name (an FTP deep check's credentialsSecretRef). Manifests hold
 * only the name; the values live on the node, in a directory laid out as a Kubernetes basic-auth Secret
 * mounted as files: DIR/NAME/username and DIR/NAME/password (`winha agent --secrets-dir`). Values are never
 * logged nor put in a message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Credentials {
  user: string;
  password: string;
}

/** A secret that cannot be read; the message names the secret and the file, never a value. */
export class SecretError extends Error {
  readonly id = 'ftp-credentials-unavailable';
}

export interface SecretSource {
  credentials(name: string): Promise<Credentials>;
}

/** The default directory: beside the agent's other machine-wide data. */
export function defaultSecretsDir(env: NodeJS.ProcessEnv, platform: string): string {
  return platform === 'win32' ? join(env['ProgramData'] ?? 'C:\\ProgramData', 'winha', 'secrets') : '/etc/winha/secrets';
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class DirectorySecrets implements SecretSource {
  constructor(readonly dir: string) {}

  async credentials(name: string): Promise<Credentials> {
    // A DNS-1123 name, as a Kubernetes Secret's: no separator or `..` can lead out of the directory.
    if (!NAME.test(name) || name.includes('..') || name.length > 253)
      throw new SecretError(`secret ${name} is not a valid secret name (lowercase letters, digits, '-', '.')`);
    const read = async (key: string) => {
      const file = join(this.dir, name, key);
      try {
        return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new SecretError(`secret ${name}: cannot read ${file} (${code})`);
      }
    };
    const user = await read('username');
    const password = await read('password');
    if (user === '') throw new SecretError(`secret ${name}: ${join(this.dir, name, 'username')} is empty`);
    return { user, password };
  }
}
