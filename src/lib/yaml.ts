/**
 * YAML text out, with js-yaml (the project's YAML library; `yaml` is kept only for the validator's
 * source positions). One set of options for every writer: no line folding, no anchors for repeated
 * values, double quotes where quoting is needed, keys whose value is undefined left out (as JSON does).
 */
import jsyaml from 'js-yaml';

export function toYaml(value: unknown, opts: { sortKeys?: boolean } = {}): string {
  return jsyaml.dump(value, { lineWidth: -1, noRefs: true, quotingType: '"', skipInvalid: true, sortKeys: opts.sortKeys ?? false });
}
