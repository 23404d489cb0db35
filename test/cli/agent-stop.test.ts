/**
 * A graceful stop of `winha agent --config FILE` (issue 16: WinSW stops the service with Ctrl+C): on SIGINT, SIGTERM
 * and SIGHUP the agent exits 0 and logs 'stopped', keeps the lease of the group it holds (another node takes over
 * only after expiry and its safety check), and frees its listener port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha, untilOutput } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';
import { groupLeaseName } from '../../src/controller/agent.js';

let dir: string;
let storeUrl: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-stop-'));
  storeUrl = `file://${join(dir, 'store')}`;
  const r = runWinha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')], { store: storeUrl, cwd: dir });
  assert.equal(r.code, 0, r.err);
  writeFileSync(
    join(dir, 'agent.yaml'),
    'apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n  node: node1\n  store: {url: file://./store}\n  listen: "0"\n  stopTimeoutSeconds: 5\n',
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const until = untilOutput;

async function webLease() {
  const s = await openStore(storeUrl);
  try {
    return await s.leases.get(groupLeaseName('default', 'web'));
  } finally {
    await s.close();
  }
}

/** Whether the port can be bound again (the agent closed its listener). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal}: exit 0, 'stopped' logged, the group lease still held by the node, the port freed`, async () => {
    // --driver on the command line over the file's default: flags win.
    const r = startWinha(['agent', '--config', 'agent.yaml', '--driver', 'sim'], { cwd: dir });
    try {
      const port = Number(
        await until('listen address', r, () => /serving \/healthz \/readyz \/metrics on [\d.]+:(\d+)/.exec(r.out())?.[1]),
      );
      // Ready: it holds web and serves it.
      await until('web held by node1', r, () => (/node1 holds web \(epoch \d+\) and serves it/.test(r.out()) ? true : undefined));
      const held = await webLease();
      assert.equal(held?.holder, 'node1');
      r.child.kill(signal);
      const code = await r.exited;
      assert.equal(code, 0, r.out().slice(-3000));
      assert.match(r.out(), new RegExp(`"signal":"${signal}".*agent for node1 stopped`));
      const after = await webLease();
      assert.equal(after?.holder, 'node1', 'a stop does not release the lease');
      assert.equal(after?.epoch, held?.epoch);
      assert.ok(await portFree(port), `port ${port} still bound`);
    } finally {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
    }
  });
}

test('with log.file the JSON lines go to DIR/agent.N.log (none on stdout), flushed up to the stopped line', async () => {
  writeFileSync(
    join(dir, 'agent-files.yaml'),
    'apiVersion: winha.io/v1alpha1\nkind: AgentConfig\nspec:\n  node: node1\n  store: {url: file://./store}\n  driver: {type: sim}\n  log: {file: {directory: logs, maxSizeMB: 1, maxFiles: 2}}\n',
  );
  const r = startWinha(['agent', '--config', 'agent-files.yaml'], { cwd: dir });
  const logFile = join(dir, 'logs', 'agent.1.log');
  const text = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  try {
    await until('web held by node1 in the log file', r, () => (/node1 holds web/.test(text()) ? true : undefined));
    r.child.kill('SIGINT');
    assert.equal(await r.exited, 0, r.out());
    assert.match(text(), /agent for node1 stopped/);
    assert.equal(r.out(), '', 'nothing on standard output or error');
  } finally {
    if (r.child.exitCode === null) r.child.kill('SIGKILL');
  }
});
