/** A host with nothing on it: every read answers empty, every change succeeds (agents that only elect and report). */
import { HOST_DRIVER_OPERATIONS, type HostDriver } from '../../src/drivers/types.js';

export function emptyHost(node: string): HostDriver {
  const d: Record<string, unknown> = { nodeName: node };
  for (const op of HOST_DRIVER_OPERATIONS) d[op] = async () => (op.startsWith('list') ? [] : undefined);
  return d as unknown as HostDriver;
}
