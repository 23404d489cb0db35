/**
 * `winha driver test`: Pacemaker's ocf-tester for a HostDriver. Every call the
 * agent makes is exercised once against a scratch site and a spare address on
 * the node, after read-only preflight checks that refuse to touch anything that
 * already exists; whatever was changed is undone in a cleanup phase that runs
 * even when a call failed.
 */
import type { Clock } from '../../lib/clock.js';
import { isDriverError } from '../errors.js';
import type { CallOptions, HostDriver, HostDriverOperation, SiteDefinition } from '../types.js';
import { preflight } from './preflight.js';

export const DEFAULT_SCRATCH_SITE = 'winha-driver-test';

export interface DriverTestOptions {
  siteName: string;
  /** Folder of the scratch site (the caller creates it on a real node). */
  physicalPath: string;
  /** A spare address: must not be on the host nor answered by another machine. */
  address: string;
  prefixLength: number;
  interfaceAlias: string;
  /** Port of the scratch site's http binding. */
  port: number;
  /** A disposable, unmirrored volume letter: lock/unlock (and, with targetAddress, a scratch mirror). */
  volume?: string;
  /** Replication addresses of a scratch mirror of `volume` (both or neither). */
  sourceAddress?: string;
  targetAddress?: string;
  /** Deadline of each call. */
  timeoutMs: number;
}

export type StepPhase = 'preflight' | 'test' | 'cleanup';

export interface StepResult {
  phase: StepPhase;
  operation: HostDriverOperation;
  /** The call as printed, e.g. `queryService(W3SVC)`. */
  call: string;
  outcome: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  /** DriverError code; `UnexpectedResult` when the call succeeded but answered wrongly; `Error` for anything else thrown. */
  code?: string;
  kitCode?: number;
  /** What came back (ok) or what went wrong (failed). */
  detail: string;
}

/** Why the test would not change anything on this host (exit 2). Ids are stable. */
export interface Refusal {
  id: 'address-present' | 'address-claimed' | 'site-exists' | 'interface-missing' | 'volume-mirrored';
  message: string;
}

export interface DriverTestReport {
  node: string;
  steps: StepResult[];
  refused?: Refusal;
  /** Things an operator should know that are not calls (what was left behind, what was not exercised). */
  notes: string[];
  ok: boolean;
}

/** Operations the test never calls, and why (printed so nobody thinks they were covered). */
export const NOT_EXERCISED: Partial<Record<HostDriverOperation, string>> = {
  startService: 'would restart IIS for every site on the node',
  stopService: 'would stop IIS for every site on the node',
  probeFtp: 'needs an FTP site; the scratch site is http only',
  switchoverMirror: 'needs a second node running the test at the same time',
  breakMirror: 'forces a full resync of a real mirror',
  resyncMirror: 'forces a full resync of a real mirror',
  prepareToBecomeTarget: 'split-brain recovery: destroys the local copy',
};

/** Thrown by a step's check when the call answered, but not as it should. */
class Unexpected extends Error {}

export async function runDriverTest(driver: HostDriver, opts: DriverTestOptions, clock: Clock): Promise<DriverTestReport> {
  const steps: StepResult[] = [];
  const notes: string[] = [];
  const o: CallOptions = { epoch: 0, timeoutMs: opts.timeoutMs };
  let stopped = false;

  /** Run one call, record its line; returns the value, or undefined when it failed (or was skipped). */
  async function step<T>(
    phase: StepPhase,
    operation: HostDriverOperation,
    call: string,
    fn: () => Promise<T>,
    describe: (v: T) => string,
  ): Promise<T | undefined> {
    if (stopped && phase === 'test') {
      steps.push({ phase, operation, call, outcome: 'skipped', durationMs: 0, detail: 'an earlier call failed' });
      return undefined;
    }
    const started = clock.monotonic();
    try {
      const v = await fn();
      const detail = describe(v);
      steps.push({ phase, operation, call, outcome: 'ok', durationMs: clock.monotonic() - started, detail });
      return v;
    } catch (e) {
      const base = { phase, operation, call, outcome: 'failed' as const, durationMs: clock.monotonic() - started };
      if (isDriverError(e)) {
        steps.push({ ...base, code: e.code, ...(e.kitCode !== undefined ? { kitCode: e.kitCode } : {}), detail: e.message });
      } else if (e instanceof Unexpected) {
        steps.push({ ...base, code: 'UnexpectedResult', detail: e.message });
      } else {
        steps.push({ ...base, code: 'Error', detail: (e as Error).message ?? String(e) });
      }
      if (phase === 'test') stopped = true;
      return undefined;
    }
  }
  const expect = (cond: boolean, why: string) => {
    if (!cond) throw new Unexpected(why);
  };
  const finish = (refused?: Refusal): DriverTestReport => ({
    node: driver.nodeName,
    steps,
    ...(refused ? { refused } : {}),
    notes,
    ok: !refused && steps.every((s) => s.outcome === 'ok'),
  });

  // ── preflight: read-only; any failure or refusal ends the run before anything changes ──
  const refusal = await preflight(driver, opts, o, step);
  if (refusal === 'failed') return finish();
  if (refusal) return finish(refusal);

  // ── test: each call changes the scratch objects only ──
  const def: SiteDefinition = {
    name: opts.siteName,
    bindings: [{ protocol: 'http', address: opts.address, port: opts.port, hostHeader: '' }],
    physicalPath: opts.physicalPath,
    applicationPool: 'DefaultAppPool',
    serverAutoStart: false,
  };
  let siteTouched = false;
  let vipAdded = false;
  let locked = false;
  let mirrorCreated = false;
  try {
    siteTouched = true;
    await step(
      'test',
      'ensureSite',
      `ensureSite(${def.name})`,
      () => driver.ensureSite(def, o),
      (r) => {
        expect(r.site.name === def.name, `ensureSite returned site ${r.site.name}`);
        return `${r.created ? 'created' : `updated (${r.changed.join(', ') || 'no change'})`}, state ${r.site.state}`;
      },
    );
    await step(
      'test',
      'setServerAutoStart',
      `setServerAutoStart(${def.name}, false)`,
      () => driver.setServerAutoStart(def.name, false, o),
      (s) => {
        expect(!s.serverAutoStart, 'serverAutoStart is still true');
        return 'serverAutoStart false';
      },
    );
    vipAdded = !stopped;
    const vip = { address: opts.address, prefixLength: opts.prefixLength, interfaceAlias: opts.interfaceAlias };
    await step(
      'test',
      'addVirtualIp',
      `addVirtualIp(${opts.address}/${opts.prefixLength} on ${opts.interfaceAlias})`,
      () => driver.addVirtualIp(vip, o),
      (a) => {
        expect(a.addressState === 'Preferred', `address state is ${a.addressState}, not Preferred`);
        return `${a.addressState}, skipAsSource ${a.skipAsSource}`;
      },
    );
    await step(
      'test',
      'probeAddressClaimed',
      `probeAddressClaimed(${opts.address})`,
      () => driver.probeAddressClaimed(opts.address, o),
      (c) => {
        expect(!c.claimed, `another machine answers for ${opts.address}${c.byMac ? ` (${c.byMac})` : ''}`);
        return 'not claimed by another machine';
      },
    );
    await step(
      'test',
      'startSite',
      `startSite(${def.name})`,
      () => driver.startSite(def.name, o),
      (s) => {
        expect(s.state === 'Started', `site state is ${s.state}`);
        return `state ${s.state}`;
      },
    );
    // The reads the agent makes most on a driver that offers them (a check's own site, one observation per cycle).
    const getSite = driver.getSite?.bind(driver);
    if (getSite)
      await step(
        'test',
        'getSite',
        `getSite(${def.name})`,
        () => getSite(def.name, o),
        (s) => {
          expect(s?.state === 'Started', `getSite says ${s ? s.state : 'not found'}`);
          return `state ${s!.state}`;
        },
      );
    const observeHost = driver.observeHost?.bind(driver);
    if (observeHost)
      await step(
        'test',
        'observeHost',
        'observeHost()',
        () => observeHost(o),
        (v) => {
          expect(
            v.sites.some((x) => x.name === def.name && x.state === 'Started'),
            `observeHost does not show ${def.name} Started`,
          );
          expect(
            v.addresses.some((a) => a.address === opts.address),
            `observeHost does not show ${opts.address}`,
          );
          return `${v.sites.length} site(s), ${v.addresses.length} address(es)`;
        },
      );
    else notes.push('this driver offers no getSite/observeHost: the agent lists every site instead');
    await step(
      'test',
      'probeHttp',
      `probeHttp(http://${opts.address}:${opts.port}/)`,
      () => driver.probeHttp({ address: opts.address, port: opts.port, hostHeader: '' }, o),
      (r) => {
        expect(r.alive, `no HTTP answer: ${r.detail}${r.kitCode ? ` (kit ${r.kitCode})` : ''}`);
        return `alive, HTTP ${r.statusCode ?? '?'}`;
      },
    );
    await step(
      'test',
      'probeTcp',
      `probeTcp(${opts.address}:${opts.port})`,
      () => driver.probeTcp({ address: opts.address, port: opts.port }, o),
      (r) => {
        expect(r.alive, 'no TCP connection');
        return 'alive';
      },
    );
    if (opts.volume !== undefined) {
      const volume = opts.volume;
      locked = !stopped;
      await step(
        'test',
        'lockVolume',
        `lockVolume(${volume})`,
        () => driver.lockVolume(volume, o),
        () => 'locked',
      );
      await step(
        'test',
        'unlockVolume',
        `unlockVolume(${volume})`,
        () => driver.unlockVolume(volume, o),
        () => 'unlocked',
      );
      if (!stopped) locked = false;
      if (opts.targetAddress !== undefined && opts.sourceAddress !== undefined) {
        const req = { volume, sourceAddress: opts.sourceAddress, targetAddress: opts.targetAddress, mode: 'Synchronous' as const };
        mirrorCreated = !stopped;
        await step(
          'test',
          'createMirror',
          `createMirror(${volume}: ${req.sourceAddress} → ${req.targetAddress})`,
          () => driver.createMirror(req, o),
          () => 'created',
        );
        await step(
          'test',
          'getMirrorInfo',
          `getMirrorInfo(${volume})`,
          () => driver.getMirrorInfo(volume, o),
          (m) => {
            expect(m.role === 'source', `role is ${m.role}, not source`);
            return `role source, ${m.targets.length} target(s)`;
          },
        );
        await step(
          'test',
          'pauseMirror',
          `pauseMirror(${volume})`,
          () => driver.pauseMirror(volume, o),
          () => 'paused',
        );
        await step(
          'test',
          'continueMirror',
          `continueMirror(${volume})`,
          () => driver.continueMirror(volume, o),
          () => 'continued',
        );
      }
    }
  } finally {
    // ── cleanup: undo what the test did, whatever failed ──
    if (mirrorCreated && opts.volume !== undefined) {
      const volume = opts.volume;
      await step(
        'cleanup',
        'deleteMirror',
        `deleteMirror(${volume})`,
        () => driver.deleteMirror(volume, o),
        () => 'deleted',
      );
    }
    if (locked && opts.volume !== undefined) {
      const volume = opts.volume;
      await step(
        'cleanup',
        'unlockVolume',
        `unlockVolume(${volume})`,
        () => driver.unlockVolume(volume, o),
        () => 'unlocked',
      );
    }
    if (siteTouched) {
      await step(
        'cleanup',
        'stopSite',
        `stopSite(${def.name})`,
        () => driver.stopSite(def.name, o),
        (s) => (s ? `state ${s.state}` : 'no such site'),
      );
    }
    if (vipAdded) {
      await step(
        'cleanup',
        'removeVirtualIp',
        `removeVirtualIp(${opts.address})`,
        () => driver.removeVirtualIp(opts.address, o),
        () => 'removed',
      );
    }
  }
  if (siteTouched) {
    notes.push(
      `the scratch site ${def.name} is left stopped: HostDriver has no deleteSite (remove it with Remove-IISSite -Name ${def.name}); ` +
        'the next run reuses it',
    );
  }
  for (const [op, why] of Object.entries(NOT_EXERCISED)) notes.push(`not exercised: ${op} (${why})`);
  return finish();
}
