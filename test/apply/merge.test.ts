/** kubectl's three-way merge, as apply uses it: manifest fields win, removed fields go, others' fields stay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fc } from '../support/property.js';
import { mergeForApply, threeWayPatch, applyMergePatch, jsonEqual, lastApplied, LAST_APPLIED_ANNOTATION } from '../../src/apply/merge.js';

const group = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'winha.io/v1alpha1',
  kind: 'FailoverGroup',
  metadata: { name: 'web', namespace: 'default', ...extra },
  spec,
});

test('a new object is the manifest plus the last-applied record', () => {
  const m = group({ nodes: [{ name: 'node1', priority: 1 }] });
  const out = mergeForApply(m, undefined) as any;
  assert.deepEqual(out.spec, m.spec);
  assert.deepEqual(lastApplied(out), m);
});

test('a field removed from the manifest is removed from the object; a field another writer set survives', () => {
  const first = group({ nodes: [{ name: 'node1', priority: 1 }], switchback: 'Automatic' });
  let live = mergeForApply(first, undefined) as any;
  // Another writer (an operator with kubectl edit) adds maintenance; an agent writes status.
  live = {
    ...live,
    spec: { ...live.spec, maintenance: true },
    status: { activeNode: 'node1' },
    metadata: { ...live.metadata, resourceVersion: '7', uid: 'u1' },
  };
  const second = group({
    nodes: [
      { name: 'node1', priority: 1 },
      { name: 'node2', priority: 2 },
    ],
  });
  const merged = mergeForApply(second, live) as any;
  assert.equal(merged.spec.switchback, undefined, 'removed from the manifest, so removed');
  assert.equal(merged.spec.maintenance, true, 'set by someone else, so kept');
  assert.deepEqual(merged.spec.nodes, second.spec.nodes, 'lists are replaced whole');
  assert.deepEqual(merged.status, { activeNode: 'node1' });
  assert.equal(merged.metadata.uid, 'u1');
  assert.deepEqual(JSON.parse(merged.metadata.annotations[LAST_APPLIED_ANNOTATION]), second);
});

test('applying the same manifest twice yields the same object (idempotent)', () => {
  const m = group({ nodes: [{ name: 'node1', priority: 1 }] }, { labels: { app: 'web' } });
  const once = mergeForApply(m, undefined);
  const twice = mergeForApply(m, once);
  assert.ok(jsonEqual(once, twice));
});

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string({ maxLength: 4 }),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('map'),
  ),
  map: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('value'), { maxKeys: 4 }),
})).map;

test('property: the patch turns live into a state holding every desired field', () => {
  fc.assert(
    fc.property(json, json, json, (last, desired, live) => {
      const out = applyMergePatch(live, threeWayPatch(last, desired, live)) as Record<string, unknown>;
      const holds = (d: unknown, o: unknown): boolean => {
        if (typeof d === 'object' && d !== null && !Array.isArray(d)) {
          return Object.entries(d).every(([k, v]) => holds(v, (o as Record<string, unknown>)?.[k]));
        }
        return jsonEqual(d, o);
      };
      assert.ok(holds(desired, out));
      // Keys that were in last but not in desired are gone.
      for (const k of Object.keys(last)) if (!(k in desired)) assert.ok(!(k in out));
    }),
    { numRuns: 300 },
  );
});
