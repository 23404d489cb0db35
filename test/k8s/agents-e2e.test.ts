/**
 * Issue 8 part 4, end to end on a real API server (test/k8s-harness): two
 * `winha agent` OS processes on `--store kubernetes://harness`, each reaching
 * the API server through its own TCP relay (so the test can cut one off),
 * hosts served by a `winha sim world` process. Lease timing 4/3/1 s.
 *
 *  1. converge (on one node: a group that came up elsewhere is switched over); `kubectl get failovergroups` shows ACTIVE/READY/EPOCH filled by the agents;
 *  2. crash the active (kill -9 its agent + world fault nodeCrash) → the standby
 *     takes over; the failover is measured end to end (printed);
 *  3. the node comes back (nodeRestore, agent restarted) → standby, mirrors in sync;
 *  4. cut the active's agent from the API server (its relay goes silent) → it
 *     self-fences first (its sites stop and its VIPs go, seen in the world), and
 *     the other takes over only after the lease expired; then heal;
 *  5. throughout, the world is inspected every ~100 ms: never two actives, and
 *     the invariant checker of src/sim/scenario/invariants.ts finds nothing.
 *
 * Only generous hang-protection bounds and the order of events are asserted;
 * the measured times are printed (t.diagnostic and stdout).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toYaml } from '../../src/lib/yaml.js';
import { apply } from '../../src/apply/apply.js';
import { groupLeaseName } from '../../src/controller/agent.js';
import { SystemClock } from '../../src/lib/clock.js';
import { groupObservation } from '../../src/sim/harness/agent-target.js';
import type { Fault } from '../../src/drivers/sim/world-faults.js';
import type { HistoryEntry } from '../../src/sim/scenario/history.js';
import { InvariantChecker, serversOf, type Violation } from '../../src/sim/scenario/invariants.js';
import { agentArgs, doubleActives, ProcessGroup, startWorld, waitFor, WINHA_BIN, type Child } from '../../src/sim/harness/processes.js';
import { RemoteWorldApi } from '../../src/drivers/sim/remote-world.js';
import type { Observation } from '../../src/sim/scenario/target.js';
import { topologyOf, type Topology } from '../../src/sim/world/topology.js';
import { callWorld } from '../../src/drivers/sim/world-protocol.js';
import type { LeaseRecord, StoredObject } from '../../src/store/types.js';
import { KubernetesStore } from '../../src/store/kubernetes/store.js';
import { readInputs } from '../../src/validate/sources.js';
import { validateInputs } from '../../src/validate/validate.js';
import { harnessSkipReason, startHarness, type KubeHarness } from '../k8s-harness/harness.js';
import { startRelay, type Relay } from '../k8s-harness/relay.js';
import { EXAMPLES_DIR } from '../support/paths.js';

/** Runs in `make test` whenever the harness can be built and started here; WINHA_E2E_K8S=0 skips it. */
const skip = process.env['WINHA_E2E_K8S'] === '0' ? 'skipped: WINHA_E2E_K8S=0' : harnessSkipReason();
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

/** Short but realistic (production default 15/10/2). */
const TIMING = { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 };
const LEASE_MS = TIMING.leaseDurationSeconds * 1000;
/** Hang protection only: nothing here should come near it. */
const BOUND_MS = 90_000;
const STORE_URL = 'kubernetes://harness?namespace=default';
const NODES = ['node1', 'node2'] as const;

type Obj = Record<string, unknown>;

/** One look at the world and the store, on the test's monotonic clock. */
interface Sample {
  at: number;
  observation: Observation;
  leases: Map<string, LeaseRecord | null>;
}

describe('two winha agent processes on kubernetes:// with the simulated world (end to end)', { skip: skip ?? false }, () => {
  const clock = new SystemClock();
  const origin = clock.monotonic();
  const now = () => clock.monotonic();
  const secs = (ms: number) => (ms / 1000).toFixed(2);
  let kube: KubeHarness;
  let dir: string;
  let cluster: ProcessGroup;
  let admin: KubernetesStore;
  let world: RemoteWorldApi;
  let worldAddress: string;
  let topology: Topology;
  let groups: string[];
  const vips = new Set<string>();
  const relays = new Map<string, Relay>();
  const kubeconfigs = new Map<string, string>();
  const agents = new Map<string, Child>();
  const report: string[] = [];
  const say = (line: string) => {
    report.push(line);
    process.stdout.write(`# e2e [${secs(now() - origin).padStart(6)}s] ${line}\n`);
  };

  // ── the monitor: world + store every ~100 ms, double actives, invariants
  const samples: Sample[] = [];
  const doubles: string[] = [];
  const violations: Violation[] = [];
  let checker: InvariantChecker;
  let monitoring = false;
  let monitorDone: Promise<void> = Promise.resolve();
  const history = (e: HistoryEntry) => violations.push(...checker.push(e));
  const sampleOnce = async (): Promise<void> => {
    const w = await callWorld(world, 'world.inspect', {});
    const at = now();
    for (const d of doubleActives(w, vips)) doubles.push(`${secs(at - origin)}s: ${d}`);
    const gs = (await admin.objects.list('FailoverGroup', { namespace: 'default' })).items;
    const observation: Observation = {
      at,
      world: w,
      groups: gs.map((g) => groupObservation(g, false)).sort((a, b) => a.name.localeCompare(b.name)),
    };
    const leases = new Map<string, LeaseRecord | null>();
    for (const g of groups) leases.set(g, await admin.leases.get(groupLeaseName('default', g)));
    samples.push({ at, observation, leases });
    history({ kind: 'observation', at, observation });
  };
  const startMonitor = () => {
    monitoring = true;
    monitorDone = (async () => {
      while (monitoring) {
        await sampleOnce().catch(() => undefined);
        await clock.sleep(100);
      }
    })();
  };
  const fault = async (f: Fault) => {
    await callWorld(world, 'world.fault', { fault: f });
    history({ kind: 'fault', at: now(), fault: f });
  };

  const groupsNow = async () => (await admin.objects.list('FailoverGroup', { namespace: 'default' })).items;
  const cond = (g: StoredObject, type: string) =>
    ((g.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions?.some(
      (c) => c.type === type && c.status === 'True',
    ) ?? false;
  const activeOf = (g: StoredObject) => (g.status as { activeNode?: string } | undefined)?.activeNode;
  const readyOn = (g: StoredObject, node: string) => activeOf(g) === node && cond(g, 'Ready');
  /** Every group Ready on `node` with its mirror in sync (the mirror gate lets the other node take over). */
  const settledOn = (node: string) =>
    waitFor(`every group Ready on ${node} with its mirror in sync`, BOUND_MS, async () => {
      const gs = await groupsNow();
      return gs.length === groups.length && gs.every((g) => readyOn(g, node) && cond(g, 'MirrorInSync')) ? gs : undefined;
    }).catch(async (e: Error) => {
      const objs = [
        ...(await groupsNow().catch(() => [])),
        ...(await admin.objects.list('Mirror', { namespace: 'default' }).then(
          (l) => l.items,
          () => [],
        )),
      ];
      const inspection = await callWorld(world, 'world.inspect', {}).catch(() => undefined);
      throw new Error(
        `${e.message}\n${objs.map((o) => `${o.kind}/${o.metadata.name}: ${JSON.stringify(o.status)}`).join('\n')}\nworld volumes: ${JSON.stringify(inspection?.volumes)}, split brains: ${JSON.stringify(inspection?.splitBrains)}`,
      );
    });
  const servers = (s: Sample, group: string) =>
    serversOf(
      s.observation,
      topology.groups.find((g) => g.name === group)!,
    );
  const startAgent = (node: string) => {
    const c = cluster.start(`agent-${node}`, agentArgs(node, STORE_URL, worldAddress), {
      KUBECONFIG: kubeconfigs.get(node)!,
      WINHA_STORE: '',
    });
    agents.set(node, c);
    return c;
  };
  const kubectlGroups = () => {
    const r = spawnSync('kubectl', ['get', 'failovergroups', '-n', 'default'], {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kube.kubeconfig },
    });
    assert.equal(r.status, 0, r.stderr);
    const [header, ...rows] = r.stdout.trim().split('\n');
    assert.match(header!, /^NAME\s+ACTIVE\s+READY\s+EPOCH\s+DESIRED\s+AGE$/);
    return new Map(
      rows
        .map((l) => l.trim().split(/\s+/))
        .map(([name, active, ready, epoch]) => [name!, { active: active!, ready: ready!, epoch: Number(epoch) }]),
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'winha-k8s-e2e-'));
    kube = await startHarness();
    cluster = new ProcessGroup(dir);
    admin = new KubernetesStore(STORE_URL, { kubeconfig: kube.kubeconfig });
    for (const n of NODES) {
      const relay = await startRelay(kube.server);
      relays.set(n, relay);
      kubeconfigs.set(n, relay.writeKubeconfig(kube.kubeconfig, join(dir, `kubeconfig-${n}`)));
    }
    // The example cluster with test lease timing.
    const report = validateInputs(await readInputs([join(EXAMPLES_DIR, 'two-node-web.yaml')], false, dir, process.stdin));
    assert.ok(report.valid);
    const objects = report.objects
      .map((o) => o.obj as Obj)
      .map((o) => (o['kind'] === 'Cluster' ? { ...o, spec: { ...(o['spec'] as Obj), timing: { ...TIMING } } } : o));
    topology = topologyOf(objects);
    groups = topology.groups.map((g) => g.name).sort();
    for (const v of topology.vips) vips.add(v.address);
    const manifest = join(dir, 'cluster.yaml');
    writeFileSync(manifest, objects.map((o) => toYaml(o)).join('---\n'));
    // DataKeeper's switchover from an unreachable source shortened to 2 s (real: 30–40 s), as `winha demo --fast`.
    const w = await startWorld(cluster, { manifests: [manifest], seed: 1, switchoverUnreachable: '2s' });
    world = new RemoteWorldApi(w.address);
    worldAddress = w.address;
    checker = new InvariantChecker(topology, {
      invariants: ['singleActive', 'noUnsafePromotion', 'noLostWrites', 'converges'],
      convergeWithinMs: 60_000,
      origin,
    });
    // Apply first: an agent refuses to start for a node no Cluster in the store declares.
    await apply(admin.objects, objects);
    for (const n of NODES) startAgent(n);
    startMonitor();
  });

  after(async () => {
    monitoring = false;
    await monitorDone;
    cluster?.killAll();
    world?.close();
    for (const r of relays.values()) r.close();
    await admin?.close();
    await kube?.stop();
    if (process.exitCode || violations.length || doubles.length) process.stdout.write(cluster?.tails(20) ?? '');
    if (dir && !process.env['WINHA_E2E_KEEP']) rmSync(dir, { recursive: true, force: true });
  });

  let active = '';
  let standby = '';

  it('converges; kubectl get failovergroups shows ACTIVE/READY/EPOCH written by the agents', async () => {
    const t0 = now();
    // Usually node1 (priority 1) serves both groups; a group whose first activation failed has moved to node2.
    const gs = await waitFor('every group Ready with its mirror in sync', BOUND_MS, async () => {
      const gs = await groupsNow();
      return gs.length === groups.length && gs.every((g) => activeOf(g) && readyOn(g, activeOf(g)!) && cond(g, 'MirrorInSync'))
        ? gs
        : undefined;
    });
    active = activeOf(gs.find((g) => g.metadata.name === groups[0])!)!;
    standby = NODES.find((n) => n !== active)!;
    for (const g of gs.filter((g) => activeOf(g) !== active)) {
      say(
        `${g.metadata.name} came up on ${activeOf(g)}: winha switchover ${g.metadata.name} --to ${active}, so one node serves every group`,
      );
      const r = spawnSync(process.execPath, [WINHA_BIN, 'switchover', g.metadata.name, '--to', active, '--store', STORE_URL], {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: kube.kubeconfig, WINHA_STORE: '' },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    await settledOn(active);
    say(`converged: ${groups.join(', ')} Ready on ${active}, mirrors in sync, ${secs(now() - t0)} s after apply`);
    if (!hasKubectl) return;
    const rows = kubectlGroups();
    for (const g of groups) {
      const r = rows.get(g);
      assert.ok(r, `kubectl shows ${g}`);
      assert.equal(r.active, active);
      assert.equal(r.ready, 'True');
      assert.ok(r.epoch >= 1, `EPOCH filled: ${JSON.stringify(r)}`);
    }
    say(`kubectl get failovergroups: ${[...rows].map(([g, r]) => `${g} ACTIVE=${r.active} READY=${r.ready} EPOCH=${r.epoch}`).join(', ')}`);
  });

  it('crash the active (kill -9 its agent + nodeCrash): the standby takes over, measured end to end', async () => {
    assert.ok(active);
    // Acknowledged writes on every mirror, so noLostWrites has something to check.
    for (const m of topology.mirrors) await fault({ type: 'write', node: active, volume: m.volume, count: 5 });
    const before = new Map((await groupsNow()).map((g) => [g.metadata.name, (g.status as { epoch: number }).epoch]));
    const crashAt = now();
    await cluster.kill(agents.get(active)!);
    await fault({ type: 'nodeCrash', node: active });
    const readyAt = new Map<string, number>();
    await waitFor(
      `${standby} to take over every group`,
      BOUND_MS,
      async () => {
        for (const g of await groupsNow()) if (!readyAt.has(g.metadata.name) && readyOn(g, standby)) readyAt.set(g.metadata.name, now());
        return readyAt.size === groups.length ? true : undefined;
      },
      { everyMs: 50 },
    );
    for (const g of groups) {
      const serving = samples.find((s) => s.at >= crashAt && servers(s, g).includes(standby));
      const ms = readyAt.get(g)! - crashAt;
      say(
        `failover after a crash: ${g} Ready on ${standby} ${secs(ms)} s after the crash${serving ? ` (serving in the world after ${secs(serving.at - crashAt)} s)` : ''}; lease ${TIMING.leaseDurationSeconds} s, DataKeeper unreachable-source switchover 2 s`,
      );
      assert.ok(ms >= LEASE_MS - 500, `${g}: not before the lease expired (${ms} ms)`);
      assert.ok(ms < BOUND_MS);
    }
    for (const g of await groupsNow())
      assert.ok((g.status as { epoch: number }).epoch > before.get(g.metadata.name)!, `${g.metadata.name}: a new epoch`);
    if (hasKubectl)
      for (const [g, r] of kubectlGroups())
        assert.deepEqual([r.active, r.ready, r.epoch > before.get(g)!], [standby, 'True', true], `kubectl: ${g}`);
    [active, standby] = [standby, active];
  });

  it('the crashed node comes back as the standby (Intelligent switchback): mirrors in sync again', async () => {
    const t0 = now();
    await fault({ type: 'nodeRestore', node: standby });
    startAgent(standby);
    await settledOn(active);
    say(`${standby} back: standby, mirrors in sync after ${secs(now() - t0)} s; groups stay on ${active}`);
  });

  it('cut the active agent from the API server: it self-fences first, the other takes over only after the lease expired', async () => {
    const victim = active;
    const survivor = standby;
    const cutAt = now();
    relays.get(victim)!.cut();
    await fault({ type: 'storePartition', node: victim }); // the world only records it; the relay does the cutting
    const takenAt = new Map<string, number>();
    await waitFor(
      `${survivor} to take over every group`,
      BOUND_MS,
      async () => {
        for (const g of await groupsNow()) if (!takenAt.has(g.metadata.name) && readyOn(g, survivor)) takenAt.set(g.metadata.name, now());
        return takenAt.size === groups.length ? true : undefined;
      },
      { everyMs: 50 },
    );
    await clock.sleep(300); // a few more samples
    const after = samples.filter((s) => s.at >= cutAt);
    for (const g of groups) {
      // The victim's last renewal the monitor saw: the last change of the lease record while it held it.
      let lastRenewSeen = cutAt;
      let prevRev = '';
      let takeover: Sample | undefined;
      for (const s of samples) {
        const l = s.leases.get(g);
        if (!l) continue;
        if (l.holder === victim && l.revision !== prevRev) lastRenewSeen = s.at;
        prevRev = l.revision;
        if (s.at >= cutAt && l.holder === survivor) {
          takeover = s;
          break;
        }
      }
      assert.ok(takeover, `${g}: the lease moved to ${survivor}`);
      const fenced = after.find((s) => !servers(s, g).includes(victim));
      const serving = after.find((s) => servers(s, g).includes(survivor));
      assert.ok(fenced && serving, `${g}: fenced and served again`);
      say(
        `cut ${victim} from the API server: ${g} — last renewal seen ${secs(lastRenewSeen - cutAt)} s after the cut; ` +
          `${victim} fenced (site stopped, VIP gone) ${secs(fenced.at - cutAt)} s after the cut, ${secs(fenced.at - lastRenewSeen)} s after its last renewal; ` +
          `lease taken by ${survivor} ${secs(takeover.at - lastRenewSeen)} s after it; serving on ${survivor} ${secs(serving.at - cutAt)} s after the cut, Ready ${secs(takenAt.get(g)! - cutAt)} s`,
      );
      assert.ok(fenced.at <= serving.at, `${g}: ${victim} stopped serving before ${survivor} started`);
      // Not asserted (printed above): that the fence lands within the lease after the last renewal *the monitor saw*.
      // In runs so far it landed 3 s after the last renewal *the agent* counted, but 5–8 s after the cut (see the README).
      assert.ok(
        takeover.at >= lastRenewSeen + LEASE_MS - 300,
        `${g}: ${survivor} took the lease only after it expired (${takeover.at - lastRenewSeen} ms after the last renewal seen)`,
      );
      assert.ok((takeover.leases.get(g)!.epoch ?? 0) > 0);
      assert.ok(takenAt.get(g)! - cutAt < BOUND_MS);
    }
    [active, standby] = [survivor, victim];
  });

  it('the cut agent reconnects: it stays standby and the mirror resyncs', async () => {
    const healAt = now();
    relays.get(standby)!.heal();
    await fault({ type: 'storeHeal', node: standby });
    await settledOn(active);
    say(`${standby} reconnected: standby, mirrors in sync ${secs(now() - healAt)} s after the heal`);
  });

  it('never two actives (world inspected throughout) and the invariants hold', async () => {
    await clock.sleep(500);
    monitoring = false;
    await monitorDone;
    const span = samples.length ? samples[samples.length - 1]!.at - samples[0]!.at : 0;
    say(
      `${samples.length} looks at the world over ${secs(span)} s (one every ${secs(span / Math.max(1, samples.length - 1))} s): ${doubles.length} with two actives; invariants singleActive, noUnsafePromotion, noLostWrites, converges: ${violations.length} violations`,
    );
    assert.ok(samples.length > 100);
    assert.deepEqual(doubles, []);
    assert.deepEqual(
      violations.map((v) => `${v.invariant}: ${v.message}\n${v.excerpt.join('\n')}`),
      [],
    );
  });
});
