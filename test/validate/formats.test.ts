/**
 * The five output formats of `winha validate`, checked the way their readers
 * check them: the JSON contract other tools parse, SARIF against the official
 * 2.1.0 schema, JUnit against the Ant/Jenkins shape with a real XSD validator,
 * GitHub workflow commands with their escaping, and text for people. Then the
 * built binary, for exit codes and standard input (acceptance rows V6, V9).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { validateInputs, type InputFile, type ValidationReport } from '../../src/validate/validate.js';
import { format, type Format } from '../../src/validate/format/index.js';
import { RULES, type Problem } from '../../src/validate/problem.js';
import { BIN, EXAMPLES_DIR, FIXTURES_DIR, ROOT } from '../support/paths.js';

// --- the input set: errors, warnings, a skipped document, awkward names -----

const EXAMPLE = readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8');
const CONFIG_MAP = '---\n# not ours: counted as skipped\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n';

function mutate(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the example no longer contains ${from}`);
  return text.replace(from, to);
}

/** The example with two errors (V5 invalid-site-name, V2 binding-address-not-virtual) and a ConfigMap. */
const BROKEN_WEB =
  mutate(mutate(EXAMPLE, 'siteName: website1 ', 'siteName: "Web Site_1"'), 'address: 10.0.0.51, port: 21', 'address: 10.0.0.99, port: 21') +
  CONFIG_MAP;
/** A group that can run on one node: warnings only (single-node-group, group-without-resources). */
const SOLO_GROUP =
  'apiVersion: winha.io/v1alpha1\nkind: FailoverGroup\nmetadata:\n  name: solo\nspec:\n  nodes:\n    - {name: node1, priority: 1}\n';
/** A kind with a newline, a comma, a colon and a percent sign: every escaping rule at once. */
const ODD_KIND = 'apiVersion: winha.io/v1alpha1\nkind: "Bo\\ngus, 100%: x"\nmetadata:\n  name: b\n';

const INPUTS: InputFile[] = [
  { name: 'web/two-node-web.yaml', content: BROKEN_WEB },
  { name: 'odd, name: 100%.yaml', content: SOLO_GROUP },
  { name: 'bogus.yaml', content: ODD_KIND },
];
const TEXT_OF = new Map(INPUTS.map((i) => [i.name, String(i.content)]));

let report: ValidationReport;
let validReport: ValidationReport;

before(() => {
  report = validateInputs(INPUTS);
  validReport = validateInputs([{ name: 'two-node-web.yaml', content: EXAMPLE }]);
});

function errorsOf(r: ValidationReport): Problem[] {
  return r.problems.filter((p) => p.severity === 'error');
}

describe('the input set', () => {
  test('has the errors and warnings the format tests rely on', () => {
    assert.deepEqual(
      report.problems.map((p) => `${p.file} ${p.severity} ${p.rule}`),
      [
        'bogus.yaml error unknown-kind',
        'odd, name: 100%.yaml warning group-without-resources',
        'odd, name: 100%.yaml warning single-node-group',
        'web/two-node-web.yaml error invalid-site-name',
        'web/two-node-web.yaml error binding-address-not-virtual',
      ],
    );
    assert.equal(validReport.problems.length, 0);
  });
});

// --- json ----------------------------------------------------------------------

describe('-o json: the contract other tools read', () => {
  test('exactly {valid, files, documents, skipped, problems[{file,line,column,kind,name,rule,severity,message}]}', () => {
    const out = JSON.parse(format(report, 'json')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['valid', 'files', 'documents', 'skipped', 'problems']);
    assert.equal(out['valid'], false);
    assert.equal(out['files'], 3);
    assert.equal(out['documents'], 12, '9 example objects + the ConfigMap + the solo group + the bogus kind');
    assert.equal(out['skipped'], 1, 'the ConfigMap');
    const problems = out['problems'] as Record<string, unknown>[];
    assert.ok(Array.isArray(problems));
    assert.equal(problems.length, 5);
    for (const p of problems) {
      assert.deepEqual(Object.keys(p), ['file', 'line', 'column', 'kind', 'name', 'rule', 'severity', 'message']);
      for (const k of ['file', 'kind', 'name', 'rule', 'message']) assert.equal(typeof p[k], 'string', `${k} of ${JSON.stringify(p)}`);
      for (const k of ['line', 'column']) assert.ok(Number.isInteger(p[k]) && (p[k] as number) >= 1, `${k} of ${JSON.stringify(p)}`);
      assert.ok(p['severity'] === 'error' || p['severity'] === 'warning');
      assert.ok(RULES.some((r) => r.id === p['rule']));
    }
  });

  test('line and column are 1-based: they point at the offending text', () => {
    const out = JSON.parse(format(report, 'json')) as { problems: Problem[] };
    const at = (p: Problem) => {
      const lines = TEXT_OF.get(p.file)!.split('\n');
      return lines[p.line - 1]!.slice(p.column - 1);
    };
    const site = out.problems.find((p) => p.rule === 'invalid-site-name')!;
    assert.ok(at(site).startsWith('"Web Site_1"'), at(site));
    assert.deepEqual([site.kind, site.name], ['IISSite', 'website1']);
    const binding = out.problems.find((p) => p.rule === 'binding-address-not-virtual')!;
    assert.ok(at(binding).startsWith('10.0.0.99'), at(binding));
    const bogus = out.problems.find((p) => p.rule === 'unknown-kind')!;
    assert.ok(at(bogus).startsWith('"Bo'), at(bogus));
  });

  test('a valid set is {valid: true, problems: []}', () => {
    const out = JSON.parse(format(validReport, 'json')) as Record<string, unknown>;
    assert.equal(out['valid'], true);
    assert.deepEqual(out['problems'], []);
    assert.equal(out['documents'], 9);
  });
});

// --- sarif -----------------------------------------------------------------------

const SARIF_SCHEMA = JSON.parse(
  readFileSync(join(ROOT, 'node_modules', '@microsoft', 'sarif-matcher-utils', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8'),
) as Record<string, unknown>;

function sarifValidator() {
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormatsModule.default(ajv);
  return ajv.compile(SARIF_SCHEMA);
}

interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; defaultConfiguration?: { level: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[];
    }[];
  }[];
}

describe('-o sarif: SARIF 2.1.0 as code-scanning tools read it', () => {
  const validate = sarifValidator();

  for (const [label, get] of [
    ['with problems', () => report],
    ['without problems', () => validReport],
  ] as const) {
    test(`validates against the official SARIF 2.1.0 schema (${label})`, () => {
      const log = JSON.parse(format(get(), 'sarif', { version: '1.2.3' })) as unknown;
      const ok = validate(log);
      assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    });
  }

  test('the schema check is real: a log without "version" is refused', () => {
    const log = JSON.parse(format(report, 'sarif')) as Record<string, unknown>;
    delete log['version'];
    assert.equal(validate(log), false);
  });

  test('every result names a rule of the driver, and ruleIndex points at it', () => {
    const log = JSON.parse(format(report, 'sarif', { version: '1.2.3' })) as SarifLog;
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0]!;
    const rules = run.tool.driver.rules;
    assert.deepEqual(
      rules.map((r) => r.id),
      RULES.map((r) => r.id),
    );
    assert.equal(run.results.length, report.problems.length);
    for (const [i, res] of run.results.entries()) {
      const p = report.problems[i]!;
      assert.equal(res.ruleId, p.rule);
      assert.ok(res.ruleIndex >= 0 && res.ruleIndex < rules.length, `ruleIndex ${res.ruleIndex}`);
      assert.equal(rules[res.ruleIndex]!.id, res.ruleId);
      assert.equal(res.level, p.severity);
      const loc = res.locations[0]!.physicalLocation;
      assert.equal(decodeURIComponent(loc.artifactLocation.uri), p.file);
      assert.deepEqual([loc.region.startLine, loc.region.startColumn], [p.line, p.column]);
    }
  });
});

// --- junit -----------------------------------------------------------------------

const JUNIT_XSD = readFileSync(join(FIXTURES_DIR, 'junit.xsd'), 'utf8');

async function xsdErrors(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [JUNIT_XSD] });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

type XmlNode = Record<string, unknown> & { '#text'?: string };

function parseJunit(xml: string): { suites: XmlNode[]; root: XmlNode } {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    htmlEntities: true,
    isArray: (name) => ['testsuite', 'testcase', 'failure', 'error'].includes(name),
  });
  const doc = parser.parse(xml) as { testsuites: XmlNode };
  return { root: doc.testsuites, suites: (doc.testsuites['testsuite'] as XmlNode[] | undefined) ?? [] };
}

describe('-o junit: the JUnit shape CI systems read', () => {
  test('is well-formed XML', () => {
    for (const r of [report, validReport]) assert.equal(XMLValidator.validate(format(r, 'junit')), true);
  });

  test('validates against the Ant/Jenkins JUnit schema (with and without problems)', async () => {
    assert.deepEqual(await xsdErrors(format(report, 'junit')), []);
    assert.deepEqual(await xsdErrors(format(validReport, 'junit')), []);
  });

  test('the schema check is real: a testcase without classname, or two failures in one case, is refused', async () => {
    const xml = format(report, 'junit');
    assert.notDeepEqual(await xsdErrors(xml.replace(/ classname="[^"]*"/, '')), []);
    assert.notDeepEqual(await xsdErrors(xml.replace(/(<failure [^>]*>[^<]*<\/failure>)/, '$1$1')), []);
  });

  test('counts add up: failures = failing cases, every error is in a failure, warnings fail nothing', () => {
    const { root, suites } = parseJunit(format(report, 'junit'));
    let cases = 0;
    let failing = 0;
    const failureTexts: string[] = [];
    for (const s of suites) {
      const tcs = (s['testcase'] as XmlNode[] | undefined) ?? [];
      const failed = tcs.filter((tc) => tc['failure']);
      assert.equal(Number(s['tests']), tcs.length, `tests of ${String(s['name'])}`);
      assert.equal(Number(s['failures']), failed.length, `failures of ${String(s['name'])}`);
      for (const tc of tcs) assert.equal(tc['classname'], s['name']);
      for (const tc of failed)
        failureTexts.push(...(tc['failure'] as XmlNode[]).map((f) => `${String(f['message'])}\n${String(f['#text'])}`));
      cases += tcs.length;
      failing += failed.length;
    }
    assert.equal(Number(root['tests']), cases);
    assert.equal(Number(root['failures']), failing);
    // One failing case per object with errors: here three objects each with one error.
    const errs = errorsOf(report);
    assert.equal(failing, new Set(errs.map((e) => `${e.file}|${e.kind}/${e.name}`)).size);
    assert.equal(failing, 3);
    for (const e of errs) {
      assert.ok(
        failureTexts.some((t) => t.includes(`${e.file}:${e.line}:${e.column} ${e.rule}`)),
        `error ${e.rule} of ${e.file} missing`,
      );
    }
    // Every object is a testcase, so a passing object shows as a passing test.
    assert.equal(cases, 9 + 1 + 1);
    // The warnings are in system-out of the solo group's case, which passes.
    const solo = suites.find((s) => s['name'] === 'odd, name: 100%.yaml')!;
    const tc = (solo['testcase'] as XmlNode[])[0]!;
    assert.equal(tc['failure'], undefined);
    assert.match(String(tc['system-out']), /single-node-group/);
  });

  test('an object with several errors is one failing testcase that lists them all', () => {
    const text = mutate(
      mutate(EXAMPLE, 'siteName: website1 ', 'siteName: "Web Site_1"'),
      '{protocol: http, address: 10.0.0.50,',
      '{protocol: http, address: 10.0.0.77,',
    );
    const r = validateInputs([{ name: 'two.yaml', content: text }]);
    const siteErrors = errorsOf(r).filter((p) => p.name === 'website1');
    assert.ok(siteErrors.length >= 2, JSON.stringify(r.problems));
    const { suites } = parseJunit(format(r, 'junit'));
    const tc = (suites[0]!['testcase'] as XmlNode[]).find((t) => t['name'] === 'IISSite/website1')!;
    const failures = tc['failure'] as XmlNode[];
    assert.equal(failures.length, 1);
    for (const e of siteErrors) assert.ok(String(failures[0]!['#text']).includes(`${e.line}:${e.column} ${e.rule}`));
  });

  test('a newline in a message survives in the failure message attribute', () => {
    const { suites } = parseJunit(format(report, 'junit'));
    const bogus = suites.find((s) => s['name'] === 'bogus.yaml')!;
    const f = ((bogus['testcase'] as XmlNode[])[0]!['failure'] as XmlNode[])[0]!;
    assert.match(String(f['message']), /Bo\ngus, 100%: x/);
  });
});

// --- github ------------------------------------------------------------------------

const GH_LINE = /^::(error|warning) file=([^,:\r\n]*),line=(\d+),col=(\d+),title=([^,:\r\n]*)::([^\r\n]*)$/;

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
}

describe('-o github: workflow annotations', () => {
  test('one ::error/::warning line per problem, with %, comma, colon and newlines escaped', () => {
    const lines = format(report, 'github').trimEnd().split('\n');
    const annotations = lines.filter((l) => l.startsWith('::'));
    assert.equal(annotations.length, report.problems.length, 'a newline in a message split an annotation');
    for (const [i, line] of annotations.entries()) {
      const p = report.problems[i]!;
      const m = GH_LINE.exec(line);
      assert.ok(m, `not a workflow command: ${line}`);
      const [, cmd, file, l, c, title, message] = m;
      assert.equal(cmd, p.severity);
      assert.equal(unescapeProperty(file!), p.file);
      assert.deepEqual([Number(l), Number(c)], [p.line, p.column]);
      assert.ok(unescapeProperty(title!).startsWith(p.rule));
      assert.equal(unescapeData(message!), p.message);
    }
    assert.ok(annotations.some((l) => l.includes('file=odd%2C name%3A 100%25.yaml,')));
    assert.ok(annotations.some((l) => l.includes('Bo%0Agus, 100%25: x')));
  });

  test('a valid set prints no annotation', () => {
    assert.equal(
      format(validReport, 'github')
        .split('\n')
        .filter((l) => l.startsWith('::')).length,
      0,
    );
  });
});

// --- text ---------------------------------------------------------------------------

describe('-o text: for people', () => {
  const ANSI = /\u001b\[/;

  test('problems are grouped under each file name, one line each', () => {
    const out = format(report, 'text', { color: false });
    const lines = out.split('\n');
    const headers = lines.filter((l) => l.length > 0 && !l.startsWith(' ') && !/^[✓✖⚠]/.test(l));
    assert.deepEqual(headers, ['bogus.yaml', 'odd, name: 100%.yaml', 'web/two-node-web.yaml']);
    for (const file of headers) {
      const start = lines.indexOf(file);
      let end = lines.indexOf('', start);
      if (end < 0) end = lines.length;
      const block = lines.slice(start + 1, end);
      const mine = report.problems.filter((p) => p.file === file);
      assert.equal(block.length, mine.length, `block of ${file}:\n${block.join('\n')}`);
      for (const [i, p] of mine.entries()) {
        assert.match(block[i]!, new RegExp(`^\\s+${p.line}:${p.column}\\s+${p.severity}\\b.*\\b${p.rule}$`));
      }
    }
    assert.match(
      lines.filter((l) => l).at(-1)!,
      /5 problems \(3 errors, 2 warnings\) in 3 files, 12 documents \(1 of other API groups skipped\)/,
    );
  });

  test('no ANSI escape codes when colour is off; some when it is on', () => {
    assert.doesNotMatch(format(report, 'text', { color: false }), ANSI);
    assert.doesNotMatch(format(validReport, 'text', { color: false }), ANSI);
    assert.match(format(report, 'text', { color: true }), ANSI);
  });

  test('a valid set says so', () => {
    assert.match(format(validReport, 'text', { color: false }), /^✓ 1 file, 9 documents: valid\n$/);
  });
});

// --- the binary ----------------------------------------------------------------------

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function winha(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Run): { valid: boolean; files: number; documents: number; skipped: number; problems: Problem[] } {
  return JSON.parse(r.stdout) as ReturnType<typeof json>;
}

describe('the winha binary', () => {
  let dir: string;
  const CLUSTER = EXAMPLE.slice(0, EXAMPLE.indexOf('\n---', EXAMPLE.indexOf('kind: Cluster')));
  /** A cluster and a group that can run on one node only, with a VIP: warnings and nothing else. */
  const WARNINGS_ONLY = `${CLUSTER}\n---\n${SOLO_GROUP}---\napiVersion: winha.io/v1alpha1\nkind: VirtualIP\nmetadata:\n  name: solo-vip\nspec:\n  group: solo\n  address: 10.0.0.60\n  prefixLength: 24\n  interface: Public\n`;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'winha-formats-'));
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'web.yaml'), BROKEN_WEB);
    writeFileSync(join(dir, 'warnings.yaml'), WARNINGS_ONLY);
    writeFileSync(join(dir, 'mixed.yaml'), EXAMPLE + CONFIG_MAP);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('exit 0 on the examples', () => {
    const r = winha(['validate', '-R', 'manifests/examples']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // active-active.yaml carries one warning on purpose (automatic-switchback-with-mirror; see test/api/crd.test.ts).
    assert.match(r.stdout, /0 errors, 1 warning/);
    assert.match(r.stdout, /automatic-switchback-with-mirror/);
  });

  test('exit 1 when there are errors, in every output format', () => {
    for (const fmt of ['text', 'json', 'junit', 'sarif', 'github'] as Format[]) {
      const r = winha(['validate', '-R', join(dir, 'broken'), '-o', fmt]);
      assert.equal(r.status, 1, `${fmt}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0);
    }
    const out = json(winha(['validate', '-R', join(dir, 'broken'), '-o', 'json']));
    assert.equal(out.valid, false);
    assert.deepEqual(out.problems.map((p) => p.rule).sort(), ['binding-address-not-virtual', 'invalid-site-name']);
  });

  test('warnings only: exit 0, and exit 1 with --strict', () => {
    const lenient = winha(['validate', join(dir, 'warnings.yaml'), '-o', 'json']);
    assert.equal(lenient.status, 0, lenient.stdout + lenient.stderr);
    const out = json(lenient);
    assert.ok(out.problems.length > 0 && out.problems.every((p) => p.severity === 'warning'), JSON.stringify(out.problems));
    assert.ok(out.problems.some((p) => p.rule === 'single-node-group'));
    assert.equal(out.valid, true);
    const strict = winha(['validate', '--strict', join(dir, 'warnings.yaml'), '-o', 'json']);
    assert.equal(strict.status, 1);
    assert.equal(json(strict).valid, false);
  });

  test('exit 2 for a missing file, with a message on stderr and nothing on stdout', () => {
    const r = winha(['validate', join(dir, 'no-such-file.yaml')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no-such-file\.yaml/);
    assert.equal(r.stdout, '');
  });

  test('exit 2 for an unknown output format', () => {
    const r = winha(['validate', '-o', 'xml', 'manifests/examples']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /xml/);
  });

  test('exit 2 when no path is named', () => {
    assert.equal(winha(['validate']).status, 2);
  });

  test('"-" reads standard input', () => {
    const ok = winha(['validate', '-o', 'json', '-'], EXAMPLE);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(json(ok).documents, 9);
    const bad = winha(['validate', '-o', 'json', '-'], BROKEN_WEB);
    assert.equal(bad.status, 1);
    const out = json(bad);
    assert.ok(out.problems.length > 0);
    assert.ok(
      out.problems.every((p) => p.file === '<stdin>'),
      JSON.stringify(out.problems.map((p) => p.file)),
    );
  });

  test('a mixed file: the v1 ConfigMap is skipped and counted, the rest validated', () => {
    const r = winha(['validate', '-o', 'json', join(dir, 'mixed.yaml')]);
    assert.equal(r.status, 0, r.stdout);
    const out = json(r);
    assert.equal(out.skipped, 1);
    assert.equal(out.documents, 10);
    const text = winha(['validate', join(dir, 'mixed.yaml')]);
    assert.match(text.stdout, /1 of other API groups skipped/);
  });
});
