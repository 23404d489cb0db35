/**
 * The validator's acceptance base set and the helpers rule tests share: run a
 * set of objects through validateInputs and look at problems by rule and place.
 */
import assert from 'node:assert/strict';
import { toYaml as stringify } from '../../src/lib/yaml.js';
import { validateInputs, type ValidationReport } from '../../src/validate/validate.js';
import type { Problem } from '../../src/validate/problem.js';

export type Obj = Record<string, any>;

/** The acceptance defaults: node1/node2, group web (1/10), VIP 10.0.0.50/24, mirror E:, site website1. */
export function base(): Obj[] {
  return [
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'prod' },
      spec: {
        nodes: [
          { name: 'node1', address: '192.168.0.1' },
          { name: 'node2', address: '192.168.0.2' },
        ],
      },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'FailoverGroup',
      metadata: { name: 'web' },
      spec: {
        nodes: [
          { name: 'node1', priority: 1 },
          { name: 'node2', priority: 10 },
        ],
      },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'VirtualIP',
      metadata: { name: 'web-vip' },
      spec: { group: 'web', address: '10.0.0.50', prefixLength: 24 },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'Mirror',
      metadata: { name: 'web-data' },
      spec: {
        group: 'web',
        volume: 'E:',
        endpoints: [
          { node: 'node1', address: '172.16.0.1' },
          { node: 'node2', address: '172.16.0.2' },
        ],
      },
    },
    {
      apiVersion: 'winha.io/v1alpha1',
      kind: 'IISSite',
      metadata: { name: 'website1' },
      spec: {
        group: 'web',
        siteName: 'website1',
        bindings: [{ protocol: 'http', address: '10.0.0.50', port: 80, hostHeader: 'www.example.com' }],
        physicalPath: 'E:\\sites\\website1',
      },
    },
  ];
}

export function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} in fixture`);
  return o;
}

export interface Run {
  report: ValidationReport;
  text: string;
  of(rule: string): Problem[];
  /** The source line a problem points at. */
  line(p: Problem): string;
}

export function run(objs: Obj[], context: Obj[] = []): Run {
  const text = objs.map((o) => stringify(o)).join('---\n');
  const report = validateInputs([{ name: 'set.yaml', content: text }], { context });
  const lines = text.split('\n');
  return {
    report,
    text,
    of: (rule) => report.problems.filter((p) => p.rule === rule),
    line: (p) => lines[p.line - 1] ?? '',
  };
}

export function expectOnly(r: Run, rule: string, count: number): Problem[] {
  const ps = r.of(rule);
  assert.equal(ps.length, count, `${rule}: expected ${count}, got ${JSON.stringify(r.report.problems, null, 1)}`);
  return ps;
}

/** The problem points at the node containing `snippet` (column included). */
export function pointsAt(r: Run, p: Problem, snippet: string): void {
  const l = r.line(p);
  assert.ok(l.includes(snippet), `line ${p.line} "${l}" should contain ${snippet}`);
  assert.ok(p.column >= 1 && p.column <= l.length + 1, `column ${p.column} within line`);
  assert.ok(
    l.slice(p.column - 1).startsWith(snippet) || l.slice(0, p.column + snippet.length).includes(snippet.split(':')[0]!),
    `column ${p.column} of "${l}" is at ${snippet}`,
  );
}
