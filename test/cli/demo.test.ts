/**
 * `winha demo` (what make run runs), in its --fast form: the same code path,
 * with DataKeeper's unreachable-source switchover shortened to 2 s. Asserts the
 * story's milestones, exit 0, and that no child process outlives it — also
 * when it is interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, ROOT } from '../support/paths.js';
import { SystemClock } from '../../src/lib/clock.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A SIGKILLed child whose parent has exited is a zombie until init reaps it: gone, as far as we care.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGKILL is delivered asynchronously: give the kernel (and init) a moment before calling a process left behind. */
async function assertGone(pids: number[]): Promise<void> {
  const clock = new SystemClock();
  const until = clock.monotonic() + 5000;
  while (pids.some(alive) && clock.monotonic() < until) await clock.sleep(50);
  for (const p of pids) assert.equal(alive(p), false, `pid ${p} still running`);
}

const pidsIn = (text: string) => [...text.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));

test('winha demo --fast: converge, crash, failover measured, node back as standby, switch back; exit 0; no process left', async () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--fast'], { encoding: 'utf8', cwd: ROOT, timeout: 90_000 });
  const out = r.stdout;
  assert.equal(r.status, 0, out + r.stderr);
  assert.match(out, /world server \(winha sim world\) listening on 127\.0\.0\.1:\d+/);
  assert.match(out, /^ {2}Dashboard: http:\/\/127\.0\.0\.1:\d+\/ {2}\(open it in a browser/m, 'the dashboard URL, early');
  assert.match(out, /agent node1 started .*sim:\/\/127\.0\.0\.1:\d+\/node1/);
  assert.match(out, /failovergroup\.winha\.io\/web created/);
  assert.match(out, /GROUP\s+ACTIVE\s+READY\s+EPOCH/);
  assert.match(out, /✔ converged in [\d.]+ s: web, ftp served by node1/);
  assert.match(out, /✖ crashing node1: world fault nodeCrash/);
  assert.match(out, /✔ web Ready on node2 [\d.]+ s after the crash/);
  assert.match(out, /✔ node1 is a standby again .* the groups stay on node2 \(switchback: Intelligent\)/);
  assert.match(out, /\$ winha switchover web --to node1/);
  assert.match(out, /✔ switched back: web Ready on node1/);
  assert.match(out, /Summary \([\d.]+ s in all\)/);
  assert.match(out, /never two actives/);
  const failover = Number(/failover of web: node1 crash → Ready on node2\s+([\d.]+) s/.exec(out)?.[1]);
  assert.ok(failover >= 4, `not before the lease (4 s) expired: ${failover}`);
  const pids = pidsIn(out);
  assert.ok(pids.length >= 4, 'world, two agents, the restarted agent');
  await assertGone(pids);
});

test('winha demo: Ctrl-C stops the world server and every agent', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--fast'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const t = new SystemClock().setTimer(30_000, () => reject(new Error(`demo did not start its agents: ${out}`)));
    child.stdout.on('data', () => {
      if (/agent node2 started/.test(out)) {
        t.cancel();
        resolve();
      }
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, out);
  const pids = pidsIn(out);
  assert.equal(pids.length, 3, out);
  await assertGone(pids);
});
