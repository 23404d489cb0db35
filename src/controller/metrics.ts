/**
 * Prometheus metrics of one agent (prom-client), named after
 * controller-runtime's (docs/spec/anchors-k8s.md §1.1) under the winha_ prefix. Each agent
 * has its own registry, so several agents can run in one test process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly queueDepth = new Gauge({ name: 'winha_workqueue_depth', help: 'Groups waiting to be reconciled.', registers: [this.registry] });
  readonly reconciles = new Counter({ name: 'winha_reconcile_total', help: 'Group reconciliations.', registers: [this.registry] });
  readonly reconcileErrors = new Counter({
    name: 'winha_reconcile_errors_total',
    help: 'Reconciliations that failed and were requeued.',
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'winha_reconcile_time_seconds',
    help: 'Time per reconciliation (agent clock).',
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });
  readonly leaseHeld = new Gauge({
    name: 'winha_group_lease_held',
    help: '1 when this node holds the group lease.',
    labelNames: ['group'],
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: 'winha_failovers_total',
    help: 'Takeovers after a lease expiry or a failure.',
    labelNames: ['group'],
    registers: [this.registry],
  });
  readonly looks = new Counter({
    name: 'winha_group_looks_total',
    help: 'Group reconciles by kind: a full look (observe, decide, act, status) or only the due health checks of a resting holder.',
    labelNames: ['look'],
    registers: [this.registry],
  });
  readonly checks = new Counter({
    name: 'winha_checks_total',
    help: 'Health checks by kind and result.',
    labelNames: ['check', 'result'],
    registers: [this.registry],
  });

  private processMetrics = false;

  /**
   * Process metrics of prom-client (nodejs_eventloop_lag_seconds, process_open_fds, heap, GC): a stalled loop or
   * a descriptor leak delays lease renewal, so an operator must see them. Once per process: the agent command calls it.
   * The loop is sampled every 500 ms: a stall that matters to a renewal (hundreds of ms and more) still shows, and
   * the 20 ms sampling it had cost an idle agent 0.3 % of a core in timer wakeups (measured apart, 20 s each).
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 500 });
  }
}
