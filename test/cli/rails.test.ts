/**
 * Issue 18 item 4: rails that stop operator mistakes. A node no Cluster declares,
 * a read against a store that does not exist, an agent for a node of no Cluster:
 * each is refused with one line naming the thing, exit 2, and nothing written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { runWinha } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
let storeUrl: string;

const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir, timeout: 30_000 });

async function annotationsOf(kind: string, name: string): Promise<Record<string, string>> {
  const s = await openStore(storeUrl);
  try {
    return (await s.objects.get(kind, 'default', name)).metadata.annotations ?? {};
  } finally {
    await s.close();
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-rails-'));
  storeUrl = `file://${join(dir, 'store')}`;
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(r.code, 0, r.err);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('maintenance --node and clear --node refuse a node no Cluster in the namespace declares: exit 2, the nodes listed, nothing written', async () => {
  const m = winha(['maintenance', 'on', '--node', 'nod1']);
  assert.equal(m.code, 2, m.err);
  assert.equal(m.err.trim(), 'winha: no Cluster in namespace default has a node named nod1 (nodes: node1, node2)');
  const cluster = await (async () => {
    const s = await openStore(storeUrl);
    try {
      return (await s.objects.list('Cluster')).items[0]!.metadata.name;
    } finally {
      await s.close();
    }
  })();
  assert.equal((await annotationsOf('Cluster', cluster))['winha.io/maintenance-nodes'], undefined, 'nothing written');
  const c = winha(['clear', 'web', '--node', 'node9']);
  assert.equal(c.code, 2, c.err);
  assert.match(c.err, /^winha: no Cluster in namespace default has a node named node9 \(nodes: node1, node2\)\n$/);
  const other = winha(['maintenance', 'off', '--node', 'node1', '-n', 'staging']);
  assert.equal(other.code, 2, other.err);
  assert.match(other.err, /no Cluster in namespace staging has a node named node1 \(there is no Cluster in that namespace/);
  // A declared node still goes through.
  const ok = winha(['maintenance', 'on', '--node', 'node2']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(winha(['maintenance', 'off', '--node', 'node2']).code, 0);
  assert.equal(winha(['clear', 'web', '--node', 'node1']).code, 0);
});

test('read commands never create a store: a file:// directory that does not exist is refused by name, exit 2, and stays absent', () => {
  const missing = join(dir, 'no-such-store');
  const url = `file://${missing}`;
  for (const args of [
    ['get', 'groups'],
    ['describe', 'group', 'web'],
    ['events'],
    ['diff', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')],
    ['switchover', 'web', '--to', 'node2'],
    ['clear', 'web'],
    ['maintenance', 'on'],
  ]) {
    const r = runWinha([...args, '--store', url], { cwd: dir, timeout: 30_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.ok(r.err.includes(`${missing} does not exist`), r.err);
    assert.ok(!existsSync(missing), `${args.join(' ')} created ${missing}`);
  }
});

test('the implicit default ./.winha is named once on stderr; missing, it is refused and not created', () => {
  const cwd = join(dir, 'elsewhere');
  mkdirSync(cwd);
  const note = 'using the store at ./.winha (default; --store or WINHA_STORE to choose)';
  const r = runWinha(['get', 'groups'], { cwd, timeout: 30_000 });
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.split(note).length, 2, `said once: ${r.err}`);
  assert.match(r.err, /\.winha does not exist/);
  assert.ok(!existsSync(join(cwd, '.winha')), 'the default store was created');
  // apply creates it (and says which store it used); reads then find it, still naming it once.
  const a = runWinha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')], { cwd, timeout: 30_000 });
  assert.equal(a.code, 0, a.err);
  assert.equal(a.err.split(note).length, 2, a.err);
  const g = runWinha(['get', 'groups'], { cwd, timeout: 30_000 });
  assert.equal(g.code, 0, g.err);
  assert.equal(g.err.trim(), `winha: ${note}`);
  assert.match(g.out, /web/);
  // A chosen store is not remarked on.
  const chosen = winha(['get', 'groups']);
  assert.equal(chosen.code, 0, chosen.err);
  assert.equal(chosen.err, '');
});

test('winha agent refuses a node no Cluster in the store declares, and a node several Clusters declare without --cluster', async () => {
  const agent = (args: string[], store = storeUrl) => runWinha(['agent', '--driver', 'sim', ...args], { store, cwd: dir, timeout: 60_000 });
  const typo = agent(['--node', 'nodel']);
  assert.equal(typo.code, 2, typo.out + typo.err);
  assert.match(typo.err, /^winha: --node nodel: no Cluster in the store has a node named nodel \(nodes: node1, node2\)$/m);
  assert.doesNotMatch(typo.out, /agent for nodel started/);
  // A store without any Cluster (memory://: fresh and empty) says what to do.
  const empty = agent(['--node', 'node1'], 'memory://');
  assert.equal(empty.code, 2, empty.out + empty.err);
  assert.match(empty.err, /the store holds no Cluster: winha apply -f the manifests first/);
  // A file:// store that does not exist is not created by an agent either.
  const none = agent(['--node', 'node1'], `file://${join(dir, 'absent')}`);
  assert.equal(none.code, 2, none.out + none.err);
  assert.match(none.err, /absent does not exist/);
  assert.ok(!existsSync(join(dir, 'absent')));
  // A second Cluster naming node1 (in another namespace): --cluster chooses, and must name one that declares the node.
  writeFileSync(
    join(dir, 'second.yaml'),
    'apiVersion: winha.io/v1alpha1\nkind: Cluster\nmetadata: {name: lab, namespace: qa}\nspec:\n  nodes:\n  - {name: node1, address: 10.9.0.1}\n  - {name: node3, address: 10.9.0.3}\n',
  );
  const applied = winha(['apply', '-f', join(dir, 'second.yaml')]);
  assert.equal(applied.code, 0, applied.err);
  const several = agent(['--node', 'node1']);
  assert.equal(several.code, 2, several.out + several.err);
  assert.match(several.err, /--node node1: several Clusters name this node \(default\/prod, qa\/lab\): choose one with --cluster NAME/);
  const wrong = agent(['--node', 'node2', '--cluster', 'lab']);
  assert.equal(wrong.code, 2, wrong.out + wrong.err);
  assert.match(wrong.err, /--node node2: Cluster qa\/lab has no node named node2 \(nodes: node1, node3\)/);
  const unknown = agent(['--node', 'node1', '--cluster', 'prd']);
  assert.equal(unknown.code, 2, unknown.out + unknown.err);
  assert.match(unknown.err, /--cluster prd: no such Cluster in the store \(Clusters: default\/prod, qa\/lab\)/);
  // Chosen (and a node only one Cluster names): it passes the check and goes on; a --listen port in use stops it just after.
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as AddressInfo).port;
  try {
    const chosen = agent(['--node', 'node1', '--cluster', 'qa/lab', '--listen', `127.0.0.1:${port}`]);
    assert.notEqual(chosen.code, 0, chosen.out + chosen.err);
    assert.match(chosen.out + chosen.err, /node1 is a node of Cluster qa\/lab/);
    // Each Cluster's node1 renews its own node lease: sharing the name is safe, nothing to warn of.
    assert.doesNotMatch(chosen.out + chosen.err, /agent-node-name-shared/);
    // Unless an older agent renews the legacy node.node1 lease, which a node1 with no lease of its own is judged by.
    const s = await openStore(storeUrl);
    try {
      await s.leases.acquire('node.node1', 'node1', 15);
    } finally {
      await s.close();
    }
    const legacy = agent(['--node', 'node1', '--cluster', 'qa/lab', '--listen', `127.0.0.1:${port}`]);
    assert.notEqual(legacy.code, 0, legacy.out + legacy.err);
    assert.match(
      legacy.out + legacy.err,
      /Cluster default\/prod also names a node node1 in this store, and an agent older than per-Cluster node leases renews the shared lease node\.node1.*\[agent-node-name-shared\]/,
    );
    const only = agent(['--node', 'node3', '--listen', `127.0.0.1:${port}`]);
    assert.notEqual(only.code, 0, only.out + only.err);
    assert.match(only.out + only.err, /node3 is a node of Cluster qa\/lab/);
    assert.doesNotMatch(only.out + only.err, /agent-node-name-shared/);
  } finally {
    busy.close();
  }
});

test('winha agent without --driver (nor spec.driver.type in --config) is refused before it connects: exit 2, the drivers named', () => {
  const bare = runWinha(['agent', '--node', 'node1'], { store: storeUrl, cwd: dir, timeout: 60_000 });
  assert.equal(bare.code, 2, bare.out + bare.err);
  assert.match(
    bare.err,
    /^winha: --driver: say which host this agent drives: --driver windows on a Windows node, sim .*\[agent-driver-missing\]$/m,
  );
  assert.doesNotMatch(bare.out, /started/);
  writeFileSync(
    join(dir, 'no-driver.yaml'),
    `apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n  node: node1\n  store: {url: '${storeUrl}'}\n`,
  );
  const config = runWinha(['agent', '--config', 'no-driver.yaml'], { cwd: dir, timeout: 60_000 });
  assert.equal(config.code, 2, config.out + config.err);
  assert.match(config.err, /\[agent-driver-missing\]/);
  const unknown = runWinha(['agent', '--node', 'node1', '--driver', 'hyperv'], { store: storeUrl, cwd: dir, timeout: 60_000 });
  assert.equal(unknown.code, 2, unknown.out + unknown.err);
  assert.match(unknown.err, /--driver: unknown driver "hyperv": use windows, sim or sim:\/\/HOST:PORT\/NODE \[agent-driver-unknown\]/);
  // The same rail on `winha driver test`: a run against the simulated host must be asked for.
  const test = runWinha(['driver', 'test'], { cwd: dir, timeout: 60_000 });
  assert.equal(test.code, 2, test.out + test.err);
  assert.match(test.err, /\[driver-test-driver-missing\]/);
});

test('winha version --store: the client, then each node agent version from its node lease (unknown for an older agent); -o json; a missing store refused', async () => {
  const s = await openStore(storeUrl);
  try {
    await s.leases.acquire('node.default.prod.node1', 'node1', 15, '9.9.9');
    await s.leases.acquire('node.node2', 'node2', 15); // an agent from before the field (and before per-Cluster leases)
    // An older agent of qa/lab's node1 (another machine) renews the legacy node.node1: its row only reads it.
    await s.leases.acquire('node.node1', 'node1', 15);
  } finally {
    await s.close();
  }
  const text = winha(['version']);
  assert.equal(text.code, 0, text.err);
  assert.match(
    text.out,
    /^Client Version: \d+\.\d+\.\d+.*\nAgents \(node leases in file:\/\/.*\):\nNODE +CLUSTER +AGENT VERSION +LEASE RENEWED\n/,
  );
  assert.match(text.out, /\nnode1 +default\/prod +9\.9\.9 +\d+s ago\n/);
  assert.match(text.out, /\nnode1 +qa\/lab +unknown +\d+s ago\n/);
  assert.match(text.out, /\nnode2 +default\/prod +unknown +\d+s ago\n/);
  const json = winha(['version', '-o', 'json']);
  assert.equal(json.code, 0, json.err);
  const doc = JSON.parse(json.out) as {
    clientVersion: string;
    agents: { node: string; version: string | null; renewTime: string | null }[];
  };
  assert.match(doc.clientVersion, /^\d+\.\d+\.\d+/);
  assert.equal(doc.agents.find((a) => a.node === 'node1')?.version, '9.9.9');
  assert.equal(doc.agents.find((a) => a.node === 'node2')?.version, null);
  const none = runWinha(['version'], { store: `file://${join(dir, 'nowhere')}`, cwd: dir, timeout: 30_000 });
  assert.equal(none.code, 2, none.out + none.err);
  assert.match(none.err, /nowhere does not exist/);
  assert.ok(!existsSync(join(dir, 'nowhere')), 'winha version never creates a store');
});
