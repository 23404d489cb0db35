/**
 * The etcd key layout under the store's prefix P (default /winha):
 *
 *   P/objects/<kind>/<namespace>/<name>   one object, JSON without metadata.resourceVersion
 *   P/objects/#head                       rewritten by every object write (same transaction)
 *   P/leases/<name>                       one lease record, JSON without revision
 *   P/deleted/<kind>                      rewritten by every delete of that kind (guards compare it)
 *
 * Path segments are encodeURIComponent'd, which never leaves a raw '#', so the
 * head key cannot collide with a kind. The head key's mod_revision is the
 * revision of the latest object change; watches use it to issue bookmarks
 * that are provably complete (see etcd-watch.ts). Leases live outside
 * P/objects/ so their renewals never wake object watches.
 */
export interface ObjectName {
  kind: string;
  namespace: string;
  name: string;
}

const enc = encodeURIComponent;

export class KeyLayout {
  readonly objects: string;
  readonly head: string;
  readonly leases: string;

  constructor(readonly prefix: string) {
    this.objects = `${prefix}/objects/`;
    this.head = `${prefix}/objects/#head`;
    this.leases = `${prefix}/leases/`;
  }

  object(kind: string, namespace: string, name: string): string {
    return `${this.objects}${enc(kind)}/${enc(namespace)}/${enc(name)}`;
  }

  /** Every object of a kind, or of a kind in one namespace. */
  kindPrefix(kind: string, namespace?: string): string {
    return namespace === undefined ? `${this.objects}${enc(kind)}/` : `${this.objects}${enc(kind)}/${enc(namespace)}/`;
  }

  /** Its mod_revision is the kind's last deletion: a range compare cannot see keys that are gone. */
  deletedMarker(kind: string): string {
    return `${this.prefix}/deleted/${enc(kind)}`;
  }

  lease(name: string): string {
    return `${this.leases}${enc(name)}`;
  }

  /** The object an object key names, or undefined for the head key and anything foreign. */
  parseObject(key: string): ObjectName | undefined {
    if (!key.startsWith(this.objects)) return undefined;
    const parts = key.slice(this.objects.length).split('/');
    if (parts.length !== 3) return undefined;
    try {
      return { kind: decodeURIComponent(parts[0]!), namespace: decodeURIComponent(parts[1]!), name: decodeURIComponent(parts[2]!) };
    } catch {
      return undefined;
    }
  }
}

/** etcd's range_end for "every key starting with prefix". */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}
