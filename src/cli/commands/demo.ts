/**
 * `winha demo [--keep] [--fast]`: the whole story in real time on one
 * machine, with nothing to install (what `make run` runs):
 *
 *   - the embedded file store in a temporary directory;
 *   - a world server process (`winha sim world`): two simulated Windows hosts
 *     with IIS, the network segment and DataKeeper;
 *   - apply manifests/examples/two-node-web.yaml (with demo lease timing),
 *     then one agent process per node (`winha agent --driver sim://ADDR/NODE`:
 *     it needs a Cluster naming its node), sharing only the store, as on real
 *     machines; converge, crash the active node (world fault nodeCrash + kill its
 *     agent), measure the failover, restore the node (it resyncs and stays
 *     standby: Intelligent switchback), switch back with `winha switchover`.
 *
 * Every child process is killed on exit, on failure and on Ctrl-C, unless
 * --keep is given and the story completed: then they keep running and the
 * commands to explore the cluster are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toYaml } from '../../lib/yaml.js';
import { SystemClock } from '../../lib/clock.js';
import { apply } from '../../apply/apply.js';
import { openStore, type Store, type StoredObject } from '../../store/index.js';
import { readInputs } from '../../validate/sources.js';
import { validateInputs } from '../../validate/validate.js';
import { RemoteWorldApi } from '../../drivers/sim/remote-world.js';
import { callWorld } from '../../drivers/sim/world-protocol.js';
import type { Fault } from '../../drivers/sim/world-faults.js';
import {
  agentArgs,
  dashboardUrl,
  ProcessGroup,
  ROOT,
  startDashboard,
  startWorld,
  waitFor as waitUntil,
  WaitTimeout,
  WINHA_BIN as BIN,
  type Child,
} from '../../sim/harness/processes.js';
import { EXIT, type CliIO } from '../io.js';

export interface DemoFlags {
  keep?: boolean;
  fast?: boolean;
  /** Manifests (default manifests/examples/two-node-web.yaml). */
  filename?: string;
}

/** The demo's lease timing: short, so the story fits in a minute (production default: 15/10/2). */
const DEMO_TIMING = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };

class DemoError extends Error {}

interface GroupRow {
  group: string;
  active: string;
  ready: string;
  epoch: string;
  phase: string;
  nodes: string;
  mirror: string;
}

type Obj = Record<string, unknown>;

export async function runDemo(flags: DemoFlags, io: CliIO): Promise<number> {
  const clock = new SystemClock();
  const t0 = clock.monotonic();
  const since = (from = t0) => (clock.monotonic() - from) / 1000;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const stamp = () => `[${since().toFixed(1).padStart(5)}s]`;
  const say = (line: string) => out(`${stamp()} ${line}`);

  const dir = mkdtempSync(join(tmpdir(), 'winha-demo-'));
  const storeUrl = `file://${join(dir, 'store')}`;
  const ps = new ProcessGroup(dir);
  const children = ps.children;
  let keepRunning = false;
  let store: Store | undefined;
  let world: RemoteWorldApi | undefined;

  const cleanup = () => {
    if (keepRunning) return;
    ps.killAll();
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  };
  const onExit = () => cleanup();
  const onSignal = (sig: NodeJS.Signals) => {
    io.stderr.write(`\nwinha demo: ${sig}: stopping the world server and the agents\n`);
    keepRunning = false;
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const waitFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    try {
      return await waitUntil(what, timeoutMs, probe, {
        clock,
        check: () => {
          for (const c of children)
            if (c.name === 'world' && c.proc.exitCode !== null)
              throw new DemoError(`the world server exited (${c.proc.exitCode}); see ${c.log}`);
        },
      });
    } catch (e) {
      throw e instanceof WaitTimeout ? new DemoError(e.message) : e;
    }
  };

  // The live table: one row per group each time what it shows changes (like kubectl get -w).
  const lastRows = new Map<string, string>();
  let headerShown = false;
  // What the world says while the story runs: a site started on two hosts at once, or a VIP held by two, would be two actives.
  const doubles = new Set<string>();
  let worldChecks = 0;
  const checkWorld = async () => {
    if (!world) return;
    const i = await callWorld(world, 'world.inspect', {});
    worldChecks++;
    const hostsBySite = new Map<string, string[]>();
    for (const [h, sites] of Object.entries(i.startedSites)) for (const s of sites) hostsBySite.set(s, [...(hostsBySite.get(s) ?? []), h]);
    for (const [s, hs] of hostsBySite) if (hs.length > 1) doubles.add(`site ${s} started on ${hs.join(' and ')}`);
    for (const [a, hs] of Object.entries(i.addressHolders))
      if (hs.length > 1 && vips.has(a)) doubles.add(`address ${a} held by ${hs.join(' and ')}`);
  };
  const vips = new Set<string>();
  const watchTable = async () => {
    await checkWorld().catch(() => undefined);
    if (!store) return;
    const groups = (await store.objects.list('FailoverGroup')).items;
    const mirrors = (await store.objects.list('Mirror')).items;
    for (const g of groups.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const r = rowOf(g, mirrors);
      const key = JSON.stringify(r);
      if (lastRows.get(r.group) === key) continue;
      lastRows.set(r.group, key);
      if (!headerShown) {
        out(
          `        ${'GROUP'.padEnd(6)} ${'ACTIVE'.padEnd(7)} ${'READY'.padEnd(6)} ${'EPOCH'.padEnd(6)} ${'PHASE'.padEnd(11)} ${'NODES'.padEnd(20)} MIRROR`,
        );
        headerShown = true;
      }
      out(
        `${stamp()}  ${r.group.padEnd(6)} ${r.active.padEnd(7)} ${r.ready.padEnd(6)} ${r.epoch.padEnd(6)} ${r.phase.padEnd(11)} ${r.nodes.padEnd(20)} ${r.mirror}`,
      );
    }
  };
  let tableTimer: ReturnType<SystemClock['setTimer']> | undefined;
  let tableBusy = false;
  const tableLoop = () => {
    tableTimer = clock.setTimer(250, () => {
      if (!tableBusy) {
        tableBusy = true;
        void watchTable()
          .catch(() => undefined)
          .finally(() => {
            tableBusy = false;
          });
      }
      tableLoop();
    });
  };

  const groupsOf = async () => (store ? (await store.objects.list('FailoverGroup')).items : []);
  const readyOn = (g: StoredObject, node: string) => {
    const st = (g.status ?? {}) as { activeNode?: string; conditions?: { type: string; status: string }[] };
    return st.activeNode === node && (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  };
  const inSync = (g: StoredObject) =>
    ((g.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions?.some(
      (c) => c.type === 'MirrorInSync' && c.status === 'True',
    ) ?? false;
  const fault = async (f: Fault) => {
    await callWorld(world!, 'world.fault', { fault: f });
  };

  const milestones: { what: string; seconds: number }[] = [];
  try {
    const manifestPath = resolve(io.cwd, flags.filename ?? join(ROOT, 'manifests', 'examples', 'two-node-web.yaml'));
    const inputs = await readInputs([manifestPath], false, io.cwd, io.stdin);
    const report = validateInputs(inputs);
    if (!report.valid) throw new DemoError(`${manifestPath} is invalid: run winha validate ${manifestPath}`);
    const objects = report.objects
      .map((o) => o.obj as Obj)
      .map((o) => (o['kind'] === 'Cluster' ? { ...o, spec: { ...(o['spec'] as Obj), timing: { ...DEMO_TIMING } } } : o));
    for (const o of objects) if (o['kind'] === 'VirtualIP') vips.add(String((o['spec'] as Obj)['address']));
    const nodes = ((objects.find((o) => o['kind'] === 'Cluster')?.['spec'] as { nodes?: { name: string }[] } | undefined)?.nodes ?? []).map(
      (n) => n.name,
    );
    if (nodes.length < 2) throw new DemoError('the demo needs a Cluster with two nodes');
    const demoManifest = join(dir, 'cluster.yaml');
    writeFileSync(demoManifest, objects.map((o) => toYaml(o)).join('---\n'));
    const unreachable = flags.fast ? '2s' : '5s';

    out('WinHA demo: two simulated Windows nodes serving IIS sites, one process per agent, real time.');
    out(
      `  manifests  ${manifestPath} (lease ${DEMO_TIMING.leaseDurationSeconds} s / renew ${DEMO_TIMING.renewDeadlineSeconds} s / retry ${DEMO_TIMING.retryPeriodSeconds} s for the demo; production default 15/10/2)`,
    );
    out(`  store      ${storeUrl} (the embedded file store: no server)`);
    out(
      `  DataKeeper's switchover of a volume whose source is unreachable: ${unreachable} here; real DataKeeper first tries the source for 30–40 s (docs/spec/seed003-dk-guide-troubleshooting.md §4.2), shortened so the story fits`,
    );
    out('');

    // 1. The world.
    const { child: w, address } = await startWorld(ps, { manifests: [demoManifest], seed: 1, switchoverUnreachable: unreachable }).catch(
      (e: Error) => {
        throw new DemoError(e.message);
      },
    );
    world = new RemoteWorldApi(address);
    say(`world server (winha sim world) listening on ${address}, pid ${w.proc.pid}: hosts ${nodes.join(', ')}`);
    // 2. Apply, then the agents: an agent refuses to start for a node no Cluster in the store declares.
    store = await openStore(storeUrl, { cwd: io.cwd, env: io.env });
    say(`winha apply -f ${manifestPath}`);
    for (const o of await apply(store.objects, objects)) out(`         ${o.kind.toLowerCase()}.winha.io/${o.name} ${o.action}`);
    const applied = clock.monotonic();
    const agents = new Map<string, Child>();
    const startAgent = (node: string) => {
      const c = ps.start(`agent-${node}`, agentArgs(node, storeUrl, address));
      agents.set(node, c);
      return c;
    };
    const dash = startDashboard(ps, storeUrl); // beside the agents: it costs the story no time
    for (const n of nodes)
      say(`agent ${n} started (winha agent --node ${n} --driver sim://${address}/${n}), pid ${startAgent(n).proc.pid}`);
    tableLoop();
    // The web view (winha dashboard) is a bonus: if it cannot start, say so and tell the story anyway.
    const dashboardAt = await dashboardUrl(ps, dash, clock).catch((e: Error) => void out(`  (no dashboard: ${e.message})`));
    if (dashboardAt) out(`\n  Dashboard: ${dashboardAt}  (open it in a browser to watch the story live; pid ${dash.proc.pid})\n`);

    // 3. Converge.
    const [first, second] = [nodes[0]!, nodes[1]!];
    const names = objects.filter((o) => o['kind'] === 'FailoverGroup').map((o) => String((o['metadata'] as Obj)['name']));
    const converged = await waitFor('every group Ready with its mirrors in sync', 60_000, async () => {
      const gs = await groupsOf();
      if (gs.length < names.length) return undefined;
      const ok = gs.every(
        (g) =>
          (g.status as { activeNode?: string } | undefined)?.activeNode &&
          readyOn(g, (g.status as { activeNode: string }).activeNode) &&
          inSync(g),
      );
      return ok ? gs : undefined;
    });
    await watchTable();
    const active = (converged.find((g) => g.metadata.name === names[0]) ?? converged[0]!).status as { activeNode: string };
    const victim = active.activeNode;
    const survivor = victim === first ? second : first;
    milestones.push({ what: 'apply → every group Ready, mirrors Mirroring', seconds: since(applied) });
    say(`✔ converged in ${since(applied).toFixed(1)} s: ${names.join(', ')} served by ${victim}, mirrors replicating to ${survivor}`);
    out('');

    // 4. Crash the active node.
    say(
      `✖ crashing ${victim}: world fault nodeCrash (its sites, addresses and disks stop) + kill its agent (pid ${agents.get(victim)!.proc.pid})`,
    );
    const crashAt = clock.monotonic();
    await fault({ type: 'nodeCrash', node: victim });
    await ps.kill(agents.get(victim)!);
    const failoverTimes = new Map<string, number>();
    await waitFor(`${survivor} to take over every group`, 120_000, async () => {
      for (const g of await groupsOf())
        if (!failoverTimes.has(g.metadata.name) && readyOn(g, survivor)) failoverTimes.set(g.metadata.name, since(crashAt));
      return failoverTimes.size === names.length ? true : undefined;
    });
    await watchTable();
    for (const [g, s] of failoverTimes) {
      milestones.push({ what: `failover of ${g}: ${victim} crash → Ready on ${survivor}`, seconds: s });
      say(
        `✔ ${g} Ready on ${survivor} ${s.toFixed(1)} s after the crash (lease ${DEMO_TIMING.leaseDurationSeconds} s, then DataKeeper's switchover of a volume whose source is gone, ${unreachable})`,
      );
    }
    out('');

    // 5. The old node comes back.
    say(`↻ restoring ${victim}: world fault nodeRestore (it boots) + its agent starts again`);
    const backAt = clock.monotonic();
    await fault({ type: 'nodeRestore', node: victim });
    say(`agent ${victim} started again, pid ${startAgent(victim).proc.pid}`);
    await waitFor(`${victim}'s mirrors to resync`, 90_000, async () => {
      const gs = await groupsOf();
      // Its agent must have said so too (OSU): a switchover to a node whose agent is still starting is refused.
      const standby = (g: StoredObject) =>
        (g.status as { nodes?: { name: string; state: string }[] }).nodes?.some((n) => n.name === victim && n.state === 'OSU');
      return gs.length === names.length && gs.every((g) => readyOn(g, survivor) && inSync(g) && standby(g)) ? true : undefined;
    });
    await watchTable();
    milestones.push({ what: `${victim} back → mirrors Mirroring again (it stays standby)`, seconds: since(backAt) });
    say(
      `✔ ${victim} is a standby again after ${since(backAt).toFixed(1)} s: resynced, mirrors Mirroring; the groups stay on ${survivor} (switchback: Intelligent)`,
    );
    out('');

    // 6. The operator switches back.
    const switchAt = clock.monotonic();
    for (const g of names) {
      const cmd = ['switchover', g, '--to', victim, '--store', storeUrl];
      say(`$ winha ${cmd.join(' ')}`);
      const r = spawnSync(process.execPath, [BIN, ...cmd], { encoding: 'utf8', cwd: ROOT });
      for (const l of `${r.stdout}${r.stderr}`.trim().split('\n')) if (l) out(`         ${l}`);
      if (r.status !== 0) throw new DemoError(`winha switchover ${g} exited ${r.status}`);
    }
    const switchTimes = new Map<string, number>();
    await waitFor(`every group to move back to ${victim}`, 60_000, async () => {
      for (const g of await groupsOf())
        if (!switchTimes.has(g.metadata.name) && readyOn(g, victim)) switchTimes.set(g.metadata.name, since(switchAt));
      return switchTimes.size === names.length ? true : undefined;
    });
    await watchTable();
    for (const [g, s] of switchTimes) milestones.push({ what: `switchover of ${g} back to ${victim}`, seconds: s });
    say(`✔ switched back: ${[...switchTimes].map(([g, s]) => `${g} Ready on ${victim} in ${s.toFixed(1)} s`).join(', ')}`);
    tableTimer?.cancel();
    await clock.sleep(300);
    await watchTable();

    out('');
    out(`Summary (${since().toFixed(1)} s in all):`);
    const width = Math.max(...milestones.map((m) => m.what.length));
    for (const m of milestones) out(`  ${m.what.padEnd(width)}  ${m.seconds.toFixed(1).padStart(5)} s`);
    if (doubles.size > 0) throw new DemoError(`two actives seen in the world: ${[...doubles].join('; ')}`);
    out(
      `  never two actives: ${worldChecks} looks at the world (every 250 ms) found no site started and no virtual IP held on two nodes at once`,
    );

    if (flags.keep) {
      keepRunning = true;
      const pids = ps.pids();
      out('');
      out(`The cluster keeps running (world server and agents: pids ${pids.join(' ')}). Explore it:`);
      if (dashboardAt) out(`  ${dashboardAt}  (the dashboard, live)`);
      out(`  node bin/winha.js get groups --store ${storeUrl} --watch`);
      out(`  node bin/winha.js describe group ${names[0]} --store ${storeUrl}`);
      out(`  node bin/winha.js events --store ${storeUrl}`);
      out(`  node bin/winha.js sim inspect --world ${address}`);
      out(`  node bin/winha.js sim fault --world ${address} nodeCrash --node ${victim}`);
      out(`  node bin/winha.js sim fault --world ${address} nodeRestore --node ${victim}`);
      out(`  node bin/winha.js switchover ${names[0]} --to ${survivor} --store ${storeUrl}`);
      out(`Agent logs: ${join(dir, 'agent-NODE.log')}. Stop it all: kill ${pids.join(' ')}; rm -rf ${dir}`);
    }
    return EXIT.OK;
  } catch (e) {
    tableTimer?.cancel();
    io.stderr.write(`winha demo: ${e instanceof DemoError ? e.message : ((e as Error).stack ?? String(e))}\n`);
    for (const c of children) {
      const tail = ps.tail(c);
      if (tail) io.stderr.write(`--- last lines of ${c.name} ---\n${tail}\n`);
    }
    keepRunning = false;
    return EXIT.FAILED;
  } finally {
    tableTimer?.cancel();
    world?.close();
    await store?.close().catch(() => undefined);
    cleanup();
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

const STATE = ['None', 'Mirroring', 'Resync', 'Broken', 'Paused', 'ResyncPending'];

function rowOf(g: StoredObject, mirrors: StoredObject[]): GroupRow {
  const st = (g.status ?? {}) as {
    activeNode?: string;
    epoch?: number;
    phase?: string;
    conditions?: { type: string; status: string }[];
    nodes?: { name: string; state: string }[];
  };
  const m = mirrors.find((x) => (x.spec as { group?: string }).group === g.metadata.name);
  const ms = (m?.status ?? {}) as { source?: string; targets?: { name: string; state: number }[] };
  const targets = (ms.targets ?? []).filter((t) => t.name !== ms.source);
  const mirror =
    m && ms.source
      ? `${(m.spec as { volume?: string }).volume ?? ''} ${ms.source}→${targets.map((t) => `${t.name} ${STATE[t.state] ?? t.state}`).join(',') || '?'}`
      : '-';
  return {
    group: g.metadata.name,
    active: st.activeNode ?? '-',
    ready: (st.conditions ?? []).find((c) => c.type === 'Ready')?.status ?? '-',
    epoch: st.epoch !== undefined ? String(st.epoch) : '-',
    phase: st.phase ?? '-',
    nodes: (st.nodes ?? []).map((n) => `${n.name}:${n.state}`).join(' ') || '-',
    mirror,
  };
}
