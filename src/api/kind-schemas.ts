/**
 * The full object schema of every kind (apiVersion, kind, metadata, spec,
 * status, or Event's top-level fields), built from ./schema.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { API_VERSION } from './group.js';
import type { KindName } from './kinds.js';
import {
  ObjectMeta,
  ClusterSpec,
  ClusterStatus,
  FailoverGroupSpec,
  FailoverGroupStatus,
  VirtualIPSpec,
  VirtualIPStatus,
  MirrorSpec,
  MirrorStatus,
  IISSiteSpec,
  IISSiteStatus,
  EventFields,
  SyncSpec,
  SyncStatus,
} from './schema.js';
import { kindInfo } from './kinds.js';

function objectSchema(kind: KindName, fields: Record<string, TSchema>, required: string[]): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION, { description: `Always ${API_VERSION}.` }),
      kind: Type.Literal(kind, { description: `Always ${kind}.` }),
      metadata: ObjectMeta,
      ...fields,
    },
    { description: kindInfo(kind)!.description, additionalProperties: false, required: ['apiVersion', 'kind', 'metadata', ...required] },
  );
}

export const KIND_SCHEMAS: Readonly<Record<KindName, TSchema>> = {
  Cluster: objectSchema('Cluster', { spec: ClusterSpec, status: Type.Optional(ClusterStatus) }, ['spec']),
  FailoverGroup: objectSchema('FailoverGroup', { spec: FailoverGroupSpec, status: Type.Optional(FailoverGroupStatus) }, ['spec']),
  VirtualIP: objectSchema('VirtualIP', { spec: VirtualIPSpec, status: Type.Optional(VirtualIPStatus) }, ['spec']),
  Mirror: objectSchema('Mirror', { spec: MirrorSpec, status: Type.Optional(MirrorStatus) }, ['spec']),
  IISSite: objectSchema('IISSite', { spec: IISSiteSpec, status: Type.Optional(IISSiteStatus) }, ['spec']),
  Event: objectSchema('Event', EventFields, ['involvedObject', 'type', 'reason', 'message']),
  Sync: objectSchema('Sync', { spec: SyncSpec, status: Type.Optional(SyncStatus) }, ['spec']),
};
