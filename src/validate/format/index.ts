/**
 * Output formats of `winha validate`: text (people), json (tools; a
 * contract), junit and sarif (CI systems), github (workflow annotations).
 */
import pc from 'picocolors';
import { RULES, RULE_BY_ID, type Problem } from '../problem.js';
import type { ValidationReport } from '../validate.js';

export const FORMATS = ['text', 'json', 'junit', 'sarif', 'github'] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatOptions {
  color?: boolean;
  /** Tool version shown in SARIF. */
  version?: string;
}

/** The JSON contract: {valid, files, documents, skipped, problems[]}. */
export function formatJson(r: ValidationReport): string {
  const problems = r.problems.map((p) => ({
    file: p.file,
    line: p.line,
    column: p.column,
    kind: p.kind,
    name: p.name,
    rule: p.rule,
    severity: p.severity,
    message: p.message,
  }));
  return JSON.stringify({ valid: r.valid, files: r.files, documents: r.documents, skipped: r.skipped, problems }, null, 2) + '\n';
}

function groupByFile(problems: readonly Problem[]): Map<string, Problem[]> {
  const m = new Map<string, Problem[]>();
  for (const p of problems) {
    const l = m.get(p.file);
    if (l) l.push(p);
    else m.set(p.file, [p]);
  }
  return m;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One problem, one line: a message quoting user text (a kind with a newline) must not break the layout. */
function oneLine(s: string): string {
  return s
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatText(r: ValidationReport, opts: FormatOptions = {}): string {
  const c = pc.createColors(!!opts.color);
  const lines: string[] = [];
  for (const [file, ps] of groupByFile(r.problems)) {
    lines.push(c.underline(file));
    const locW = Math.max(...ps.map((p) => `${p.line}:${p.column}`.length));
    for (const p of ps) {
      const loc = `${p.line}:${p.column}`.padEnd(locW);
      const sev = p.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      const obj = p.kind ? c.dim(`${p.kind}/${p.name || '?'} `) : '';
      lines.push(`  ${c.dim(loc)}  ${sev}  ${obj}${oneLine(p.message)}  ${c.dim(p.rule)}`);
    }
    lines.push('');
  }
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  const counts = `${plural(r.files, 'file')}, ${plural(r.documents, 'document')}${r.skipped ? ` (${r.skipped} of other API groups skipped)` : ''}`;
  if (r.problems.length === 0) lines.push(c.green(`✓ ${counts}: valid`));
  else {
    const summary = `${plural(r.problems.length, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}) in ${counts}`;
    lines.push(errors ? c.red(`✖ ${summary}`) : c.yellow(`⚠ ${summary}`));
  }
  return lines.join('\n') + '\n';
}

function xml(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // XML 1.0 cannot carry most control characters, even escaped.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
  );
}

/** For attribute values: a parser would turn literal newlines and tabs into spaces (attribute-value normalisation). */
function xmlAttr(s: string): string {
  return xml(s).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/**
 * JUnit XML as Jenkins, GitLab, Azure DevOps and the GitHub test reporters
 * read it: one <testsuite> per file, one <testcase> per WinHA object (or
 * "document" for problems outside any object), at most one <failure> per
 * testcase listing all its errors (the Ant schema allows one, and Jenkins
 * shows only the first); warnings go to <system-out> so they never fail a build.
 */
export function formatJunit(r: ValidationReport): string {
  const byFile = new Map<string, Map<string, Problem[]>>();
  const caseName = (kind: string, name: string) => (kind ? `${kind}/${name || '(unnamed)'}` : 'document');
  for (const o of r.objects) {
    const file = o.doc.file;
    if (!byFile.has(file)) byFile.set(file, new Map());
    const meta = o.obj['metadata'] as Record<string, unknown> | undefined;
    const name = typeof meta?.['name'] === 'string' ? meta['name'] : '';
    byFile.get(file)!.set(caseName(String(o.obj['kind']), name), []);
  }
  for (const p of r.problems) {
    if (!byFile.has(p.file)) byFile.set(p.file, new Map());
    const cases = byFile.get(p.file)!;
    const n = caseName(p.kind, p.name);
    if (!cases.has(n)) cases.set(n, []);
    cases.get(n)!.push(p);
  }
  let totalTests = 0;
  let totalFailures = 0;
  const suites: string[] = [];
  for (const [file, cases] of byFile) {
    let failures = 0;
    const body: string[] = [];
    for (const [name, ps] of cases) {
      const errs = ps.filter((p) => p.severity === 'error');
      const warns = ps.filter((p) => p.severity === 'warning');
      if (errs.length) failures++;
      body.push(`    <testcase name="${xmlAttr(name)}" classname="${xmlAttr(file)}" file="${xmlAttr(file)}" time="0">`);
      if (errs.length) {
        const message = errs.map((e) => `${e.rule}: ${e.message}`).join('; ');
        const type = [...new Set(errs.map((e) => e.rule))].join(' ');
        const text = errs.map((e) => `${e.file}:${e.line}:${e.column} ${e.rule} ${e.message}`).join('\n');
        body.push(`      <failure message="${xmlAttr(message)}" type="${xmlAttr(type)}">${xml(text)}</failure>`);
      }
      if (warns.length) {
        body.push(
          `      <system-out>${xml(warns.map((w) => `warning ${w.file}:${w.line}:${w.column} ${w.rule} ${w.message}`).join('\n'))}</system-out>`,
        );
      }
      body.push('    </testcase>');
    }
    totalTests += cases.size;
    totalFailures += failures;
    suites.push(
      `  <testsuite name="${xmlAttr(file)}" tests="${cases.size}" failures="${failures}" errors="0" skipped="0" time="0">`,
      ...body,
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="winha validate" tests="${totalTests}" failures="${totalFailures}" errors="0" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

/** A SARIF artifact URI: forward slashes, percent-encoded, relative to the run's directory. */
function sarifUri(file: string): string {
  if (file === '<stdin>') return 'stdin';
  return file
    .replace(/\\/g, '/')
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it. */
export function formatSarif(r: ValidationReport, opts: FormatOptions = {}): string {
  const ruleIndex = new Map(RULES.map((rule, i) => [rule.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'winha',
            version: opts.version ?? '0.0.0',
            informationUri: 'https://winha.io/docs/validate',
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/(^|-)([a-z0-9])/g, (_m, _d, ch: string) => ch.toUpperCase()),
              shortDescription: { text: rule.summary },
              defaultConfiguration: { level: rule.severity },
            })),
          },
        },
        results: r.problems.map((p) => ({
          ruleId: p.rule,
          ruleIndex: ruleIndex.get(p.rule) ?? -1,
          level: p.severity,
          message: { text: p.kind ? `${p.kind}/${p.name}: ${p.message}` : p.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: sarifUri(p.file) },
                region: { startLine: Math.max(1, p.line), startColumn: Math.max(1, p.column) },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProperty(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands: one annotation per problem. */
export function formatGithub(r: ValidationReport): string {
  const lines = r.problems.map((p) => {
    const cmd = p.severity === 'error' ? 'error' : 'warning';
    const title = p.kind ? `${p.rule} (${p.kind}/${p.name})` : p.rule;
    return `::${cmd} file=${ghProperty(p.file)},line=${p.line},col=${p.column},title=${ghProperty(title)}::${ghData(p.message)}`;
  });
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  lines.push(`winha validate: ${r.files} files, ${r.documents} documents, ${errors} errors, ${r.problems.length - errors} warnings`);
  return lines.join('\n') + '\n';
}

export function format(r: ValidationReport, f: Format, opts: FormatOptions = {}): string {
  switch (f) {
    case 'json':
      return formatJson(r);
    case 'junit':
      return formatJunit(r);
    case 'sarif':
      return formatSarif(r, opts);
    case 'github':
      return formatGithub(r);
    default:
      return formatText(r, opts);
  }
}

export { RULE_BY_ID };
