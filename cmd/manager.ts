// The operator's entry point: flags → Manager → controllers (+ the webhook server on every replica)
// → run until SIGTERM/SIGINT, then shut down gracefully. Logs are pino JSON on stdout.
//
// Besides the runtime's flags (runtime/flags.ts) it takes:
//   --webhooks=false          run without the webhook server (controller tests, or a cluster where
//                             another replica serves them)
//   --local-webhooks          out-of-cluster run (`make run`): serve on 127.0.0.1 and register the
//                             webhook configurations by URL
//   --webhook-cert-dir DIR    serve a certificate from DIR (cert-manager) instead of making one
//   --operator-namespace NS   where the webhook certificate Secret lives (default: the pod's
//                             namespace, else engula-system; for --local-webhooks, default)
//   --cluster-domain DOMAIN   DNS domain of the cluster, for the host names in the topology ConfigMap (cluster.local)
//   --scaling-audience AUD    audience a scaling API caller's token must carry (engula-operator)
//   --scaling-qps N, --scaling-burst N   per-caller rate limit of the scaling API (5/s, bursts of 20)
//   --scaling-source-qps N, --scaling-source-burst N   per source address, TokenReviews of tokens the
//                             API server refuses, checked before authentication (1/s, bursts of 20)
//   --scaling-max-inflight-reviews N   TokenReviews and SubjectAccessReviews in flight at once (64)
//   --webhook-max-connections N   open connections to the webhook server, admission included (1024)
//   --metrics-secure          /metrics over HTTPS, for callers Kubernetes lets `get` /metrics
//   --webhook-url URL         with --local-webhooks: register this URL instead of our own address
//                             (a load balancer in front of several replicas)
//   --webhook-configuration-name NAME   name of the webhook configurations (engula-operator)
//   --webhook-host ADDR       address the webhook server binds (0.0.0.0; --local-webhooks: 127.0.0.1)
//   --max-replicas N          the most replicas admission allows per component (100)
//   --webhook-cert-validity D, --webhook-ca-validity D   TEST ONLY, left out of --help: lifetimes of the
//                             managed serving certificate and CA (defaults 1 year, 10 years), so a test
//                             sees renewals and CA rotations within a minute
import { existsSync, openSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { setupControllers } from '../controllers/setup.ts';
import { flagHelp, loadClusterAccess, Manager, parseDuration, parseFlags, type Runnable } from '../runtime/index.ts';
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

const operatorHelp = `Operator flags:
  --webhooks=false                      do not run the webhook server
  --local-webhooks                      serve webhooks on 127.0.0.1 and register them by URL (out-of-cluster runs)
  --webhook-cert-dir string             folder with tls.crt and tls.key (cert-manager) instead of a managed certificate
  --operator-namespace string           namespace of the webhook certificate Secret (default: the pod's namespace)
  --cluster-domain string               DNS domain of the cluster (default "cluster.local")
  --roll-operator-changes duration      roll pod template changes that come from the operator (a new version, a
                                        flag) by itself, one Cluster starting this long after the last (e.g. 5m);
                                        default: they wait for each Cluster's next spec change or spec.restartedAt
  --scaling-audience string             audience the scaling API's callers' tokens must carry (default "engula-operator")
  --scaling-qps float                   scale calls per second per caller (default 5)
  --scaling-burst int                   scale calls a caller may make at once (default 20)
  --scaling-source-qps float            per source address: TokenReviews per second for tokens the API server
                                        refuses, checked before authentication; over it, 429 (default ${DEFAULT_SOURCE_LIMIT.perSecond})
  --scaling-source-burst int            per source address: refused tokens reviewed at once (default ${DEFAULT_SOURCE_LIMIT.burst})
  --scaling-max-inflight-reviews int    TokenReviews and SubjectAccessReviews in flight at once; beyond, 429 (default ${DEFAULT_MAX_INFLIGHT_REVIEWS})
  --webhook-max-connections int         open connections to the webhook server, admission and scaling API together (default ${WEBHOOK_DEFAULTS.maxConnections})
  --metrics-secure[=false]              serve /metrics over HTTPS to callers with RBAC get on the /metrics URL
  --webhook-url string                  with --local-webhooks: the URL to register, e.g. a balancer in front of
                                        several replicas (default: this process's own https://127.0.0.1:<port>)
  --webhook-configuration-name string   name of the Validating- and MutatingWebhookConfiguration (default "engula-operator")
  --webhook-host string                 address the webhook server binds (default "0.0.0.0"; with --local-webhooks "127.0.0.1")
  --max-replicas int                    the most replicas the webhook admits per component (default ${WEBHOOK_DEFAULTS.maxReplicas})
`;

function parseBool(name: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`--${name} takes true or false, got ${JSON.stringify(v)}`);
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function positiveInteger(name: string, v: string): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} takes a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Replicas are int32 in the API; anything else, or below 1, cannot be a limit. */
function parseMaxReplicas(v: string): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) throw new Error(`--max-replicas takes a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Takes the operator's own flags out of argv; the rest goes to the runtime's strict parser. */
export function splitOperatorFlags(argv: string[]): { operator: OperatorFlags; rest: string[] } {
  const operator: OperatorFlags = {
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
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[1];
    const inline = m?.[2];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`--${name} needs a value`);
      return next;
    };
    switch (name) {
      case 'webhooks':
        operator.webhooks = inline === undefined ? true : parseBool(name, inline);
        break;
      case 'local-webhooks':
        operator.localWebhooks = inline === undefined ? true : parseBool(name, inline);
        break;
      case 'webhook-cert-dir':
        operator.webhookCertDir = value();
        break;
      case 'operator-namespace':
        operator.operatorNamespace = value();
        break;
      case 'cluster-domain':
        operator.clusterDomain = value();
        break;
      case 'roll-operator-changes':
        operator.rollOperatorChangesMs = parseDuration(value());
        break;
      case 'scaling-audience':
        operator.scalingAudience = value();
        break;
      case 'scaling-qps':
        operator.scalingQps = positiveNumber(name, value());
        break;
      case 'scaling-burst':
        operator.scalingBurst = positiveNumber(name, value());
        break;
      case 'scaling-source-qps':
        operator.scalingSourceQps = positiveNumber(name, value());
        break;
      case 'scaling-source-burst':
        operator.scalingSourceBurst = positiveInteger(name, value());
        break;
      case 'scaling-max-inflight-reviews':
        operator.scalingMaxInflightReviews = positiveInteger(name, value());
        break;
      case 'webhook-max-connections':
        operator.webhookMaxConnections = positiveInteger(name, value());
        break;
      case 'metrics-secure':
        operator.metricsSecure = inline === undefined ? true : parseBool(name, inline);
        break;
      case 'webhook-url':
        operator.webhookUrl = webhookUrl(value());
        break;
      case 'webhook-configuration-name':
        operator.webhookConfigurationName = value();
        break;
      case 'webhook-host':
        operator.webhookHost = value();
        break;
      case 'max-replicas':
        operator.maxReplicas = parseMaxReplicas(value());
        break;
      case 'webhook-cert-validity':
        operator.webhookCertValidityMs = parseDuration(value());
        break;
      case 'webhook-ca-validity':
        operator.webhookCaValidityMs = parseDuration(value());
        break;
      default:
        rest.push(arg);
    }
  }
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
  const flags = parseFlags(rest, { leaderElectionId: 'engula-operator-leader', webhookPort: WEBHOOK_DEFAULTS.port });
  if (flags.help) {
    process.stdout.write(`${flagHelp}\n${operatorHelp}`);
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
