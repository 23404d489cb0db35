/**
 * TypeScript types of the API, inferred from the schemas in ./schema.ts (the
 * single source of truth), so they cannot disagree with the validator or the CRDs.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type {
  ObjectMeta as ObjectMetaSchema,
  Condition as ConditionSchema,
  ClusterSpec as ClusterSpecSchema,
  ClusterStatus as ClusterStatusSchema,
  FailoverGroupSpec as FailoverGroupSpecSchema,
  FailoverGroupStatus as FailoverGroupStatusSchema,
  VirtualIPSpec as VirtualIPSpecSchema,
  VirtualIPStatus as VirtualIPStatusSchema,
  MirrorSpec as MirrorSpecSchema,
  MirrorStatus as MirrorStatusSchema,
  IISSiteSpec as IISSiteSpecSchema,
  IISSiteStatus as IISSiteStatusSchema,
  SiteBinding as SiteBindingSchema,
  EventFields,
  SyncSpec as SyncSpecSchema,
  SyncStatus as SyncStatusSchema,
} from './schema.js';
import type { KindName } from './kinds.js';

export type ObjectMeta = Static<typeof ObjectMetaSchema>;
export type Condition = Static<typeof ConditionSchema>;
export type ClusterSpec = Static<typeof ClusterSpecSchema>;
export type ClusterStatus = Static<typeof ClusterStatusSchema>;
export type FailoverGroupSpec = Static<typeof FailoverGroupSpecSchema>;
export type FailoverGroupStatus = Static<typeof FailoverGroupStatusSchema>;
export type VirtualIPSpec = Static<typeof VirtualIPSpecSchema>;
export type VirtualIPStatus = Static<typeof VirtualIPStatusSchema>;
export type MirrorSpec = Static<typeof MirrorSpecSchema>;
export type MirrorStatus = Static<typeof MirrorStatusSchema>;
export type IISSiteSpec = Static<typeof IISSiteSpecSchema>;
export type IISSiteStatus = Static<typeof IISSiteStatusSchema>;
export type SiteBinding = Static<typeof SiteBindingSchema>;
export type SyncSpec = Static<typeof SyncSpecSchema>;
export type SyncStatus = Static<typeof SyncStatusSchema>;

export interface ApiObject<K extends KindName = KindName, S = unknown, St = unknown> {
  apiVersion: 'winha.io/v1alpha1';
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}

export type Cluster = ApiObject<'Cluster', ClusterSpec, ClusterStatus>;
export type FailoverGroup = ApiObject<'FailoverGroup', FailoverGroupSpec, FailoverGroupStatus>;
export type VirtualIP = ApiObject<'VirtualIP', VirtualIPSpec, VirtualIPStatus>;
export type Mirror = ApiObject<'Mirror', MirrorSpec, MirrorStatus>;
export type IISSite = ApiObject<'IISSite', IISSiteSpec, IISSiteStatus>;
export type Sync = ApiObject<'Sync', SyncSpec, SyncStatus>;

type EventBody = Static<TObject<typeof EventFields>>;
export type WinhaEvent = {
  apiVersion: 'winha.io/v1alpha1';
  kind: 'Event';
  metadata: ObjectMeta;
} & EventBody;

export type AnyWinhaObject = Cluster | FailoverGroup | VirtualIP | Mirror | IISSite | WinhaEvent | Sync;
