/** The run-time default constants equal the defaults the schema (the source of truth) declares. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as D from '../../src/api/defaults.js';
import { ClusterSpec, FailoverGroupSpec, IISSiteSpec, MirrorSpec, SiteBinding, ObjectMeta } from '../../src/api/schema.js';

function defaultAt(schema: unknown, ...path: string[]): unknown {
  let node = schema as { properties?: Record<string, unknown>; default?: unknown } | undefined;
  for (const p of path) node = node?.properties?.[p] as typeof node;
  return node?.default;
}

test('default constants agree with the schema', () => {
  assert.equal(D.DEFAULT_NAMESPACE, defaultAt(ObjectMeta, 'namespace'));
  assert.deepEqual(D.DEFAULT_TIMING, {
    leaseDurationSeconds: defaultAt(ClusterSpec, 'timing', 'leaseDurationSeconds'),
    renewDeadlineSeconds: defaultAt(ClusterSpec, 'timing', 'renewDeadlineSeconds'),
    retryPeriodSeconds: defaultAt(ClusterSpec, 'timing', 'retryPeriodSeconds'),
  });
  assert.equal(D.DEFAULT_SITE_SERVICE, defaultAt(IISSiteSpec, 'service'));
  assert.equal(D.DEFAULT_HOST_HEADER, defaultAt(SiteBinding, 'hostHeader'));
  assert.equal(D.DEFAULT_SWITCHBACK, defaultAt(FailoverGroupSpec, 'switchback'));
  assert.equal(D.DEFAULT_MIRROR_MODE, defaultAt(MirrorSpec, 'mode'));
  assert.equal(D.DEFAULT_ASYNC_FAILOVER, defaultAt(MirrorSpec, 'asyncFailover'));
  assert.equal(D.DEFAULT_SWITCHBACK_DELAY_SECONDS, defaultAt(FailoverGroupSpec, 'switchbackDelaySeconds'));
  assert.deepEqual(D.DEFAULT_FAILURE_POLICY, {
    restartLimit: defaultAt(FailoverGroupSpec, 'failurePolicy', 'restartLimit'),
    restartWindowSeconds: defaultAt(FailoverGroupSpec, 'failurePolicy', 'restartWindowSeconds'),
    failureExpirySeconds: defaultAt(FailoverGroupSpec, 'failurePolicy', 'failureExpirySeconds'),
    transientRetryLimit: defaultAt(FailoverGroupSpec, 'failurePolicy', 'transientRetryLimit'),
    transientRetryDelaySeconds: defaultAt(FailoverGroupSpec, 'failurePolicy', 'transientRetryDelaySeconds'),
  });
  assert.equal(D.DEFAULT_SERVICE_START_TIMEOUT_SECONDS, defaultAt(IISSiteSpec, 'serviceStartTimeoutSeconds'));
  assert.equal(D.DEFAULT_DEEP_CHECK_TIMEOUT_SECONDS, defaultAt(IISSiteSpec, 'checks', 'http', 'timeoutSeconds'));
  assert.equal(D.DEFAULT_SAFETY_PROBE_TIMEOUT_SECONDS, defaultAt(ClusterSpec, 'safetyCheck', 'probeTimeoutSeconds'));
});
