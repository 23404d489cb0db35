/** Scenario files about the simulated cloud: its four faults and the cloudRoute condition, read, checked and written back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { parseScenarioText } from '../../src/sim/scenario/parser.js';
import { scenarioYaml } from '../../src/sim/scenario/writer.js';
import { toYaml } from '../../src/lib/yaml.js';
import { AZURE, ROUTED, SECONDARY, cloudObjects } from './cloud-world.js';

const head = `apiVersion: winha.io/v1alpha1
kind: Scenario
metadata: {name: cloud}
spec:
  objects:
${toYaml(cloudObjects())
  .trimEnd()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
  steps:
`;
const parse = (steps: string[]) =>
  parseScenarioText(join(ROOT, 'test', 'scenarios', 'cloud.yaml'), head + steps.join('\n') + '\n', {
    baseDir: join(ROOT, 'test', 'scenarios'),
    cwd: ROOT,
  });

test('the cloud faults and the cloudRoute condition parse, and a written scenario reads back the same', async () => {
  const r = await parse([
    '    - fault: {type: cloudApiFault, mode: throttle, times: 3}',
    '    - fault: {type: cloudApiFault, mode: fail, times: 1, code: UnauthorizedOperation, status: 403}',
    '    - fault: {type: cloudApiHeal}',
    '    - fault: {type: cloudAssignDelay, ms: 10000}',
    `    - fault: {type: cloudDrift, address: ${SECONDARY}, node: node2}`,
    `    - waitFor: {cloudRoute: ${SECONDARY}, routedTo: [node2], within: 30s}`,
    `    - expect: {cloudRoute: ${ROUTED}, routedTo: []}`,
  ]);
  assert.deepEqual(r.problems, []);
  const steps = r.scenario!.steps.map(({ place: _p, ...rest }) => rest);
  assert.deepEqual(steps, [
    { type: 'fault', fault: { type: 'cloudApiFault', mode: 'throttle', times: 3 } },
    { type: 'fault', fault: { type: 'cloudApiFault', mode: 'fail', times: 1, code: 'UnauthorizedOperation', status: 403 } },
    { type: 'fault', fault: { type: 'cloudApiHeal' } },
    { type: 'fault', fault: { type: 'cloudAssignDelay', ms: 10000 } },
    { type: 'fault', fault: { type: 'cloudDrift', address: SECONDARY, node: 'node2' } },
    { type: 'waitFor', condition: { kind: 'cloudRoute', address: SECONDARY, nodes: ['node2'] }, withinMs: 30_000 },
    { type: 'expect', condition: { kind: 'cloudRoute', address: ROUTED, nodes: [] }, forMs: 0 },
  ]);
  const path = join(ROOT, 'test', 'scenarios', 'cloud-copy.yaml');
  const again = await parseScenarioText(path, scenarioYaml(r.scenario!, path), { baseDir: join(ROOT, 'test', 'scenarios'), cwd: ROOT });
  assert.deepEqual(again.problems, []);
  assert.deepEqual(
    again.scenario!.steps.map(({ place: _p, ...rest }) => rest),
    steps,
  );
});

test('bad cloud steps are reported at their place', async () => {
  const r = await parse([
    '    - fault: {type: cloudApiFault, mode: explode, times: 3}',
    `    - fault: {type: cloudDrift, address: ${AZURE}, node: node2}`,
    '    - fault: {type: cloudDrift, address: 10.9.9.9, node: node9}',
    '    - expect: {cloudRoute: 10.9.9.9, routedTo: [node7]}',
    `    - expect: {cloudRoute: ${AZURE}}`,
  ]);
  const lines = head.split('\n').length - 1;
  const msgs = r.problems.map((p) => `${p.line - lines}: ${p.message}`);
  const has = (re: RegExp) =>
    assert.ok(
      msgs.some((m) => re.test(m)),
      `${re} in\n${msgs.join('\n')}`,
    );
  has(/^1: mode must be one of throttle, hang, fail/);
  has(/^2: cloudDrift needs the address of a VirtualIP with an AWS provider .*Azure load balancer/);
  has(/^3: node node9 is not declared/);
  has(/^3: cloudDrift needs the address of a VirtualIP with an AWS provider/);
  has(/^4: 10\.9\.9\.9 is not the address of a VirtualIP with a cloud provider/);
  has(/^4: node node7 is not declared/);
  has(/^5: a cloudRoute condition needs routedTo/);
});

test('winha sim fault flags make the cloud faults', async () => {
  const { faultFromFlags } = await import('../../src/cli/commands/sim.js');
  assert.deepEqual(faultFromFlags('cloudApiFault', { mode: 'fail', times: '2', code: 'AuthFailure', status: '401' }).fault, {
    type: 'cloudApiFault',
    mode: 'fail',
    times: 2,
    code: 'AuthFailure',
    status: 401,
  });
  assert.deepEqual(faultFromFlags('cloudAssignDelay', { ms: '10000' }).fault, { type: 'cloudAssignDelay', ms: 10000 });
  assert.deepEqual(faultFromFlags('cloudDrift', { address: SECONDARY, node: 'node2' }).fault, {
    type: 'cloudDrift',
    address: SECONDARY,
    node: 'node2',
  });
});

test('winha sim inspect shows where the cloud sends each cloud-routed address', async () => {
  const { formatInspection } = await import('../../src/cli/commands/sim.js');
  const { cloudWorld } = await import('./cloud-world.js');
  const w = cloudWorld();
  w.cloud.state.assign('eni-00000000200000001', [SECONDARY], true);
  const text = formatInspection(w.world.inspect());
  assert.match(text, /CLOUD-ROUTED ADDRESS\s+SENT TO/);
  assert.match(text, new RegExp(`${SECONDARY.replace(/\./g, '\\.')}\\s+node2`));
  assert.match(text, new RegExp(`${ROUTED.replace(/\./g, '\\.')}\\s+-`));
});
