// The manager: one per process. It owns the API client, the shared informers, metrics, probes,
// leader election and the controllers, and runs them in the right order:
// start:    metrics and probe servers → informers (every replica, so a standby is warm) →
//           runnables that need no leadership (webhooks) → campaign → controllers once leading.
// shutdown: (SIGTERM, abort of the signal) controllers take no new work and finish in-flight
//           reconciles within the graceful deadline → leader runnables stop → the lease is
//           released, while the runnables on every replica (webhooks) stop → informers stop →
//           servers close. As controller-runtime does it: the webhooks serve while the
//           reconciles drain (their writes are admitted too), and the release waits only for
//           what writes under the lease, never for a webhook client's keep-alive connection.
// Losing the lease stops everything and rejects start(), so the process exits and restarts
// rather than keep running as a second leader. The controllers' writes (their client and the event
// recorder) pass a LeadershipGate, so from the moment the lease may be another replica's no write
// of theirs is sent, and those in flight are aborted; the reconciles themselves are aborted at once
// rather than given the graceful deadline that a SIGTERM gives them.
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Client } from './client.ts';
import { DelegatedAuth } from './auth/delegated-auth.ts';
import { selfSignedCertificate } from './auth/self-signed.ts';
import { Controller, type ControllerSpec } from './controller.ts';
import { errorMessage } from './errors.ts';
import { ApiEventRecorder, type EventRecorder } from './events.ts';
import { defaultFlags, type ManagerFlags } from './flags.ts';
import { metricsEndpoint, parseBindAddress, ProbeServer, type Check, type HttpEndpoint } from './health.ts';
import type { InformerTuning } from './informer.ts';
import { InformerFactory } from './informer-factory.ts';
import type { ClusterAccess } from './kubeconfig/access.ts';
import { defaultIdentity, LeaderElector } from './leader-election.ts';
import { RuntimeMetrics } from './metrics.ts';
import { requestLog } from './request-log.ts';
import { RestClient } from './rest.ts';
import { LeadershipGate } from './write-gate.ts';

export interface ManagerOptions {
  /** The API server and credentials: loadClusterAccess(), or a client-node KubeConfig. */
  access: ClusterAccess;
  logger: Logger;
  /** Flags as parsed by parseFlags (missing ones take the defaults). */
  flags?: Partial<ManagerFlags>;
  /** Field manager for server-side apply (default 'engula-operator'). */
  fieldManager?: string;
  /** `source.component` of recorded Events. */
  eventComponent?: string;
  /** Leader election identity (default hostname_uuid). */
  identity?: string;
  /** Informer tuning beyond the flags (tests use short backoffs). */
  informerTuning?: InformerTuning;
  metrics?: RuntimeMetrics;
  /** kubebuilder's --metrics-secure: /metrics over HTTPS (self-signed), for callers RBAC lets `get` it. */
  secureMetrics?: boolean;
  /** Opened file descriptor to append one JSON line per API request to (--api-request-log). */
  requestLogFd?: number;
}

/** Something the manager starts and stops: a webhook server, a cert rotator... */
export interface Runnable {
  name: string;
  /** True: runs only on the leader. False: on every replica (webhooks). */
  needLeaderElection: boolean;
  /** Runs until the signal aborts; rejecting stops the manager. */
  start(signal: AbortSignal): Promise<void>;
}

function podNamespace(): string {
  const file = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : 'default';
}

export class Manager {
  readonly flags: ManagerFlags;
  readonly rest: RestClient;
  readonly informers: InformerFactory;
  /** The controllers' writer: its writes pass the lease's gate (with leader election on). */
  readonly client: Client;
  /** The writer of what every replica does, leader or not: webhook registration, the certificate
   * Secret, the CA bundle, the scaling API, admission's reads. No gate: a standby keeps them too. */
  readonly replicaClient: Client;
  readonly metrics: RuntimeMetrics;
  readonly recorder: ApiEventRecorder;
  readonly log: Logger;
  readonly identity: string;
  readonly probes: ProbeServer | undefined;
  private readonly metricsServer: HttpEndpoint | undefined;
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private elector: LeaderElector | undefined;
  private readonly gate: LeadershipGate | undefined;
  private leading = false;
  private started = false;

  constructor(opts: ManagerOptions) {
    this.flags = { ...defaultFlags, ...opts.flags };
    this.log = opts.logger;
    this.identity = opts.identity ?? defaultIdentity();
    this.rest = new RestClient(opts.access);
    if (opts.requestLogFd !== undefined) this.rest.observe(requestLog(opts.requestLogFd));
    this.gate = this.flags.leaderElect ? new LeadershipGate() : undefined;
    this.metrics = opts.metrics ?? new RuntimeMetrics();
    this.rest.observe({ done: (r, code) => this.metrics.restRequests.inc({ method: r.method, code: String(code), host: r.host }) });
    this.informers = new InformerFactory({
      rest: this.rest,
      logger: this.log,
      namespaces: this.flags.namespaces,
      tuning: { watchdogMs: this.flags.watchWatchdogMs, resyncPeriodMs: this.flags.syncPeriodMs, ...opts.informerTuning },
    });
    const fieldManager = opts.fieldManager ? { fieldManager: opts.fieldManager } : {};
    this.client = new Client({ rest: this.rest, cache: this.informers, ...fieldManager, ...(this.gate ? { gate: this.gate } : {}) });
    this.replicaClient = new Client({ rest: this.rest, ...fieldManager });
    this.recorder = new ApiEventRecorder({ client: this.client, component: opts.eventComponent ?? opts.fieldManager ?? 'operator', host: this.identity.split('_')[0] ?? '', logger: this.log });
    const metricsBind = parseBindAddress(this.flags.metricsBindAddress);
    const secure = metricsBind && opts.secureMetrics ? { auth: new DelegatedAuth({ rest: this.rest, audiences: [] }), tls: selfSignedCertificate() } : undefined;
    this.metricsServer = metricsBind ? metricsEndpoint(metricsBind, this.metrics.registry, secure) : undefined;
    const probeBind = parseBindAddress(this.flags.healthProbeBindAddress);
    this.probes = probeBind ? new ProbeServer(probeBind) : undefined;
    this.probes?.addReadyzCheck('informers-synced', () => {
      const pending = this.informers.all().filter((i) => !i.hasSynced);
      if (pending.length > 0) throw new Error(`caches not synced: ${pending.map((i) => `${i.ref.plural}${i.namespace ? `@${i.namespace}` : ''}`).join(', ')}`);
    });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  get probePort(): number | undefined {
    return this.probes?.endpoint.port;
  }

  get eventRecorder(): EventRecorder {
    return this.recorder;
  }

  addController(spec: ControllerSpec): Controller {
    if (this.started) throw new Error('add controllers before start()');
    const c = new Controller(
      { ...spec, maxConcurrentReconciles: spec.maxConcurrentReconciles ?? this.flags.maxConcurrentReconciles },
      { informers: this.informers, client: this.client, recorder: this.recorder, metrics: this.metrics, logger: this.log, cacheSyncTimeoutMs: this.flags.cacheSyncTimeoutMs },
    );
    this.controllers.push(c);
    return c;
  }

  add(runnable: Runnable): void {
    if (this.started) throw new Error('add runnables before start()');
    this.runnables.push(runnable);
  }

  addHealthzCheck(name: string, check: Check): void {
    this.probes?.addHealthzCheck(name, check);
  }

  addReadyzCheck(name: string, check: Check): void {
    this.probes?.addReadyzCheck(name, check);
  }

  /** Runs until `signal` aborts (then shuts down gracefully and resolves) or something fatal
   * happens (leadership lost, a runnable failed, caches never synced: shuts down and rejects). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('manager already started');
    this.started = true;
    // Two stop signals: what runs on the leader is done before the lease is released; what runs
    // on every replica stops alongside the release, which does not wait for it.
    const leaderAbort = new AbortController();
    const everyAbort = new AbortController();
    const leaderRunning: Array<Promise<void>> = [];
    const everyRunning: Array<Promise<void>> = [];
    let fatal: Error | undefined;
    let leadershipLost = false;
    let wakeFatal: () => void = () => undefined;
    const fatalSignal = new Promise<void>((resolve) => (wakeFatal = resolve));
    const fail = (err: Error): void => {
      fatal ??= err;
      wakeFatal();
    };
    const startRunnable = (r: Runnable): void => {
      const abort = r.needLeaderElection ? leaderAbort : everyAbort;
      (r.needLeaderElection ? leaderRunning : everyRunning).push(
        r.start(abort.signal).catch((err: unknown) => {
          if (!abort.signal.aborted) fail(new Error(`runnable ${r.name} failed: ${errorMessage(err)}`, { cause: err }));
        }),
      );
    };
    const startControllers = (): void => {
      for (const c of this.controllers) c.start(leaderAbort.signal).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
      for (const r of this.runnables) if (r.needLeaderElection) startRunnable(r);
    };

    try {
      if (this.metricsServer) this.log.info({ port: await this.metricsServer.listen() }, 'metrics server listening');
      if (this.probes) this.log.info({ port: await this.probes.endpoint.listen() }, 'health probe server listening');
    } catch (err) {
      await this.closeServers();
      throw err;
    }
    this.informers.start();
    for (const r of this.runnables) if (!r.needLeaderElection) startRunnable(r);

    if (this.flags.leaderElect) {
      const elector = new LeaderElector({
        rest: this.rest,
        namespace: this.flags.leaderElectionNamespace || podNamespace(),
        name: this.flags.leaderElectionId,
        identity: this.identity,
        leaseDurationMs: this.flags.leaseDurationMs,
        renewDeadlineMs: this.flags.renewDeadlineMs,
        retryPeriodMs: this.flags.retryPeriodMs,
        logger: this.log,
        onStatus: (leading) => this.metrics.leaderStatus.set({ name: this.flags.leaderElectionId }, leading ? 1 : 0),
        ...(this.gate ? { gate: this.gate } : {}),
      });
      this.elector = elector;
      elector.onLost(() => {
        leadershipLost = true;
        fail(new Error('leader election lost'));
      });
      elector.start();
      elector.whenLeading().then(
        () => {
          if (signal.aborted || fatal) return;
          this.leading = true;
          startControllers();
        },
        () => undefined,
      );
    } else {
      this.leading = true;
      startControllers();
    }

    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      void fatalSignal.then(resolve);
    });
    this.log.info({ reason: fatal ? fatal.message : 'signal' }, 'shutting down');
    const deadline = this.flags.gracefulShutdownTimeoutMs;
    const pastDeadline = (): Promise<void> => new Promise((r) => setTimeout(r, deadline).unref());
    // Without the lease a reconcile's work is no longer ours to finish.
    const drained = await Promise.all(this.controllers.map((c) => c.stop(leadershipLost ? 0 : deadline)));
    leaderAbort.abort(new Error('manager stopping'));
    await Promise.race([Promise.all(leaderRunning), pastDeadline()]);
    everyAbort.abort(new Error('manager stopping'));
    const everyStopped = Promise.race([Promise.all(everyRunning), pastDeadline()]);
    // Released once no reconcile of ours can still write, and no later: a standby takes over at
    // once, whatever the webhook server's clients still hold open.
    await this.elector?.stop();
    this.leading = false;
    await everyStopped;
    await this.informers.stop();
    await this.recorder.flush();
    await this.closeServers();
    this.rest.close();
    this.log.info({ drained: drained.every(Boolean) }, 'manager stopped');
    if (fatal) throw fatal;
  }

  private async closeServers(): Promise<void> {
    await Promise.all([this.metricsServer?.close(), this.probes?.endpoint.close()]);
  }
}
