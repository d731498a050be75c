// The operator's entry point: flags → Manager → controllers (+ the webhook server on every replica)
// → run until SIGTERM/SIGINT, then shut down gracefully. Logs are pino JSON on stdout.
//
// Its flags are two tables read by one parser (runtime/flags.ts): the runtime's, and the operator's
// below (the webhook server, the scaling API, rolls); `--help` lists both. The test-only
// certificate lifetimes are left out of --help: they let a test see renewals within a minute.
import { existsSync, openSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { setupControllers } from '../controllers/setup.ts';
import { flagHelp, helpOf, loadClusterAccess, Manager, parseFlags, parseFlagTable, read, type FlagTable, type Runnable } from '../runtime/index.ts';
import { startWebhooks, WEBHOOK_DEFAULTS, type RunningWebhooks } from '../webhooks/index.ts';
import { DEFAULT_MAX_INFLIGHT_REVIEWS, DEFAULT_RATE_LIMIT, DEFAULT_SCALING_AUDIENCE, DEFAULT_SOURCE_LIMIT } from '../webhooks/scaling/index.ts';

export interface OperatorFlags {
  webhooks: boolean;
  localWebhooks: boolean;
  webhookCertDir: string;
  operatorNamespace: string;
  clusterDomain: string;
  /** --roll-operator-changes: the operator's own pod template changes roll, Clusters this far apart; undefined = they wait (UpdatePending). */
  rollOperatorChangesMs: number | undefined;
  scalingAudience: string;
  scalingQps: number;
  scalingBurst: number;
  scalingSourceQps: number;
  scalingSourceBurst: number;
  scalingMaxInflightReviews: number;
  webhookMaxConnections: number;
  metricsSecure: boolean;
  /** With localWebhooks: the URL registered (a balancer before several replicas); '' = our own address. */
  webhookUrl: string;
  webhookConfigurationName: string;
  /** '' = 0.0.0.0, or 127.0.0.1 with localWebhooks. */
  webhookHost: string;
  maxReplicas: number;
  /** Test only: lifetimes of the managed certificates; 0 = the defaults. */
  webhookCertValidityMs: number;
  webhookCaValidityMs: number;
}

/** The operator's flags, parsed and listed by the runtime's flag parser (runtime/flags.ts). */
const OPERATOR_FLAGS: FlagTable<OperatorFlags> = {
  webhooks: { name: 'webhooks', boolean: true, read: read.boolean, usage: '=false', help: ['do not run the webhook server'] },
  localWebhooks: { name: 'local-webhooks', boolean: true, read: read.boolean, usage: '', help: ['serve webhooks on 127.0.0.1 and register them by URL (out-of-cluster runs)'] },
  webhookCertDir: { name: 'webhook-cert-dir', read: read.text, usage: ' string', help: ['folder with tls.crt and tls.key (cert-manager) instead of a managed certificate'] },
  operatorNamespace: { name: 'operator-namespace', read: read.text, usage: ' string', help: ["namespace of the webhook certificate Secret (default: the pod's namespace)"] },
  clusterDomain: { name: 'cluster-domain', read: read.text, usage: ' string', help: ['DNS domain of the cluster (default "cluster.local")'] },
  rollOperatorChangesMs: {
    name: 'roll-operator-changes',
    read: read.duration,
    usage: ' duration',
    help: [
      'roll pod template changes that come from the operator (a new version, a',
      'flag) by itself, one Cluster starting this long after the last (e.g. 5m);',
      "default: they wait for each Cluster's next spec change or spec.restartedAt",
    ],
  },
  scalingAudience: { name: 'scaling-audience', read: read.text, usage: ' string', help: [`audience the scaling API's callers' tokens must carry (default "${DEFAULT_SCALING_AUDIENCE}")`] },
  scalingQps: { name: 'scaling-qps', read: read.positiveNumber, usage: ' float', help: [`scale calls per second per caller (default ${DEFAULT_RATE_LIMIT.perSecond})`] },
  scalingBurst: { name: 'scaling-burst', read: read.positiveNumber, usage: ' int', help: [`scale calls a caller may make at once (default ${DEFAULT_RATE_LIMIT.burst})`] },
  scalingSourceQps: {
    name: 'scaling-source-qps',
    read: read.positiveNumber,
    usage: ' float',
    help: ['per source address: TokenReviews per second for tokens the API server', `refuses, checked before authentication; over it, 429 (default ${DEFAULT_SOURCE_LIMIT.perSecond})`],
  },
  scalingSourceBurst: { name: 'scaling-source-burst', read: read.positiveInteger(), usage: ' int', help: [`per source address: refused tokens reviewed at once (default ${DEFAULT_SOURCE_LIMIT.burst})`] },
  scalingMaxInflightReviews: {
    name: 'scaling-max-inflight-reviews',
    read: read.positiveInteger(),
    usage: ' int',
    help: [`TokenReviews and SubjectAccessReviews in flight at once; beyond, 429 (default ${DEFAULT_MAX_INFLIGHT_REVIEWS})`],
  },
  webhookMaxConnections: {
    name: 'webhook-max-connections',
    read: read.positiveInteger(),
    usage: ' int',
    help: [`open connections to the webhook server, admission and scaling API together (default ${WEBHOOK_DEFAULTS.maxConnections})`],
  },
  metricsSecure: { name: 'metrics-secure', boolean: true, read: read.boolean, usage: '[=false]', help: ['serve /metrics over HTTPS to callers with RBAC get on the /metrics URL'] },
  webhookUrl: {
    name: 'webhook-url',
    read: webhookUrl,
    usage: ' string',
    help: ['with --local-webhooks: the URL to register, e.g. a balancer in front of', "several replicas (default: this process's own https://127.0.0.1:<port>)"],
  },
  webhookConfigurationName: {
    name: 'webhook-configuration-name',
    read: read.text,
    usage: ' string',
    help: [`name of the Validating- and MutatingWebhookConfiguration (default "${WEBHOOK_DEFAULTS.configurationName}")`],
  },
  webhookHost: { name: 'webhook-host', read: read.text, usage: ' string', help: [`address the webhook server binds (default "${WEBHOOK_DEFAULTS.host}"; with --local-webhooks "127.0.0.1")`] },
  // Replicas are int32 in the API: anything past it cannot be a limit.
  maxReplicas: { name: 'max-replicas', read: read.positiveInteger(2 ** 31 - 1), usage: ' int', help: [`the most replicas the webhook admits per component (default ${WEBHOOK_DEFAULTS.maxReplicas})`] },
  // Test only, so left out of --help.
  webhookCertValidityMs: { name: 'webhook-cert-validity', read: read.duration },
  webhookCaValidityMs: { name: 'webhook-ca-validity', read: read.duration },
};

const OPERATOR_DEFAULTS: OperatorFlags = {
  webhooks: true,
  localWebhooks: false,
  webhookCertDir: '',
  operatorNamespace: '',
  clusterDomain: 'cluster.local',
  rollOperatorChangesMs: undefined,
  webhookUrl: '',
  webhookConfigurationName: WEBHOOK_DEFAULTS.configurationName,
  webhookHost: '',
  maxReplicas: WEBHOOK_DEFAULTS.maxReplicas,
  webhookCertValidityMs: 0,
  webhookCaValidityMs: 0,
  scalingAudience: DEFAULT_SCALING_AUDIENCE,
  scalingQps: DEFAULT_RATE_LIMIT.perSecond,
  scalingBurst: DEFAULT_RATE_LIMIT.burst,
  scalingSourceQps: DEFAULT_SOURCE_LIMIT.perSecond,
  scalingSourceBurst: DEFAULT_SOURCE_LIMIT.burst,
  scalingMaxInflightReviews: DEFAULT_MAX_INFLIGHT_REVIEWS,
  webhookMaxConnections: WEBHOOK_DEFAULTS.maxConnections,
  metricsSecure: false,
};

/** Takes the operator's own flags out of argv; the rest goes to the runtime's strict parse. */
export function splitOperatorFlags(argv: string[]): { operator: OperatorFlags; rest: string[] } {
  const { values: operator, rest } = parseFlagTable(argv, OPERATOR_FLAGS, OPERATOR_DEFAULTS, 'pass');
  return { operator, rest };
}

function webhookUrl(v: string): string {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`--webhook-url must be an https URL, got ${JSON.stringify(v)}`);
  }
  if (url.protocol !== 'https:' || url.pathname !== '/' || url.search !== '') throw new Error(`--webhook-url must be https://host:port with no path, got ${JSON.stringify(v)}`);
  return `${url.protocol}//${url.host}`;
}

/** A run limited to some namespaces admits only their objects: another operator may own the rest. */
function namespaceSelectorFor(namespaces: string[]): { matchExpressions: Array<{ key: string; operator: string; values: string[] }> } | undefined {
  if (namespaces.length === 0) return undefined;
  return { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }] };
}

function inClusterNamespace(): string | undefined {
  const file = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function webhookRunnable(log: Logger, port: number, op: OperatorFlags, manager: Manager, namespaces: string[]): Runnable {
  const namespace = op.operatorNamespace || process.env.POD_NAMESPACE || inClusterNamespace() || (op.localWebhooks ? 'default' : 'engula-system');
  let running: RunningWebhooks | undefined;
  // Not ready until the served certificate is trusted by the caBundle the apiserver holds now.
  manager.addReadyzCheck('webhook-certificate', async () => {
    if (running === undefined) throw new Error('webhook server not started yet');
    await running.readiness();
  });
  return {
    name: 'webhooks',
    // Every replica serves admission requests, so a rollout or a standby never leaves the webhook without a backend.
    needLeaderElection: false,
    async start(signal) {
      running = await startWebhooks({
        client: manager.replicaClient,
        cache: manager.informers,
        informerTuning: { watchdogMs: manager.flags.watchWatchdogMs },
        signal,
        log,
        namespace,
        port,
        maxReplicas: op.maxReplicas,
        configurationName: op.webhookConfigurationName,
        ...(op.localWebhooks ? { host: '127.0.0.1', registerByUrl: true } : {}),
        ...(op.webhookHost ? { host: op.webhookHost } : {}),
        ...(op.localWebhooks && op.webhookUrl ? { registerUrl: op.webhookUrl } : {}),
        ...(op.localWebhooks && namespaceSelectorFor(namespaces) ? { namespaceSelector: namespaceSelectorFor(namespaces)! } : {}),
        ...(op.webhookCertDir ? { certDir: op.webhookCertDir } : {}),
        ...(op.webhookCertValidityMs ? { certValidityMs: op.webhookCertValidityMs } : {}),
        ...(op.webhookCaValidityMs ? { caValidityMs: op.webhookCaValidityMs } : {}),
        metrics: manager.metrics.registry,
        maxConnections: op.webhookMaxConnections,
        scaling: {
          audiences: [op.scalingAudience],
          rateLimit: { perSecond: op.scalingQps, burst: op.scalingBurst },
          sourceLimit: { ...DEFAULT_SOURCE_LIMIT, perSecond: op.scalingSourceQps, burst: op.scalingSourceBurst },
          maxInflightReviews: op.scalingMaxInflightReviews,
        },
      });
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      // A configuration registered by URL would refuse every Engula write (failurePolicy Fail)
      // once this process is gone (`make run` stopped with Ctrl-C); behind a shared --webhook-url
      // other replicas still serve it. Deleted while the server still answers, so no call of the
      // API server meanwhile finds the port closed.
      if (op.localWebhooks && !op.webhookUrl) {
        await running.unregister().then(
          () => log.info({ name: op.webhookConfigurationName }, 'webhook configurations unregistered'),
          (err: unknown) => log.warn({ name: op.webhookConfigurationName, err: err instanceof Error ? err.message : String(err) }, 'could not unregister the webhook configurations'),
        );
      }
      await running.stop();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const { operator, rest } = splitOperatorFlags(argv);
  const flags = parseFlags(rest, { leaderElectionId: 'engula-operator-leader' });
  if (flags.help) {
    process.stdout.write(`${flagHelp}\n${helpOf('Operator flags', OPERATOR_FLAGS)}`);
    return 0;
  }
  const log = pino({ level: flags.logLevel, base: { app: 'engula-operator' } });
  const { access, source } = await loadClusterAccess(flags.kubeconfig ? { file: flags.kubeconfig } : {});
  log.info({ source }, 'API server connection');

  const manager = new Manager({
    access,
    logger: log,
    flags,
    fieldManager: 'engula-operator',
    eventComponent: 'engula-operator',
    secureMetrics: operator.metricsSecure,
    ...(flags.apiRequestLog ? { requestLogFd: openSync(flags.apiRequestLog, 'a') } : {}),
  });
  setupControllers(manager, {
    clusterDomain: operator.clusterDomain,
    ...(operator.rollOperatorChangesMs !== undefined ? { rollOperatorChangesMs: operator.rollOperatorChangesMs } : {}),
  });
  if (operator.webhooks) manager.add(webhookRunnable(log, flags.webhookPort, operator, manager, flags.namespaces));

  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      log.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal: sig }, 'shutting down');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info({ namespaces: flags.namespaces.length ? flags.namespaces : 'all', leaderElect: flags.leaderElect, webhooks: operator.webhooks, localWebhooks: operator.localWebhooks }, 'starting engula-operator');
  try {
    await manager.start(stop.signal);
    return 0;
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'manager stopped with an error');
    return 1;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`engula-operator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
