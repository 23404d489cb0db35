/**
 * Small builders over TypeBox that keep every schema structural (Kubernetes
 * CRD rules: a `type` on every node, no anyOf of types) and make a description
 * mandatory, so the CRDs, the TypeScript types and the validator all come from
 * the same definitions.
 */
import { Type, type TSchema, type TProperties, type ObjectOptions } from '@sinclair/typebox';

export { Type };
export type { TSchema };

/** A string restricted to a fixed set of values (an `enum`, not an anyOf of consts). */
export function StringEnum<const T extends readonly string[]>(values: T, opts: { description: string; default?: T[number] }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

export function Str(description: string, opts: Record<string, unknown> = {}) {
  return Type.String({ description, ...opts });
}

export function Int(description: string, opts: { minimum?: number; maximum?: number; default?: number } = {}) {
  return Type.Integer({ description, ...opts });
}

export function Bool(description: string, opts: { default?: boolean } = {}) {
  return Type.Boolean({ description, ...opts });
}

/** A closed object: unknown fields are reported (catches typos such as `priorty`). */
export function Obj<T extends TProperties>(properties: T, description: string, opts: ObjectOptions = {}) {
  return Type.Object(properties, { description, additionalProperties: false, ...opts });
}

/** An object that keeps unknown fields (status written by agents, metadata). */
export function OpenObj<T extends TProperties>(properties: T, description: string, opts: ObjectOptions = {}) {
  return Type.Object(properties, { description, ...opts });
}

export function List<T extends TSchema>(
  items: T,
  description: string,
  opts: { minItems?: number; maxItems?: number; listType?: 'atomic' | 'map'; listMapKeys?: string[] } = {},
) {
  const { listType, listMapKeys, ...rest } = opts;
  const extra: Record<string, unknown> = {};
  if (listType) extra['x-kubernetes-list-type'] = listType;
  if (listMapKeys) extra['x-kubernetes-list-map-keys'] = listMapKeys;
  return Type.Array(items, { description, ...rest, ...extra });
}

/** DNS-1123 label, the shape of node names and most object names. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS-1123 subdomain, the shape of metadata.name. */
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** IPv4 dotted quad (each octet 0–255). */
export const IPV4 = '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$';
/** IPv6 in its textual forms (loose: hex groups and colons, optional embedded IPv4). */
export const IPV6 = '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$';
/** An IPv4 or IPv6 address. */
export const IP_ADDRESS = `(${IPV4})|(${IPV6})`;
