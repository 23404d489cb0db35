/**
 * Checks of an AgentConfig document (the node agent's configuration file), shared by `winha validate` and
 * `winha agent --config`: the schema of src/api/schema/agent-config.ts, and no secret written inline. Problems carry
 * file:line:column and a stable id, as every validator problem does.
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { AGENT_CONFIG_KIND, AgentConfigSchema } from '../api/schema/agent-config.js';
import { isMapping, type Path, type SourceDocument } from './parse.js';
import type { Problem } from './problem.js';
import { displayPath, issuesOf, type SchemaIssue } from './schema-check.js';

export { AGENT_CONFIG_KIND };

// ajv is loaded on first need: a `winha validate` run without an AgentConfig never pays for it.
const requireCjs = createRequire(import.meta.url);
let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    const { Ajv } = requireCjs('ajv') as typeof import('ajv');
    validator = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(AgentConfigSchema);
  }
  return validator;
}

/** Keys that would hold a secret itself, and the reference to write instead. */
const SECRET_KEYS: ReadonlyMap<string, string> = new Map([
  ['password', 'passwordFile'],
  ['passwd', 'passwordFile'],
  ['pwd', 'passwordFile'],
  ['key', 'keyFile'],
  ['privatekey', 'keyFile'],
  ['token', 'a kubeconfig named by spec.store.kubernetes.kubeconfig'],
  ['bearertoken', 'a kubeconfig named by spec.store.kubernetes.kubeconfig'],
  ['secret', 'a file the config names'],
  ['clientsecret', 'a file the config names'],
  ['apikey', 'a file the config names'],
]);

function hasValue(v: unknown): boolean {
  return v !== null && v !== undefined && v !== '';
}

/** Inline secrets: a secret-named key with a value, or a PEM block (a private key pasted in) anywhere. */
function inlineSecrets(value: unknown, path: (string | number)[], out: SchemaIssue[]): void {
  if (typeof value === 'string' && value.includes('-----BEGIN')) {
    out.push({
      path,
      rule: 'inline-secret',
      message: `${displayPath(path)} holds a PEM block: certificates and keys are named by file (caFile, certFile, keyFile), never pasted in`,
      structural: false,
    });
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => inlineSecrets(v, [...path, i], out));
  if (!isMapping(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const instead = SECRET_KEYS.get(k.toLowerCase());
    if (instead && hasValue(v)) {
      const ref = instead.includes(' ') ? instead : displayPath([...path, instead]);
      out.push({
        path: [...path, k],
        rule: 'inline-secret',
        message: `${displayPath([...path, k])}: a secret never goes in the config file (it is copied, backed up and shown); write it to a file only the service account can read and name that file with ${ref}`,
        structural: false,
      });
    } else inlineSecrets(v, [...path, k], out);
  }
}

/** The driver's pattern in words (ajv would say "must match ^(sim|…)$"). */
function reword(issue: SchemaIssue): SchemaIssue {
  const where = displayPath(issue.path);
  if (where === 'spec.driver.type' && issue.message.includes('must match'))
    return { ...issue, message: `${where} ${issue.message.split(' ')[1] ?? ''} must be sim, sim://HOST:PORT/NODE or windows` };
  return issue;
}

/** Schema and inline-secret issues of an AgentConfig value, paths relative to the document. */
export function agentConfigIssues(value: unknown): SchemaIssue[] {
  const secrets: SchemaIssue[] = [];
  inlineSecrets(value, [], secrets);
  const v = validate();
  const schema = v(value) ? [] : issuesOf(v.errors ?? []).map(reword);
  // A secret key is also an unknown field: say only the useful thing about it.
  const secretAt = new Set(secrets.map((s) => s.path.join('\0')));
  return [...secrets, ...schema.filter((i) => !secretAt.has(i.path.join('\0')))];
}

/** Problems of an AgentConfig document, placed at file:line:column. */
export function checkAgentConfig(doc: SourceDocument): Problem[] {
  return agentConfigIssues(doc.value).map((i) => problemAt(doc, i.path, i.rule, i.message));
}

export function problemAt(doc: SourceDocument, path: Path, rule: string, message: string): Problem {
  const pos = doc.locate([...doc.base, ...path]);
  return { file: doc.file, line: pos.line, column: pos.column, kind: AGENT_CONFIG_KIND, name: '', rule, severity: 'error', message };
}
