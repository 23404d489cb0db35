/**
 * A Scenario back to a scenario file (the fuzzer writes its minimal
 * reproductions with it). The inverse of the parser: parsing the written
 * file gives the same steps (a test proves it).
 */
import { dirname, relative, sep } from 'node:path';
import { API_VERSION } from '../../api/group.js';
import { formatDuration } from './duration.js';
import type { Condition, Scenario, Step } from './model.js';
import { DEFAULT_CONVERGE_WITHIN_MS } from './model.js';
import { toYaml } from '../../lib/yaml.js';

function conditionYaml(c: Condition): Record<string, unknown> {
  switch (c.kind) {
    case 'group': {
      const { kind: _k, ...rest } = c;
      return rest;
    }
    case 'mirror': {
      const { kind: _k, ...rest } = c;
      return rest;
    }
    case 'event': {
      // The count and the window are written inside the match, as the parser reads them.
      const match = {
        ...c.match,
        ...(c.since !== undefined ? { since: c.since } : {}),
        ...(c.min !== undefined ? { min: c.min } : {}),
        ...(c.max !== undefined ? { max: c.max } : {}),
      };
      return c.absent ? { noEvent: match } : { event: match };
    }
    case 'site':
      return { site: c.site, node: c.node, state: c.state };
    case 'address':
      return { address: c.address, holders: c.holders };
    case 'cloudRoute':
      return { cloudRoute: c.address, routedTo: c.nodes };
  }
}

export function stepYaml(s: Step): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.name) out['name'] = s.name;
  const outcome = (o: Record<string, unknown>, v: string) => (v === 'accepted' ? o : { ...o, outcome: v });
  switch (s.type) {
    case 'waitFor':
      out['waitFor'] = { ...conditionYaml(s.condition), within: formatDuration(s.withinMs) };
      break;
    case 'expect':
      out['expect'] = s.forMs ? { ...conditionYaml(s.condition), for: formatDuration(s.forMs) } : conditionYaml(s.condition);
      break;
    case 'fault': {
      if (s.fault.type === 'write') {
        const { type: _t, ...rest } = s.fault;
        out['write'] = rest;
      } else out['fault'] = { ...s.fault };
      break;
    }
    case 'sleep':
      out['sleep'] = formatDuration(s.ms);
      break;
    case 'operator': {
      const { action, ...rest } = s.operator;
      if (action === 'setDesiredState') out['desiredState'] = outcome(rest, s.outcome);
      else out[action] = outcome(rest, s.outcome);
      break;
    }
    case 'manual':
      out['manual'] = outcome({ ...s.manual }, s.outcome);
      break;
  }
  return out;
}

/** The scenario as file text; manifest paths are made relative to `path`'s directory. */
export function scenarioYaml(s: Scenario, path: string, comment = ''): string {
  const spec: Record<string, unknown> = {};
  if (s.manifestFiles.length > 0) {
    spec['manifests'] = s.manifestFiles.map((f) => {
      const r = relative(dirname(path), f).split(sep).join('/');
      return r.startsWith('.') ? r : `./${r}`;
    });
  } else spec['objects'] = s.objects;
  if (s.timing) spec['timing'] = s.timing;
  if (s.world) {
    const w: Record<string, unknown> = {};
    if (s.world.switchoverUnreachableMs !== undefined) w['switchoverUnreachable'] = formatDuration(s.world.switchoverUnreachableMs);
    if (s.world.switchoverMs !== undefined) w['switchover'] = formatDuration(s.world.switchoverMs);
    if (s.world.serviceStartMs !== undefined) w['serviceStart'] = formatDuration(s.world.serviceStartMs);
    if (s.world.serviceStopMs !== undefined) w['serviceStop'] = formatDuration(s.world.serviceStopMs);
    if (s.world.dadMs !== undefined) w['addressDetection'] = formatDuration(s.world.dadMs);
    if (s.world.resyncBlocksPerSecond !== undefined) w['resyncBlocksPerSecond'] = s.world.resyncBlocksPerSecond;
    spec['world'] = w;
  }
  if (s.seed !== undefined) spec['seed'] = s.seed;
  if (s.convergeWithinMs !== DEFAULT_CONVERGE_WITHIN_MS) spec['convergeWithin'] = formatDuration(s.convergeWithinMs);
  spec['steps'] = s.steps.map(stepYaml);
  spec['invariants'] = s.invariants;
  const doc = { apiVersion: API_VERSION, kind: 'Scenario', metadata: { name: s.name }, spec };
  const header = comment
    ? `${comment
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  return `${header}${toYaml(doc)}`;
}
