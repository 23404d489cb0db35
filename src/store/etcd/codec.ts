/**
 * How objects and lease records are stored as etcd values: JSON without the
 * revision, which etcd already keeps (mod_revision) and which is only known
 * once the write has committed.
 */
import type { IKeyValue } from 'etcd3';
import { UnavailableError } from '../errors.js';
import type { LeaseRecord, StoredObject } from '../types.js';

export function encodeObject(o: StoredObject): Buffer {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return Buffer.from(JSON.stringify({ ...o, metadata }));
}

export function decodeObject(kv: IKeyValue): StoredObject {
  const o = parse(kv) as StoredObject;
  o.metadata.resourceVersion = String(kv.mod_revision);
  return o;
}

export function encodeLease(l: Omit<LeaseRecord, 'revision'>): Buffer {
  const { revision: _r, ...rest } = l as LeaseRecord;
  return Buffer.from(JSON.stringify(rest));
}

export function decodeLease(kv: IKeyValue): LeaseRecord {
  return { ...(parse(kv) as Omit<LeaseRecord, 'revision'>), revision: String(kv.mod_revision) };
}

function parse(kv: IKeyValue): unknown {
  try {
    return JSON.parse(kv.value.toString('utf8'));
  } catch {
    throw new UnavailableError(`etcd key ${kv.key.toString('utf8')} does not hold JSON written by WinHA`);
  }
}
