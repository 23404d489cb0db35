/**
 * `winha agent --listen`, the built binary against a file store (issue 14 items 8, 9, 20): flags are checked before
 * anything starts; PORT alone binds loopback; idle connections beyond the cap are refused and cannot starve lease
 * renewal (the agent runs with few descriptors); a client that reuses a connection after a pause never meets a
 * socket the server closed; event-loop lag is exported.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWinha, startWinha, untilOutput, type RunningWinha } from '../support/cli.js';
import { BIN, EXAMPLES_DIR } from '../support/paths.js';
import { openStore } from '../../src/store/index.js';

let dir: string;
let storeUrl: string;

const winha = (args: string[]) => runWinha(args, { store: storeUrl, cwd: dir });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'winha-listen-'));
  storeUrl = `file://${join(dir, 'store')}`;
  const r = winha(['apply', '-f', join(EXAMPLES_DIR, 'two-node-web.yaml')]);
  assert.equal(r.code, 0, r.err);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Start `winha agent` (through sh when a descriptor limit is asked for). */
function startAgent(listen: string, fdLimit?: number): RunningWinha {
  const args = ['agent', '--node', 'node1', '--driver', 'sim', '--listen', listen];
  return startWinha(args, { store: storeUrl, cwd: dir, ...(fdLimit !== undefined ? { fdLimit } : {}) });
}

const until = untilOutput;

const boundAddress = (r: RunningWinha) =>
  until('listen address', r, () => /serving \/healthz \/readyz \/metrics on ([\d.]+:\d+)/.exec(r.out())?.[1]);

async function stop(r: RunningWinha): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const code = await r.exited;
  assert.equal(code, 0, r.out().slice(-3000));
}

async function nodeLeaseRenewTime(): Promise<string | undefined> {
  const s = await openStore(storeUrl);
  try {
    return (await s.leases.get('node.default.prod.node1'))?.renewTime;
  } finally {
    await s.close();
  }
}

test('a bad --listen (or --workers) fails closed before anything starts: exit 2, one line naming the flag', () => {
  for (const [flags, flag] of [
    [['--listen', 'bogus'], '--listen'],
    [['--listen', '127.0.0.1:70000'], '--listen'],
    [['--listen', 'example.com:9100'], '--listen'],
    [['--listen', '9100', '--workers', '0'], '--workers'],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'agent', '--node', 'node1', '--driver', 'sim', ...flags, '--store', storeUrl], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
      cwd: dir,
      timeout: 60_000,
    });
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}${r.stdout}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^winha: ${flag} `));
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
    assert.doesNotMatch(r.stdout, /agent for node1 started/, 'nothing started');
  }
});

test('--listen in use: exit 2 naming --listen, and the agent never started (took no group)', async () => {
  const holder = startAgent('127.0.0.1:0');
  try {
    const addr = await boundAddress(holder);
    const r = spawnSync(process.execPath, [BIN, 'agent', '--node', 'node2', '--driver', 'sim', '--listen', addr, '--store', storeUrl], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', WINHA_STORE: '' },
      cwd: dir,
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr + r.stdout);
    assert.match(r.stderr.trim(), /^winha: --listen .*in use/);
    assert.doesNotMatch(r.stdout, /agent for node2 started/);
  } finally {
    await stop(holder);
  }
});

test('--listen PORT binds loopback only; 0.0.0.0:PORT must be asked for', async () => {
  const a = startAgent('0');
  try {
    assert.match(await boundAddress(a), /^127\.0\.0\.1:\d+$/);
  } finally {
    await stop(a);
  }
});

test(
  'idle connections beyond the cap are refused and the agent keeps renewing its lease with few descriptors',
  { timeout: 180_000 },
  async () => {
    // 200 descriptors: far more idle connections than that would leave none for the store (the self-fence of issue 14).
    const a = startAgent('127.0.0.1:0', 200);
    const sockets: Socket[] = [];
    try {
      const addr = await boundAddress(a);
      const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
      await until('first renewal', a, async () => await nodeLeaseRenewTime());
      let closedByServer = 0;
      const N = 400;
      for (let i = 0; i < N; i++) {
        const s = connect({ host, port });
        s.on('error', () => undefined);
        s.on('close', () => closedByServer++);
        sockets.push(s);
      }
      // Most are refused at once (the cap); the few kept are idle and hold their slot until the server reaps them.
      await until('connections beyond the cap refused', a, () => (closedByServer >= N - 64 ? true : undefined));
      const before = await nodeLeaseRenewTime();
      await until('a renewal while flooded', a, async () => ((await nodeLeaseRenewTime()) !== before ? true : undefined));
      const again = await nodeLeaseRenewTime();
      await until('another renewal while flooded', a, async () => ((await nodeLeaseRenewTime()) !== again ? true : undefined));
      assert.doesNotMatch(a.out(), /cannot renew the node lease/);
      // Idle connections do not hold their slot for ever: the server drops them, and /healthz answers again.
      await until('idle connections reaped', a, () => (closedByServer === N ? true : undefined));
      const r = await fetch(`http://${addr}/healthz`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'ok\n');
    } finally {
      for (const s of sockets) s.destroy();
      await stop(a);
    }
  },
);

test('a poll on a kept-alive connection while the agent stalls is answered, never cut; event-loop lag is exported', async () => {
  const a = startAgent('127.0.0.1:0');
  try {
    const addr = await boundAddress(a);
    assert.equal((await fetch(`http://${addr}/healthz`)).status, 200);
    // The agent's loop stalls (a loaded machine) while the client reuses its pooled connection within the keep-alive
    // the server advertised (5 s, Node's default); the stall outlasts it, and when the loop runs again its timers
    // come before the socket's data: the server closes the connection that carries the poll (issue 14 item 20).
    a.child.kill('SIGSTOP');
    await new Promise((res) => setTimeout(res, 3_000));
    const poll = fetch(`http://${addr}/readyz`).then(
      (r) => r.status,
      (e: Error) => `${e.message}: ${String((e.cause as Error | undefined)?.message)}`,
    );
    await new Promise((res) => setTimeout(res, 3_000));
    a.child.kill('SIGCONT');
    assert.ok([200, 503].includes((await poll) as number), `poll answered: ${String(await poll)}`);
    const m = await fetch(`http://${addr}/metrics`);
    const body = await m.text();
    assert.match(body, /^# HELP nodejs_eventloop_lag_seconds /m);
    assert.match(body, /^# HELP process_open_fds /m);
  } finally {
    a.child.kill('SIGCONT');
    await stop(a);
  }
});
