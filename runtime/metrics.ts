// Prometheus metrics named and labelled exactly as controller-runtime and client-go name them,
// so dashboards and alerts written for Go operators work unchanged.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InformerStats } from './informer.ts';
import type { WorkQueue, WorkQueueMetrics } from './workqueue.ts';

/** What the informer metrics read: every informer with its kind, scope and counters. */
export interface InformerSource {
  all(): Array<{ ref: { plural: string; group: string }; namespace: string; stats: InformerStats }>;
}

// controller-runtime's reconcile_time_seconds buckets (pkg/internal/controller/metrics).
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8,
  9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// client-go workqueue: ExponentialBuckets(10e-9, 10, 12).
const queueBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalReconcileErrors: Counter<'controller'>;
  readonly reconcilePanics: Counter<'controller'>;
  readonly reconcileTimeouts: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly queueDepth: Gauge<'name' | 'controller'>;
  readonly queueAdds: Counter<'name' | 'controller'>;
  readonly queueRetries: Counter<'name' | 'controller'>;
  readonly queueDuration: Histogram<'name' | 'controller'>;
  readonly workDuration: Histogram<'name' | 'controller'>;
  readonly unfinishedWork: Gauge<'name' | 'controller'>;
  readonly longestRunning: Gauge<'name' | 'controller'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly restRequests: Counter<'code' | 'method' | 'host'>;
  readonly informerLists: Counter<'resource' | 'namespace'>;
  readonly informerGoneRelists: Counter<'resource' | 'namespace'>;
  readonly informerWatchdogRestarts: Counter<'resource' | 'namespace'>;
  readonly informerFailures: Counter<'resource' | 'namespace'>;
  private readonly queues = new Map<string, WorkQueue>();
  private informerSource: InformerSource | undefined;

  constructor(registry = new Registry(), opts: { processMetrics?: boolean } = {}) {
    this.registry = registry;
    const registers = [registry];
    const queues = this.queues;
    // The event-loop delay histogram samples every 100 ms, not prom-client's default 10 ms: a timer
    // firing 100 times a second keeps an idle operator awake for a metric read every 15 s or more.
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
    this.reconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'], registers });
    this.reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller'], registers });
    this.terminalReconcileErrors = new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: ['controller'], registers });
    this.reconcilePanics = new Counter({ name: 'controller_runtime_reconcile_panics_total', help: 'Total number of reconciliation panics per controller', labelNames: ['controller'], registers });
    this.reconcileTimeouts = new Counter({ name: 'controller_runtime_reconcile_timeouts_total', help: 'Total number of reconciliation timeouts per controller', labelNames: ['controller'], registers });
    this.reconcileTime = new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller', labelNames: ['controller'], buckets: reconcileBuckets, registers });
    this.maxConcurrentReconciles = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: ['controller'], registers });
    this.activeWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: ['controller'], registers });
    this.queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name', 'controller'], registers });
    this.queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name', 'controller'], registers });
    this.queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name', 'controller'], registers });
    this.queueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name', 'controller'], buckets: queueBuckets, registers });
    this.workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes', labelNames: ['name', 'controller'], buckets: queueBuckets, registers });
    this.unfinishedWork = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads.',
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name, controller: name }, q.inFlightSeconds().reduce((a, b) => a + b, 0));
      },
    });
    this.longestRunning = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        for (const [name, q] of queues) this.set({ name, controller: name }, Math.max(0, ...q.inFlightSeconds()));
      },
    });
    this.leaderStatus = new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. \'name\' is the string used to identify the lease.', labelNames: ['name'], registers });
    this.restRequests = new Counter({ name: 'rest_client_requests_total', help: 'Number of HTTP requests, partitioned by status code, method, and host.', labelNames: ['code', 'method', 'host'], registers });
    // Informer health, read from each informer's own counters at scrape time (client-go exports
    // none by default; these names are this runtime's).
    const informerCounter = (name: string, help: string, pick: (s: InformerStats) => number): Counter<'resource' | 'namespace'> => {
      const metrics = this;
      return new Counter({
        name,
        help,
        labelNames: ['resource', 'namespace'],
        registers,
        collect() {
          const informers = metrics.informerSource?.all() ?? [];
          if (informers.length === 0) return;
          this.reset();
          for (const i of informers) {
            const resource = i.ref.group === '' ? i.ref.plural : `${i.ref.plural}.${i.ref.group}`;
            this.inc({ resource, namespace: i.namespace || '*' }, pick(i.stats));
          }
        },
      });
    };
    this.informerLists = informerCounter('informer_lists_total', 'Full lists an informer made: the first one, and every re-list after 410 Gone, a silent watch or a failure', (s) => s.lists);
    this.informerGoneRelists = informerCounter('informer_gone_relists_total', 'Re-lists forced by 410 Gone (the watch fell behind etcd compaction)', (s) => s.gone);
    this.informerWatchdogRestarts = informerCounter('informer_watchdog_restarts_total', 'Watches presumed dead because neither event nor bookmark came for the watchdog period (--watch-watchdog)', (s) => s.watchdogFired);
    this.informerFailures = informerCounter('informer_connection_failures_total', 'Failed lists or watches, each followed by a backoff', (s) => s.failures);
  }

  /** Exports the counters of every informer `source` holds (the manager's InformerFactory). */
  trackInformers(source: InformerSource): void {
    this.informerSource = source;
  }

  /** Zero series for a controller, so a dashboard shows 0 instead of nothing before the first event. */
  registerController(controller: string, maxConcurrent: number): void {
    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalReconcileErrors.inc({ controller }, 0);
    this.reconcilePanics.inc({ controller }, 0);
    this.reconcileTimeouts.inc({ controller }, 0);
    this.maxConcurrentReconciles.set({ controller }, maxConcurrent);
    this.activeWorkers.set({ controller }, 0);
  }

  /** The queue's metrics hooks, labelled as controller-runtime labels a controller's queue. */
  queueMetrics(name: string): WorkQueueMetrics {
    const labels = { name, controller: name };
    this.queueDepth.set(labels, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
    return {
      depth: (n) => this.queueDepth.set(labels, n),
      added: () => this.queueAdds.inc(labels),
      retried: () => this.queueRetries.inc(labels),
      queued: (s) => this.queueDuration.observe(labels, s),
      worked: (s) => this.workDuration.observe(labels, s),
    };
  }

  trackQueue(queue: WorkQueue): void {
    this.queues.set(queue.name, queue);
  }
}
