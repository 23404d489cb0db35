/**
 * Runs a Scenario against a ScenarioTarget on virtual time: performs each
 * step, observes the cluster every tick, feeds every observation, fault,
 * action and event to the invariant checker, and reports each step's result,
 * measured durations (fault → condition), violations and the trace.
 *
 * Deterministic: the engine draws no randomness and reads no real clock, so
 * with a deterministic target the same scenario and seed give a
 * byte-identical report.
 */
import { describeCondition, evaluate } from './conditions.js';
import { formatDuration } from './duration.js';
import { describeFault } from '../world/fault-spec.js';
import { describeManual, describeOperator, entryTrace, type HistoryEntry, type TraceEntry } from './history.js';
import { InvariantChecker, type Violation } from './invariants.js';
import type { AsyncLossEntry } from './async-loss.js';
import type { Scenario, Step } from './model.js';
import type { EventObservation, Observation, ScenarioTarget } from './target.js';
import { topologyOf, type Topology } from '../world/topology.js';

export interface RunOptions {
  seed: number;
  /** Observation period, virtual ms (default 100). */
  tickMs?: number;
  /** Give up on a run that has spent this much virtual time (default 6 h): no scenario hangs. */
  maxVirtualMs?: number;
  /** Keep the whole history in the report (tests; default false). */
  keepHistory?: boolean;
}

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  index: number;
  type: Step['type'];
  /** The step's `name:`, if it has one. */
  name?: string;
  description: string;
  /** file:line:column of the step, when it came from a file. */
  place?: string;
  status: StepStatus;
  /** Virtual ms since the run's start. */
  startedAt: number;
  endedAt: number;
  message: string;
}

export interface Measurement {
  /** Step index of the condition that ended the measurement. */
  step: number;
  label: string;
  ms: number;
}

export interface ScenarioReport {
  scenario: string;
  file: string;
  seed: number;
  passed: boolean;
  steps: StepResult[];
  measurements: Measurement[];
  violations: Violation[];
  /** Writes lost on asynchronous mirrors (their documented price, not a violation unless the policy refused it). */
  asyncLoss: AsyncLossEntry[];
  /** Virtual ms the run took. */
  durationMs: number;
  /** What happened, in order: objects with `at` (virtual ms since the start), `kind` and `text` (formatReportText prints the text). */
  trace: TraceEntry[];
  history?: HistoryEntry[];
}

const DEFAULT_TICK_MS = 100;

class Run {
  readonly topology: Topology;
  readonly checker: InvariantChecker;
  readonly trace: TraceEntry[] = [];
  /** When each named step started (the target's clock), for event conditions' `since`. */
  readonly stepStarts = new Map<string, number>();
  readonly history: HistoryEntry[] = [];
  readonly violations: Violation[] = [];
  private traceFacts: string[] = [];
  private seenEvents = 0;
  events: EventObservation[] = [];
  last!: Observation;
  lastFault: { at: number; text: string } | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly target: ScenarioTarget,
    readonly origin: number,
    readonly opts: Required<Omit<RunOptions, 'keepHistory'>> & { keepHistory: boolean },
  ) {
    this.topology = topologyOf(scenario.objects);
    this.checker = new InvariantChecker(this.topology, {
      invariants: scenario.invariants,
      convergeWithinMs: scenario.convergeWithinMs,
      origin,
    });
  }

  rel(at = this.target.now()): number {
    return at - this.origin;
  }

  note(text: string, step?: { step: number; name?: string; status?: 'started' | 'passed' | 'failed' }): void {
    const at = this.rel();
    this.trace.push(step ? { at, kind: 'step', text, ...step } : { at, kind: 'run', text });
  }

  record(e: HistoryEntry): void {
    if (this.opts.keepHistory) this.history.push(e);
    const { entries, facts } = entryTrace(e, this.origin, this.traceFacts);
    if (facts) this.traceFacts = facts;
    this.trace.push(...entries);
    for (const v of this.checker.push(e)) {
      this.violations.push(v);
      this.trace.push({
        at: v.at,
        kind: 'violation',
        invariant: v.invariant,
        message: v.message,
        text: `VIOLATION ${v.invariant}: ${v.message}`,
      });
    }
  }

  async observe(): Promise<void> {
    const events = await this.target.events();
    for (const ev of events.slice(this.seenEvents)) this.record({ kind: 'event', at: ev.at, event: ev });
    this.seenEvents = events.length;
    this.events = events;
    this.last = await this.target.observe();
    this.record({ kind: 'observation', at: this.last.at, observation: this.last });
  }

  readonly stepStart = (name: string): number | undefined => this.stepStarts.get(name);

  budgetLeft(): boolean {
    return this.rel() < this.opts.maxVirtualMs;
  }

  /** One tick of time, then an observation. */
  async tick(ms = this.opts.tickMs): Promise<void> {
    await this.target.advance(ms);
    await this.observe();
  }
}

function describeStep(s: Step): string {
  switch (s.type) {
    case 'waitFor':
      return `waitFor ${describeCondition(s.condition)} within ${formatDuration(s.withinMs)}`;
    case 'expect':
      return `expect ${describeCondition(s.condition)}${s.forMs ? ` for ${formatDuration(s.forMs)}` : ''}`;
    case 'fault':
      return `fault ${describeFault(s.fault)}`;
    case 'sleep':
      return `sleep ${formatDuration(s.ms)}`;
    case 'operator':
      return `${describeOperator(s.operator)}${s.outcome !== 'accepted' ? ` (expect ${s.outcome})` : ''}`;
    case 'manual':
      return `${describeManual(s.manual)}${s.outcome !== 'accepted' ? ` (expect ${s.outcome})` : ''}`;
  }
}

async function performStep(run: Run, s: Step, index: number, measurements: Measurement[]): Promise<{ ok: boolean; message: string }> {
  const start = run.target.now();
  switch (s.type) {
    case 'waitFor': {
      for (;;) {
        const v = evaluate(run.topology, s.condition, run.last, run.events, run.stepStart);
        const waited = run.target.now() - start;
        if (v.holds) {
          const label = describeCondition(s.condition);
          measurements.push({ step: index, label: `step ${index}: ${label}`, ms: waited });
          if (run.lastFault && run.lastFault.at <= start) {
            measurements.push({ step: index, label: `${run.lastFault.text} → ${label}`, ms: run.target.now() - run.lastFault.at });
          }
          return { ok: true, message: `after ${(waited / 1000).toFixed(3)}s` };
        }
        if (waited >= s.withinMs) return { ok: false, message: `not within ${formatDuration(s.withinMs)}: ${v.seen}` };
        if (!run.budgetLeft())
          return { ok: false, message: `the run exceeded its virtual time budget (${formatDuration(run.opts.maxVirtualMs)})` };
        await run.tick(Math.min(run.opts.tickMs, s.withinMs - waited));
      }
    }
    case 'expect': {
      for (;;) {
        const v = evaluate(run.topology, s.condition, run.last, run.events, run.stepStart);
        if (!v.holds) {
          const after = run.target.now() - start;
          return { ok: false, message: s.forMs && after > 0 ? `stopped holding after ${(after / 1000).toFixed(3)}s: ${v.seen}` : v.seen };
        }
        const held = run.target.now() - start;
        if (held >= s.forMs) return { ok: true, message: v.seen };
        await run.tick(Math.min(run.opts.tickMs, s.forMs - held));
      }
    }
    case 'fault': {
      const result = await run.target.injectFault(s.fault);
      run.record({ kind: 'fault', at: run.target.now(), fault: s.fault });
      let message = 'injected';
      if (s.fault.type === 'write') {
        const w = result.writes ?? [];
        message = `${w.length} writes: ${w.filter((x) => x.accepted).length} accepted, ${w.filter((x) => x.onTarget).length} acknowledged by the target`;
      } else run.lastFault = { at: run.target.now(), text: `fault ${describeFault(s.fault)}` };
      await run.observe();
      return { ok: true, message };
    }
    case 'sleep': {
      while (run.target.now() - start < s.ms) await run.tick(Math.min(run.opts.tickMs, s.ms - (run.target.now() - start)));
      return { ok: true, message: '' };
    }
    case 'operator': {
      const r = await run.target.operator(s.operator);
      run.record({ kind: 'operator', at: run.target.now(), action: s.operator, accepted: r.accepted, message: r.message });
      await run.observe();
      const ok = s.outcome === 'any' || (s.outcome === 'accepted') === r.accepted;
      return { ok, message: `${r.accepted ? 'accepted' : 'refused'}: ${r.message}${ok ? '' : ` (expected ${s.outcome})`}` };
    }
    case 'manual': {
      const r = await run.target.manual(s.manual);
      run.record({ kind: 'manual', at: run.target.now(), action: s.manual, accepted: r.accepted, message: r.message });
      await run.observe();
      const ok = s.outcome === 'any' || (s.outcome === 'accepted') === r.accepted;
      return { ok, message: `${r.accepted ? 'done' : 'refused'}: ${r.message}${ok ? '' : ` (expected ${s.outcome})`}` };
    }
  }
}

/**
 * After the last step, while converges is checked and every fault has healed,
 * let time pass until every InService group is Ready (or the bound passes, which
 * the checker reports). Without it a scenario ending right after a heal would
 * never test convergence.
 */
async function settle(run: Run): Promise<void> {
  if (!run.scenario.invariants.includes('converges')) return;
  for (;;) {
    if (run.checker.openFaults().length > 0 || run.checker.inMaintenance()) return;
    const pending = run.last.groups.some(
      (g) =>
        g.desiredState === 'InService' &&
        !g.maintenance &&
        !g.ready &&
        !g.conditions.some((c) => c.type === 'PromotionBlocked' && c.status === 'True') &&
        g.phase !== 'Failed' &&
        g.phase !== 'Blocked',
    );
    if (!pending) return;
    if (run.target.now() - run.checker.lastDisturbanceAt() > run.scenario.convergeWithinMs || !run.budgetLeft()) return;
    await run.tick();
  }
}

export async function runScenario(scenario: Scenario, target: ScenarioTarget, options: RunOptions): Promise<ScenarioReport> {
  const opts = {
    tickMs: options.tickMs ?? DEFAULT_TICK_MS,
    maxVirtualMs: options.maxVirtualMs ?? 6 * 3_600_000,
    seed: options.seed,
    keepHistory: options.keepHistory ?? false,
  };
  const steps: StepResult[] = scenario.steps.map((s, i) => {
    const r: StepResult = {
      index: i + 1,
      type: s.type,
      description: describeStep(s),
      ...(s.name !== undefined ? { name: s.name } : {}),
      status: 'skipped',
      startedAt: 0,
      endedAt: 0,
      message: '',
    };
    if (s.place) r.place = `${s.place.file}:${s.place.line}:${s.place.column}`;
    return r;
  });
  const measurements: Measurement[] = [];
  let run: Run | undefined;
  try {
    await target.start({ objects: scenario.objects, seed: options.seed, ...(scenario.world ? { world: scenario.world } : {}) });
    run = new Run(scenario, target, target.now(), opts);
    run.note(
      `scenario ${scenario.name} seed ${options.seed}: ${scenario.steps.length} steps, invariants ${scenario.invariants.join(', ') || 'none'}`,
    );
    await run.observe();
    for (const [i, s] of scenario.steps.entries()) {
      const r = steps[i]!;
      r.startedAt = run.rel();
      if (s.name !== undefined) run.stepStarts.set(s.name, run.target.now());
      const label = `step ${r.index}${s.name !== undefined ? ` (${s.name})` : ''}`;
      const stepRef = { step: r.index, ...(s.name !== undefined ? { name: s.name } : {}) };
      run.note(`${label}: ${r.description}`, { ...stepRef, status: 'started' });
      let outcome: { ok: boolean; message: string };
      try {
        outcome = await performStep(run, s, r.index, measurements);
      } catch (e) {
        outcome = { ok: false, message: `the cluster under test failed: ${(e as Error).message}` };
      }
      r.endedAt = run.rel();
      r.status = outcome.ok ? 'passed' : 'failed';
      r.message = outcome.message;
      run.note(`${label} ${r.status}${outcome.message ? `: ${outcome.message}` : ''}`, { ...stepRef, status: r.status });
      if (!outcome.ok) break;
    }
    if (steps.every((s) => s.status === 'passed')) {
      try {
        await settle(run);
      } catch (e) {
        run.note(`settling failed: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    const first = steps[0];
    if (first && first.status === 'skipped') {
      first.status = 'failed';
      first.message = `the cluster under test did not start: ${(e as Error).message}`;
    }
  } finally {
    await target.stop().catch(() => undefined);
  }
  const report: ScenarioReport = {
    scenario: scenario.name,
    file: scenario.file,
    seed: options.seed,
    passed: steps.every((s) => s.status === 'passed') && (run?.violations.length ?? 0) === 0,
    steps,
    measurements,
    violations: run?.violations ?? [],
    asyncLoss: run?.checker.asyncLoss.report() ?? [],
    durationMs: run ? run.rel() : 0,
    trace: run?.trace ?? [],
  };
  if (opts.keepHistory && run) report.history = run.history;
  return report;
}
