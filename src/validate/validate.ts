/**
 * Validation of a set of manifests: parse every input, check each WinHA
 * object against its schema, then run the cross-object rules over the whole
 * set. Documents of other API groups are skipped and counted, so a mixed
 * GitOps repository validates as it is.
 */
import { GROUP, API_VERSION } from '../api/group.js';
import { kindInfo, KINDS, type KindName } from '../api/kinds.js';
import { DEFAULT_NAMESPACE } from '../api/defaults.js';
import { RULE_BY_ID, type Problem, type Severity } from './problem.js';
import { DEFAULT_LIMITS, decodeUtf8, isMapping, parseText, type ParseLimits, type Path, type SourceDocument } from './parse.js';
import { checkSchema } from './schema-check.js';
import { key, makeProblem, positionOf, type Entry, type Rule, type RuleContext } from './model.js';
import { clusterRules, duplicateObjects, groupRules } from './rules/topology.js';
import { mirrorRules, siteRules, virtualIpRules } from './rules/resources.js';
import { endpointRules } from './rules/endpoints.js';
import { vipProviderRules } from './rules/vip-provider.js';
import { sharedHostRules } from './rules/shared-hosts.js';
import { AGENT_CONFIG_KIND, checkAgentConfig, problemAt } from './agent-config.js';

/** Cross-object rules, in the order they run. */
export const CROSS_OBJECT_RULES: readonly Rule[] = [
  duplicateObjects,
  clusterRules,
  groupRules,
  virtualIpRules,
  vipProviderRules,
  mirrorRules,
  siteRules,
  endpointRules,
  sharedHostRules,
];

export interface InputFile {
  /** Name shown in problems (a path relative to where the user ran the command, or "-" / "<stdin>"). */
  name: string;
  content: Uint8Array | string;
}

export interface ValidateOptions {
  limits?: ParseLimits;
  /** Objects that already exist (e.g. in the store) and may be referenced; they are not reported on. */
  context?: readonly Record<string, unknown>[];
  /** 'store': the set is about to be applied, so documents that are no store objects (AgentConfig) are errors. */
  target?: 'store';
  /** The namespace of objects that name none (kubectl's: the context's); it is written into them. Default "default". */
  defaultNamespace?: string;
}

export interface ValidationReport {
  valid: boolean;
  files: number;
  documents: number;
  skipped: number;
  /** Names of the core `v1` Namespace documents among the skipped (kubectl needs them; WinHA stores do not). */
  namespaces: string[];
  problems: Problem[];
  /** The WinHA objects read, in input order, with their source documents. */
  objects: { obj: Record<string, unknown>; doc: SourceDocument }[];
}

interface Classified {
  entries: Entry[];
  documents: number;
  skipped: number;
  namespaces: string[];
}

function docProblem(doc: SourceDocument, path: Path, rule: string, message: string, kind = '', name = ''): Problem {
  const pos = doc.locate([...doc.base, ...path]);
  return { file: doc.file, line: pos.line, column: pos.column, kind, name, rule, severity: 'error', message };
}

/** Expand `kind: List` documents (kubectl's and `winha get -o yaml`'s shape) into their items. */
function expandLists(docs: SourceDocument[]): SourceDocument[] {
  const out: SourceDocument[] = [];
  for (const d of docs) {
    const v = d.value;
    if (isMapping(v) && v['kind'] === 'List' && v['apiVersion'] === 'v1' && Array.isArray(v['items'])) {
      (v['items'] as unknown[]).forEach((item, i) => out.push(d.at(item, [...d.base, 'items', i])));
    } else out.push(d);
  }
  return out;
}

function agentConfigNotApplyable(doc: SourceDocument): Problem {
  return problemAt(
    doc,
    ['kind'],
    'not-applyable',
    'AgentConfig is the configuration file of one node agent (winha agent --config FILE), not an object of the cluster: it is never applied to the store; leave it out of the manifests',
  );
}

function classify(docs: SourceDocument[], problems: Problem[], opts: ValidateOptions): Classified {
  const { target } = opts;
  const entries: Entry[] = [];
  let documents = 0;
  let skipped = 0;
  const namespaces: string[] = [];
  for (const doc of expandLists(docs)) {
    documents++;
    const v = doc.value;
    if (!isMapping(v)) {
      const what = Array.isArray(v) ? 'a list' : typeof v === 'string' ? 'a string' : `a ${typeof v}`;
      problems.push(docProblem(doc, [], 'not-an-object', `document is ${what}, not a mapping with apiVersion, kind and metadata`));
      continue;
    }
    const apiVersion = v['apiVersion'];
    const kind = v['kind'];
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      problems.push(
        docProblem(
          doc,
          typeof apiVersion !== 'string' ? ['apiVersion'] : ['kind'],
          'schema',
          `missing or invalid ${typeof apiVersion !== 'string' ? 'apiVersion' : 'kind'}: every document needs apiVersion and kind`,
        ),
      );
      continue;
    }
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (group !== GROUP) {
      skipped++;
      const nsName = isMapping(v['metadata']) ? v['metadata']['name'] : undefined;
      if (apiVersion === 'v1' && kind === 'Namespace' && typeof nsName === 'string') namespaces.push(nsName);
      continue;
    }
    if (apiVersion === API_VERSION && kind === AGENT_CONFIG_KIND) {
      // The agent's own configuration file: same schema as `winha agent --config`; never an object of the store.
      for (const p of checkAgentConfig(doc)) problems.push(p);
      if (target === 'store') problems.push(agentConfigNotApplyable(doc));
      continue;
    }
    const info = kindInfo(kind);
    if (apiVersion !== API_VERSION || !info) {
      const known = KINDS.map((k) => k.kind).join(', ');
      problems.push(
        docProblem(
          doc,
          apiVersion !== API_VERSION ? ['apiVersion'] : ['kind'],
          'unknown-kind',
          apiVersion !== API_VERSION
            ? `unknown version ${apiVersion}: this winha knows ${API_VERSION}`
            : `unknown kind ${kind} in ${API_VERSION} (kinds: ${known})`,
        ),
      );
      continue;
    }
    // A Sync is the record `winha sync` writes of itself: applying one would fight the syncer.
    if (target === 'store' && info.kind === 'Sync')
      problems.push(
        problemAt(
          doc,
          ['kind'],
          'not-applyable',
          'Sync is written by winha sync itself (its flags and its last pass), not applied: leave it out of the manifests',
        ),
      );
    const meta = isMapping(v['metadata']) ? v['metadata'] : undefined;
    const name = meta && typeof meta['name'] === 'string' ? meta['name'] : '';
    if (meta && meta['namespace'] === undefined && opts.defaultNamespace !== undefined) meta['namespace'] = opts.defaultNamespace;
    const namespace = meta && typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE;
    const issues = checkSchema(info.kind, v);
    for (const issue of issues) problems.push(docProblem(doc, issue.path, issue.rule, issue.message, info.kind, name));
    if (!name) continue; // unnamed objects cannot take part in cross-object rules
    entries.push({ kind: info.kind, namespace, name, obj: v, valid: !issues.some((i) => i.structural), doc });
  }
  return { entries, documents, skipped, namespaces };
}

/** Validate parsed documents as one set (plus optional context objects). */
export function validateDocuments(
  docs: SourceDocument[],
  opts: ValidateOptions = {},
  initialProblems: Problem[] = [],
): Omit<ValidationReport, 'files'> {
  const problems: Problem[] = [...initialProblems];
  const { entries, documents, skipped, namespaces } = classify(docs, problems, opts);
  const contextEntries: Entry[] = [];
  const inInput = opts.context?.length ? new Set(entries.map((e) => key(e.kind, e.namespace, e.name))) : undefined;
  for (const o of opts.context ?? []) {
    const meta = o['metadata'] as Record<string, unknown> | undefined;
    const info = kindInfo(String(o['kind']));
    if (!info || !meta || typeof meta['name'] !== 'string') continue;
    const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE;
    // An object in the input replaces its stored version.
    if (inInput?.has(key(info.kind, namespace, meta['name']))) continue;
    contextEntries.push({
      kind: info.kind,
      namespace,
      name: meta['name'],
      obj: o,
      valid: !checkSchema(info.kind, o).some((i) => i.structural),
    });
  }
  const all = [...entries, ...contextEntries];
  for (const p of runRules(all)) problems.push(p);
  problems.sort(compareProblems);
  return {
    valid: !problems.some((p) => p.severity === 'error'),
    documents,
    skipped,
    namespaces,
    problems,
    objects: entries.map((e) => ({ obj: e.obj, doc: e.doc! })),
  };
}

/** Run every cross-object rule; problems on context objects (not in the input) are dropped. */
export function runRules(all: Entry[]): Problem[] {
  const out: Problem[] = [];
  const validByKind = new Map<KindName, Entry[]>();
  // kind → namespace → name → first declaration (nested maps: no key strings to build per lookup)
  const declared = new Map<KindName, Map<string, Map<string, Entry>>>();
  const byNamespace = new Map<KindName, Map<string, Entry[]>>();
  const dupes = new Map<Entry, Entry[]>();
  for (const e of all) {
    let kindNs = byNamespace.get(e.kind);
    if (!kindNs) byNamespace.set(e.kind, (kindNs = new Map<string, Entry[]>()));
    const inNs = kindNs.get(e.namespace);
    if (inNs) inNs.push(e);
    else kindNs.set(e.namespace, [e]);
    if (e.valid) {
      const list = validByKind.get(e.kind);
      if (list) list.push(e);
      else validByKind.set(e.kind, [e]);
    }
    let kindDecl = declared.get(e.kind);
    if (!kindDecl) declared.set(e.kind, (kindDecl = new Map<string, Map<string, Entry>>()));
    let nsDecl = kindDecl.get(e.namespace);
    if (!nsDecl) kindDecl.set(e.namespace, (nsDecl = new Map<string, Entry>()));
    const first = nsDecl.get(e.name);
    if (!first) nsDecl.set(e.name, e);
    else if (e.doc && first.doc) {
      const list = dupes.get(first);
      if (list) list.push(e);
      else dupes.set(first, [first, e]);
    }
  }
  const memos = new Map<string, unknown>();
  const seen = new Set<string>();
  const ctx: RuleContext = {
    entries: all,
    valid: (kind) => validByKind.get(kind) ?? [],
    inNamespace: (kind, namespace) => byNamespace.get(kind)?.get(namespace) ?? [],
    declared: (kind, namespace, name) => declared.get(kind)?.get(namespace)?.get(name),
    duplicates: () => [...dupes.values()],
    memo<T>(name: string, build: () => T): T {
      if (!memos.has(name)) memos.set(name, build());
      return memos.get(name) as T;
    },
    report(entry, path, rule, message, severity?: Severity) {
      if (!entry.doc) return;
      const sev = severity ?? RULE_BY_ID.get(rule)?.severity ?? 'error';
      const p = makeProblem(entry, path, rule, message, sev);
      const dedupe = `${p.file}:${p.line}:${p.column}:${rule}:${message}`;
      if (seen.has(dedupe)) return;
      seen.add(dedupe);
      out.push(p);
    },
    placeOf(entry, path) {
      if (!entry.doc) return `the store`;
      const pos = positionOf(entry, path);
      return `${entry.doc.file}:${pos.line}:${pos.column}`;
    },
  };
  for (const rule of CROSS_OBJECT_RULES) {
    try {
      rule(ctx);
    } catch (err) {
      // A rule must never take the run down; report the failure as a problem instead.
      out.push({
        file: '(validator)',
        line: 1,
        column: 1,
        kind: '',
        name: '',
        rule: 'schema',
        severity: 'error',
        message: `internal rule error: ${(err as Error).message}`,
      });
    }
  }
  return out;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

/** Validate files given as bytes or text (the whole pipeline minus reading the disk). */
export function validateInputs(inputs: readonly InputFile[], opts: ValidateOptions = {}): ValidationReport {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const docs: SourceDocument[] = [];
  const problems: Problem[] = [];
  for (const input of inputs) {
    let text: string;
    if (typeof input.content === 'string') text = input.content;
    else {
      const decoded = decodeUtf8(input.name, input.content);
      if (decoded.problem) {
        problems.push(decoded.problem);
        continue;
      }
      text = decoded.text!;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const parsed = parseText(input.name, text, limits);
    // One push per item: spreading 130,000 documents into push() overflows the stack.
    for (const d of parsed.documents) docs.push(d);
    for (const p of parsed.problems) problems.push(p);
  }
  const result = validateDocuments(docs, opts, problems);
  return { ...result, files: inputs.length };
}
