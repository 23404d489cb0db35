/**
 * Kubernetes CustomResourceDefinitions generated from the kind registry.
 *
 * The validator's schemas are closed (unknown fields are errors, like
 * kubectl's strict field validation); a CRD schema must be *structural*
 * (apiextensions.k8s.io/v1), so the conversion drops what Kubernetes refuses:
 * `additionalProperties: false`, `patternProperties` (→ additionalProperties),
 * `const` (→ a one-value enum), and every field under metadata.
 */
import { toYaml } from '../lib/yaml.js';
import { GROUP, VERSION } from './group.js';
import { KIND_SCHEMAS } from './kind-schemas.js';
import { KINDS, type KindInfo } from './kinds.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Turn one JSON Schema node into a structural OpenAPI v3 schema node. */
export function toStructural(node: Json, atMetadata = false): Json {
  if (Array.isArray(node)) return node.map((n) => toStructural(n));
  if (node === null || typeof node !== 'object') return node;
  if (atMetadata) return { type: 'object' };
  const out: { [k: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'const') {
      out['enum'] = [value];
      if (!('type' in node)) out['type'] = typeof value === 'number' ? 'number' : typeof value;
      continue;
    }
    if (key === 'patternProperties' && value && typeof value === 'object' && !Array.isArray(value)) {
      const first = Object.values(value)[0];
      if (first !== undefined) out['additionalProperties'] = toStructural(first);
      continue;
    }
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      const props: { [k: string]: Json } = {};
      for (const [pname, pschema] of Object.entries(value)) {
        // apiVersion and kind are plain strings to Kubernetes (the server owns them).
        if ((pname === 'apiVersion' || pname === 'kind') && pschema && typeof pschema === 'object' && 'const' in pschema) {
          props[pname] = { type: 'string', description: (pschema as { description?: string }).description ?? pname };
          continue;
        }
        props[pname] = toStructural(pschema, pname === 'metadata');
      }
      out[key] = props;
      continue;
    }
    out[key] = toStructural(value);
  }
  return out;
}

export function crdFor(info: KindInfo): Record<string, unknown> {
  const schema = toStructural(JSON.parse(JSON.stringify(KIND_SCHEMAS[info.kind])) as Json) as { [k: string]: Json };
  const hasStatus = !!(schema['properties'] as { [k: string]: Json } | undefined)?.['status'];
  const version: Record<string, unknown> = {
    name: VERSION,
    served: true,
    storage: true,
  };
  if (hasStatus) version['subresources'] = { status: {} };
  version['additionalPrinterColumns'] = info.printerColumns.map((c) => {
    const col: Record<string, unknown> = { name: c.name, type: c.type, jsonPath: c.jsonPath, description: c.description };
    if (c.priority) col['priority'] = c.priority;
    return col;
  });
  version['schema'] = { openAPIV3Schema: schema };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'winha' } },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
        categories: ['winha'],
      },
      scope: 'Namespaced',
      versions: [version],
    },
  };
}

/** The CRD files as they belong in crds/: file name → YAML text. */
export function renderCrds(): Map<string, string> {
  const files = new Map<string, string>();
  for (const info of KINDS) {
    const header = `# Generated from src/api/schema.ts by \`make gen\`; do not edit by hand.\n`;
    files.set(`${info.plural}.${GROUP}.yaml`, header + toYaml(crdFor(info)));
  }
  return files;
}
