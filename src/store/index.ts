/** The state store: public API. See src/store/README.md. */
export * from './types.js';
export * from './errors.js';
export { openStore, resolveStoreUrl, fileUrlPath, DEFAULT_STORE_URL, type OpenStoreOptions } from './open.js';
export { MemoryStore, openMemoryStore, dropMemoryStore, type MemoryStoreOptions } from './memory.js';
export { FileStore, type FileStoreOptions } from './file/file-store.js';
export { LeaseClient, type LeaseBackend } from './lease-client.js';
export { compileSelector } from './selector.js';
export type { EtcdConnectionOptions } from './etcd/config.js';
// The Kubernetes backend (and client-node) loads only when used: import it from './kubernetes/store.js'.
export type { KubernetesStoreOptions } from './kubernetes/store.js';
