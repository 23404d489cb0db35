/** The Mirror every test group uses: web-data on E:, one endpoint per node (node1 → 172.16.0.11, …). */
import type { Mirror } from '../../src/api/types.js';

export function webDataMirror(nodes: number, spec: Partial<Mirror['spec']> = {}, status?: Mirror['status']): Mirror {
  const endpoints = Array.from({ length: nodes }, (_, i) => ({ node: `node${i + 1}`, address: `172.16.0.1${i + 1}` }));
  return {
    apiVersion: 'winha.io/v1alpha1',
    kind: 'Mirror',
    metadata: { name: 'web-data', namespace: 'default' },
    spec: { group: 'web', volume: 'E:', endpoints, ...spec },
    ...(status !== undefined ? { status } : {}),
  };
}
