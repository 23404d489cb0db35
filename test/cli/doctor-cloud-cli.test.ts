/** `winha doctor` with cloud VirtualIPs in the manifests: the AWS and Azure checks appear (off EC2 the metadata check fails). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { freePorts } from '../support/free-port.js';
import { EXAMPLES_DIR } from '../support/paths.js';

test('winha doctor -f with an awsRouteTable and an azureLoadBalancer VirtualIP adds the cloud checks', async () => {
  const [port] = await freePorts(1);
  const example = readFileSync(join(EXAMPLES_DIR, 'two-node-web.yaml'), 'utf8');
  const cloudy = example
    .replace(
      'localRecovery: true   # re-add the address locally before failing the group over',
      'localRecovery: true\n  provider:\n    type: awsRouteTable\n    routeTableIds: [rtb-0123456789abcdef0]',
    )
    .replace('address: 10.0.0.51', `address: 10.0.0.51\n  provider:\n    type: azureLoadBalancer\n    probePort: ${port}`);
  assert.notEqual(cloudy, example);
  const dir = mkdtempSync(join(tmpdir(), 'winha-doctor-cloud-'));
  try {
    writeFileSync(join(dir, 'cloud.yaml'), cloudy);
    const r = runWinha(['doctor', '--node', 'node1', '--store', 'memory://', '-f', join(dir, 'cloud.yaml')], { timeout: 60_000 });
    assert.equal(r.code, 1, r.out + r.err);
    // Off EC2 nothing answers IMDSv2 (refused, silent for 2 s, or a 403): a coded failure either way.
    assert.match(r.out, /^(fail +AWS instance metadata \(IMDSv2\) +MetadataUnavailable: |pass +AWS instance metadata)/m);
    assert.match(r.out, new RegExp(`^pass +Azure probe port TCP ${port} free`, 'm'));
    assert.match(r.out, /^info +Azure load balancer rule for 10\.0\.0\.51 +.*floating IP \(Direct Server Return\)/m);
    assert.match(r.out, /^FAIL: \d+ pass, \d+ warn, \d+ fail, 1 info$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
